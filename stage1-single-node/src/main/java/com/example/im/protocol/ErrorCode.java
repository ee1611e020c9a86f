package com.example.im.protocol;

/** The words that follow {@code ERR} on the wire. Clients may switch on them; the rest of the line is for humans. */
public final class ErrorCode {

    public static final String BAD_INPUT = "bad-input";
    public static final String UNKNOWN_COMMAND = "unknown-command";
    public static final String TOO_LONG = "too-long";
    public static final String NOT_LOGGED_IN = "not-logged-in";
    public static final String ALREADY_LOGGED_IN = "already-logged-in";
    public static final String OFFLINE = "offline";
    public static final String KICKED = "kicked";

    private ErrorCode() {
    }
}
