package com.example.im.server;

import com.example.im.protocol.Envelope;
import com.example.im.protocol.ErrorCode;
import com.example.im.protocol.Replies;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Closes a connection that has not logged in within the login timeout (docs/03-heartbeat.md, "Two more bounds").
 * Reader-idle eviction does not cover it: a client that pings is never idle, so without a deadline one client could
 * hold thousands of sockets (file descriptors, buffers, a slot in every event loop) without ever naming a uid.
 *
 * <p>It sits between the encoder and {@link ChatServerHandler} and watches what the handler writes: the first
 * {@code login_ack} means the login succeeded, and the handler takes itself out of the pipeline, so a logged-in
 * connection pays nothing for it. A refused login (a bad uid) does not count; pings do not extend the deadline.
 */
public final class LoginDeadlineHandler extends ChannelDuplexHandler {

    private static final Logger log = LoggerFactory.getLogger(LoginDeadlineHandler.class);

    private final long loginTimeoutMillis;
    private ScheduledFuture<?> deadline;

    public LoginDeadlineHandler(long loginTimeoutMillis) {
        this.loginTimeoutMillis = loginTimeoutMillis;
    }

    // tag::deadline[]
    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        // Added by the initializer of an accepted connection, so the clock starts when the connection does.
        deadline = ctx.executor().schedule(() -> {
            log.info("closing {}: no login within {} ms", ctx.channel().remoteAddress(), loginTimeoutMillis);
            // The close right after the write first flushes it (the flush handler flushes before any close): the
            // frame goes to the socket if it has room, and the FIN behind it. Waiting for the write to complete
            // instead could wait for ever on a client that does not read.
            ctx.writeAndFlush(Replies.error(ErrorCode.NOT_LOGGED_IN,
                    "no login within " + loginTimeoutMillis + " ms; closing the connection"));
            ctx.close();
        }, loginTimeoutMillis, TimeUnit.MILLISECONDS);
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
        boolean loggedIn = msg instanceof Envelope envelope && envelope.hasLoginAck();
        ctx.write(msg, promise);
        if (loggedIn) {
            ctx.pipeline().remove(this); // handlerRemoved cancels the deadline
        }
    }
    // end::deadline[]

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        if (deadline != null) {
            deadline.cancel(false);
        }
    }
}
