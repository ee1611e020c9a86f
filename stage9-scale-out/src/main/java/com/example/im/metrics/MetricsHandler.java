package com.example.im.metrics;

import com.example.im.protocol.Envelope;
import com.example.im.protocol.ErrorCode;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;

/**
 * Counts what one chat connection carries, by watching the envelopes go by (docs/08-web-edge.md, "Metrics"): it sits
 * just in front of {@code ChatServerHandler}, so it sees every frame the handler reads and every frame written to the
 * connection (the handler's replies, the pusher's messages, a go-away), TCP or WebSocket alike. The chat code itself
 * does not know it is measured. One instance per connection; everything here runs on the connection's event loop.
 *
 * <p>Delivery latency: each chat message pushed with a seq is remembered as (seq, server timestamp) until an Ack
 * covers it; then now minus that timestamp is recorded. A resend of a seq already remembered is not remembered again,
 * and at most {@value #MAX_UNACKED} are held (the pusher's window is smaller), so a client that never acks costs a
 * bounded amount of memory.
 */
public final class MetricsHandler extends ChannelDuplexHandler {

    static final int MAX_UNACKED = 1_024;

    private final NodeMetrics metrics;
    private final boolean ws;
    private Runnable closed;
    private boolean loginPending;
    private boolean loggedIn;
    // Pushed, not yet acknowledged: seqs ascending, with their server timestamps (a ring of two parallel arrays).
    private long[] seqs;
    private long[] stamps;
    private int head;
    private int size;
    private long lastSeq;

    /** {@code ws}: the connection is a WebSocket one (counted under transport "ws"). */
    public MetricsHandler(NodeMetrics metrics, boolean ws) {
        this.metrics = metrics;
        this.ws = ws;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        closed = metrics.connectionOpened(ws);
        ctx.channel().closeFuture().addListener(f -> {
            Runnable done = closed;
            closed = null;
            if (done != null) {
                done.run();
            }
        });
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) throws Exception {
        if (msg instanceof Envelope envelope) {
            switch (envelope.getBodyCase()) {
                case LOGIN -> loginPending = !loggedIn;
                case ACK -> acked(envelope.getAck().getSeq());
                default -> { }
            }
        }
        ctx.fireChannelRead(msg);
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) throws Exception {
        if (msg instanceof Envelope envelope) {
            switch (envelope.getBodyCase()) {
                case CHAT -> pushed(envelope.getChat().getSeq(), envelope.getChat().getTimestamp());
                case SEND_ACK -> metrics.accepted.increment();
                case LOGIN_ACK -> {
                    loggedIn = true;
                    loginPending = false;
                    metrics.loginsOk.increment();
                }
                case ERROR -> {
                    ErrorCode code = envelope.getError().getCode();
                    // Before a login ack, the errors that answer a login (not those about other frames sent too early).
                    if (loginPending && code != ErrorCode.NOT_LOGGED_IN && code != ErrorCode.UNKNOWN_FRAME
                            && code != ErrorCode.MALFORMED_FRAME) {
                        loginPending = false;
                        metrics.loginsRefused.increment();
                    }
                }
                case GO_AWAY -> {
                    metrics.goAways.increment();
                    if (loginPending) {
                        loginPending = false;
                        metrics.loginsRefused.increment();
                    }
                }
                default -> { }
            }
        }
        ctx.write(msg, promise);
    }

    private void pushed(long seq, long timestamp) {
        metrics.pushed.increment();
        if (seq <= lastSeq) {
            return; // not a stage 7 push (no seq), or a resend: the first push's entry stays
        }
        lastSeq = seq;
        if (seqs == null) {
            seqs = new long[16];
            stamps = new long[16];
        }
        if (size == seqs.length) {
            if (size == MAX_UNACKED) {
                return; // a client that does not ack: stop measuring it rather than grow
            }
            grow();
        }
        int at = (head + size) % seqs.length;
        seqs[at] = seq;
        stamps[at] = timestamp;
        size++;
    }

    private void grow() {
        long[] s = new long[seqs.length * 2];
        long[] t = new long[seqs.length * 2];
        for (int i = 0; i < size; i++) {
            s[i] = seqs[(head + i) % seqs.length];
            t[i] = stamps[(head + i) % seqs.length];
        }
        seqs = s;
        stamps = t;
        head = 0;
    }

    private void acked(long seq) {
        metrics.acks.increment();
        if (size == 0) {
            return;
        }
        long now = System.currentTimeMillis();
        while (size > 0 && seqs[head] <= seq) {
            metrics.delivered(now - stamps[head]);
            head = (head + 1) % seqs.length;
            size--;
        }
    }
}
