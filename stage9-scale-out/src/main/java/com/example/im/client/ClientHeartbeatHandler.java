package com.example.im.client;

import com.example.im.protocol.Envelope;
import com.example.im.protocol.Ping;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.timeout.IdleState;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.util.AttributeKey;

/**
 * The client's half of the heartbeat (docs/03-heartbeat.md). Sits behind an {@code IdleStateHandler} configured with
 * the ping interval (writer idle) and the dead-link timeout (reader idle):
 * <ul>
 *   <li>nothing written for the ping interval: send a ping;</li>
 *   <li>nothing read for the reader idle time (not even a pong): the link is dead, close it;</li>
 *   <li>pongs are consumed here: their arrival has already reset the reader idle timer, which is all they are for.</li>
 * </ul>
 */
public final class ClientHeartbeatHandler extends ChannelInboundHandlerAdapter {

    /** Why this side closed a connection, for the message the user sees. */
    public static final AttributeKey<String> CLOSE_REASON = AttributeKey.valueOf("im.close-reason");

    private final long readerIdleMillis;
    private final java.util.function.LongSupplier lastSeq;

    public ClientHeartbeatHandler(long readerIdleMillis) {
        this(readerIdleMillis, () -> 0);
    }

    /** Stage 7: each ping carries the highest contiguous seq the client has shown ({@code lastSeq}). */
    public ClientHeartbeatHandler(long readerIdleMillis, java.util.function.LongSupplier lastSeq) {
        this.readerIdleMillis = readerIdleMillis;
        this.lastSeq = lastSeq;
    }

    // tag::heartbeat[]
    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object event) {
        if (event instanceof IdleStateEvent idle && idle.state() == IdleState.WRITER_IDLE) {
            // Nothing written for the ping interval: say we are alive (and ask the server to prove it is).
            ctx.writeAndFlush(Envelope.newBuilder()
                    .setPing(Ping.newBuilder().setSentAt(System.currentTimeMillis())
                            .setLastSeq(Math.max(0, lastSeq.getAsLong()))).build());
        } else if (event instanceof IdleStateEvent idle && idle.state() == IdleState.READER_IDLE) {
            // Not even a pong for several ping intervals: the link is dead even if TCP has not noticed.
            ctx.channel().attr(CLOSE_REASON).set("no frame from the server for " + readerIdleMillis
                    + " ms (pongs missing)");
            ctx.close();
        } else {
            ctx.fireUserEventTriggered(event);
        }
    }
    // end::heartbeat[]

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof Envelope frame && frame.getBodyCase() == Envelope.BodyCase.PONG) {
            return;
        }
        ctx.fireChannelRead(msg);
    }
}
