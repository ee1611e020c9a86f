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

    /** Stage 7: the acknowledgement of a stored message, naming the client's own id for it. */
    public static Envelope sent(String msgId, String clientMsgId, Collection<String> sentUids,
                                Collection<String> offlineUids) {
        return Envelope.newBuilder().setSendAck(SendAck.newBuilder().setMsgId(msgId).setClientMsgId(clientMsgId)
                .addAllSentUids(sentUids).addAllOfflineUids(offlineUids)).build();
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

    /** Stage 7: the pong also says the newest seq of the user's mailbox this node knows. */
    public static Envelope pong(long pingSentAt, long latestSeq) {
        return Envelope.newBuilder().setPong(Pong.newBuilder().setPingSentAt(pingSentAt).setLatestSeq(latestSeq))
                .build();
    }

    /** Stage 7: retention trimmed {@code fromSeq..toSeq} before the client got them. */
    public static Envelope gap(long fromSeq, long toSeq) {
        return Envelope.newBuilder().setGap(Gap.newBuilder().setFromSeq(fromSeq).setToSeq(toSeq)).build();
    }

    public static Envelope goAway(String reason) {
        return Envelope.newBuilder().setGoAway(GoAway.newBuilder().setReason(reason)).build();
    }

    /** Stage 7: an error about a chat message names the client's id for it, so the client stops sending it again. */
    public static Envelope error(ChatMessage about, ErrorCode code, String text) {
        return Envelope.newBuilder().setError(ErrorReply.newBuilder().setCode(code).setText(text)
                .setClientMsgId(about.getClientMsgId())).build();
    }

    public static Envelope error(ErrorCode code, String text) {
        return Envelope.newBuilder().setError(ErrorReply.newBuilder().setCode(code).setText(text)).build();
    }
}
