package com.example.im.checker.run;

/**
 * A reliable client's exactly-once display, by mailbox seq, as stage 7's {@code ChatClient} does it: a message is
 * shown only if its seq is the next one ({@code last + 1}); one at or below {@code last} was shown already (a
 * redelivery: dropped); one further ahead is a resend's tail (dropped: the missing ones come first). Before the first
 * message, {@code last} is -1 and the first one is shown whatever its seq (the server resumed from its own cursor). A
 * seq of 0 is a message from no mailbox (a node without Redis): shown. Not thread-safe: the client's lock guards it.
 */
final class Display {

    enum Decision { SHOW, ALREADY_SHOWN, AHEAD }

    private long last = -1;

    Decision offer(long seq) {
        if (seq == 0) {
            return Decision.SHOW;
        }
        if (last >= 0 && seq != last + 1) {
            return seq <= last ? Decision.ALREADY_SHOWN : Decision.AHEAD;
        }
        last = seq;
        return Decision.SHOW;
    }

    /** The server trimmed seqs up to {@code toSeq} before the client got them: the client moves past them. */
    void gap(long toSeq) {
        last = Math.max(last, toSeq);
    }

    /** The highest contiguous seq shown; -1 before the first. What the login, pings and acks carry. */
    long last() {
        return last;
    }
}
