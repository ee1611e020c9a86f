package com.example.im.protocol;

import java.util.Collection;

/**
 * The frames the server writes, each wrapped in an {@link Envelope}. A client reads one envelope at a time and
 * switches on its body: no state is needed to understand a frame.
 */
public final class Replies {

    /** How many uids WHO lists at most; the count is always exact. */
    public static final int WHO_LIMIT = 50;

    private Replies() {
    }

    public static Envelope loggedIn(String uid) {
        return Envelope.newBuilder().setLoginAck(LoginAck.newBuilder().setUid(uid)).build();
    }

    public static Envelope sent(String msgId, Collection<String> sentUids, Collection<String> offlineUids) {
        return Envelope.newBuilder().setSendAck(SendAck.newBuilder()
                .setMsgId(msgId).addAllSentUids(sentUids).addAllOfflineUids(offlineUids)).build();
    }

    public static Envelope who(Collection<String> uids) {
        WhoReply.Builder reply = WhoReply.newBuilder().setCount(uids.size());
        uids.stream().sorted().limit(WHO_LIMIT).forEach(reply::addUids);
        return Envelope.newBuilder().setWhoReply(reply).build();
    }

    public static Envelope message(ChatMessage message) {
        return Envelope.newBuilder().setChat(message).build();
    }

    public static Envelope pong(long pingSentAt) {
        return Envelope.newBuilder().setPong(Pong.newBuilder().setPingSentAt(pingSentAt)).build();
    }

    public static Envelope goAway(String reason) {
        return Envelope.newBuilder().setGoAway(GoAway.newBuilder().setReason(reason)).build();
    }

    public static Envelope error(ErrorCode code, String text) {
        return Envelope.newBuilder().setError(ErrorReply.newBuilder().setCode(code).setText(text)).build();
    }
}
