package com.example.im.server;

import com.example.im.protocol.Command;
import com.example.im.protocol.CommandParser;
import com.example.im.protocol.ErrorCode;
import com.example.im.protocol.ProtocolException;
import com.example.im.protocol.Replies;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.TooLongFrameException;
import java.io.IOException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One instance per connection: reads decoded lines, runs the command, writes the reply. {@link #uid} is this
 * connection's login and is only touched on the connection's own event-loop thread, so it needs no lock
 * (docs/01-single-node.md, "Starting the server").
 */
public final class ChatServerHandler extends SimpleChannelInboundHandler<String> {

    private static final Logger log = LoggerFactory.getLogger(ChatServerHandler.class);

    private final SessionMap sessions;
    private final int maxLineLength;
    private String uid;

    public ChatServerHandler(SessionMap sessions, int maxLineLength) {
        this.sessions = sessions;
        this.maxLineLength = maxLineLength;
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, String line) {
        Command command;
        try {
            command = CommandParser.parse(line);
        } catch (ProtocolException e) {
            // A line we cannot use is answered, not fatal: the framing is intact, so the connection stays open.
            ctx.writeAndFlush(Replies.error(e.code(), e.getMessage()));
            return;
        }
        if (command instanceof Command.Login login) {
            login(ctx, login.uid());
        } else if (command instanceof Command.Send send) {
            send(ctx, send);
        } else if (command instanceof Command.Who) {
            ctx.writeAndFlush(Replies.who(sessions.uids()));
        } else if (command instanceof Command.Help) {
            ctx.writeAndFlush(Replies.HELP);
        } else if (command instanceof Command.Quit) {
            ctx.writeAndFlush(Replies.bye()).addListener(ChannelFutureListener.CLOSE);
        }
    }

    // tag::login[]
    private void login(ChannelHandlerContext ctx, String newUid) {
        if (uid != null) {
            ctx.writeAndFlush(Replies.error(ErrorCode.ALREADY_LOGGED_IN, uid + " (open another connection to switch)"));
            return;
        }
        uid = newUid;
        Channel previous = sessions.bind(newUid, ctx.channel());
        if (previous != null && previous != ctx.channel()) {
            // Duplicate login: the newest connection wins. The old one is told why, then closed; its own
            // channelInactive will not remove the session, which now belongs to this connection.
            log.info("{} logged in again from {}; closing {}", newUid, ctx.channel().remoteAddress(),
                    previous.remoteAddress());
            previous.writeAndFlush(Replies.error(ErrorCode.KICKED, newUid + " logged in from another connection"))
                    .addListener(ChannelFutureListener.CLOSE);
        }
        log.info("{} logged in from {}", newUid, ctx.channel().remoteAddress());
        ctx.writeAndFlush(Replies.loggedIn(newUid));
    }
    // end::login[]

    // tag::send[]
    private void send(ChannelHandlerContext ctx, Command.Send send) {
        if (uid == null) {
            ctx.writeAndFlush(Replies.error(ErrorCode.NOT_LOGGED_IN, "send LOGIN <uid> first"));
            return;
        }
        Channel target = sessions.find(send.toUid());
        if (target == null) {
            ctx.writeAndFlush(Replies.error(ErrorCode.OFFLINE, send.toUid()));
            return;
        }
        // The sender's uid comes from the session, never from the line: a client cannot speak for someone else.
        target.writeAndFlush(Replies.message(uid, send.text()));
        ctx.writeAndFlush(Replies.sent(send.toUid()));
    }
    // end::send[]

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        if (uid != null && sessions.remove(uid, ctx.channel())) {
            log.info("{} disconnected; session removed", uid);
        }
        ctx.fireChannelInactive();
    }

    // tag::errors[]
    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (cause instanceof TooLongFrameException) {
            // The framing is broken: we cannot tell where the next command starts. Say why, then hang up (without a
            // reset that could wipe the error before the client reads it: LingeringClose).
            log.info("closing {}: line longer than {} bytes", ctx.channel().remoteAddress(), maxLineLength);
            LingeringClose.after(ctx, Replies.error(ErrorCode.TOO_LONG, "line longer than " + maxLineLength
                    + " bytes; closing the connection"));
        } else if (cause instanceof IOException) {
            // Connection reset by the peer and the like: routine on the internet, not worth a stack trace.
            log.debug("I/O error on {}: {}", ctx.channel().remoteAddress(), cause.toString());
            ctx.close();
        } else {
            log.warn("unexpected error on {}; closing it", ctx.channel().remoteAddress(), cause);
            ctx.close();
        }
    }
    // end::errors[]
}
