package com.example.im.server;

import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundBuffer;
import io.netty.channel.ChannelPromise;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import java.nio.channels.ClosedChannelException;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Bounds what one connection that does not read (a slow reader, 慢消费者) can cost the node (docs/03-heartbeat.md,
 * "Two more bounds"). Netty never refuses a write: whatever the kernel's socket buffer cannot take waits in the
 * channel's outbound buffer, in the node's memory, for as long as the peer does not read — and a peer that pings but
 * never reads is never idle. Two bounds, whichever comes first:
 * <ul>
 *   <li>a cap in bytes: a write that finds more than {@code maxPendingBytes} already waiting is refused, and the
 *       connection is closed;</li>
 *   <li>a cap in time: a connection that stays unwritable (above the high-water mark) for
 *       {@code unwritableTimeoutMillis} is closed, however little it holds.</li>
 * </ul>
 * What was still waiting is dropped with the connection: this node promises nothing beyond "handed to the socket"
 * on the last hop, and a client that does not read would not have seen those messages anyway.
 *
 * <p>It sits nearest the socket but for the flush consolidation handler (which holds back flushes, not writes), so
 * writes reach it already encoded (their size is known) and writability changes reach it early. One instance per
 * connection.
 */
public final class SlowReaderHandler extends ChannelDuplexHandler {

    /**
     * When a channel turns unwritable (more than 64 KiB waiting) and writable again (below 32 KiB). Netty's own
     * defaults, set explicitly on the server bootstrap because the timer below is defined by them.
     */
    public static final WriteBufferWaterMark WATER_MARK = new WriteBufferWaterMark(32 * 1024, 64 * 1024);

    private static final Logger log = LoggerFactory.getLogger(SlowReaderHandler.class);

    private final long maxPendingBytes;
    private final long unwritableTimeoutMillis;
    private ScheduledFuture<?> unwritableTimer; // only touched on the channel's event loop
    private boolean closing;

    public SlowReaderHandler(long maxPendingBytes, long unwritableTimeoutMillis) {
        this.maxPendingBytes = maxPendingBytes;
        this.unwritableTimeoutMillis = unwritableTimeoutMillis;
    }

    // tag::write[]
    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
        // The hot path: while the channel is writable, isWritable() (two field reads) is all it costs; the byte
        // count is read only when it is not. The count covers the outbound buffer and the writes other threads
        // have queued for this channel: all of it is memory the node holds for this peer.
        if (!closing && !ctx.channel().isWritable()) {
            ChannelOutboundBuffer buffer = ctx.channel().unsafe().outboundBuffer();
            long pending = buffer == null ? 0 : buffer.totalPendingWriteBytes();
            if (pending > maxPendingBytes) {
                close(ctx, pending + " bytes wait to be written, over the cap of " + maxPendingBytes);
            }
        }
        if (closing) {
            // Sent nothing more: the frame is dropped here instead of joining megabytes the peer will never read.
            ReferenceCountUtil.release(msg);
            promise.tryFailure(new ClosedChannelException());
            return;
        }
        ctx.write(msg, promise);
    }
    // end::write[]

    // tag::timer[]
    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        if (!ctx.channel().isWritable()) {
            if (unwritableTimer == null) {
                unwritableTimer = ctx.executor().schedule(() -> {
                    unwritableTimer = null;
                    close(ctx, "unwritable for " + unwritableTimeoutMillis + " ms");
                }, unwritableTimeoutMillis, TimeUnit.MILLISECONDS);
            }
        } else {
            cancelTimer(); // it drained below the low-water mark in time: a slow moment, not a slow reader
        }
        ctx.fireChannelWritabilityChanged();
    }
    // end::timer[]

    private void close(ChannelHandlerContext ctx, String why) {
        if (closing) {
            return;
        }
        closing = true;
        cancelTimer();
        // No error frame: it would queue behind everything the peer is not reading. Closing discards the outbound
        // buffer, which is the point; channelInactive then removes the session as for any other close.
        log.warn("closing {}: a slow reader (慢消费者), {}; what it had not read is dropped",
                ctx.channel().remoteAddress(), why);
        ctx.close();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        cancelTimer();
        ctx.fireChannelInactive();
    }

    private void cancelTimer() {
        if (unwritableTimer != null) {
            unwritableTimer.cancel(false);
            unwritableTimer = null;
        }
    }
}
