package com.example.im.protocol;

import java.util.Collection;

/**
 * The lines the server writes. Every line starts with one of three words, so a client needs no state to read them:
 * {@code OK} (your command worked), {@code ERR <code>} (it did not), {@code MSG <from_uid>} (a message for you).
 */
public final class Replies {

    /** How many uids WHO lists at most; the count is always exact. */
    public static final int WHO_LIMIT = 50;

    public static final String HELP = "OK commands: LOGIN <uid> | SEND <to_uid> <text> | WHO | HELP | QUIT";

    private Replies() {
    }

    public static String loggedIn(String uid) {
        return "OK login " + uid;
    }

    public static String sent(String toUid) {
        return "OK sent " + toUid;
    }

    public static String who(Collection<String> uids) {
        StringBuilder line = new StringBuilder("OK who ").append(uids.size());
        uids.stream().sorted().limit(WHO_LIMIT).forEach(uid -> line.append(' ').append(uid));
        if (uids.size() > WHO_LIMIT) {
            line.append(" …");
        }
        return line.toString();
    }

    public static String bye() {
        return "OK bye";
    }

    public static String message(String fromUid, String text) {
        return "MSG " + fromUid + " " + text;
    }

    public static String error(String code, String detail) {
        return "ERR " + code + " " + detail;
    }
}
