package com.example.im.server;

import com.example.im.protocol.ChatMessage;
import com.example.im.protocol.CommandParser;
import com.example.im.protocol.Envelope;
import com.example.im.protocol.ErrorCode;
import com.example.im.protocol.Replies;
import com.google.protobuf.InvalidProtocolBufferException;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.CorruptedFrameException;
import io.netty.handler.codec.DecoderException;
import io.netty.handler.codec.TooLongFrameException;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One instance per connection: reads decoded envelopes, runs the request, writes the reply. {@link #uid} is this
 * connection's login and is only touched on the connection's own event-loop thread, so it needs no lock
 * (docs/02-protobuf.md, "Stamping and routing a chat message").
 */
public final class ChatServerHandler extends SimpleChannelInboundHandler<Envelope> {

    private static final Logger log = LoggerFactory.getLogger(ChatServerHandler.class);

    private final SessionMap sessions;
    private final ServerConfig config;
    private final MessageIds ids;
    private String uid;

    public ChatServerHandler(SessionMap sessions, ServerConfig config, MessageIds ids) {
        this.sessions = sessions;
        this.config = config;
        this.ids = ids;
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, Envelope envelope) {
        switch (envelope.getBodyCase()) {
            case LOGIN -> login(ctx, envelope.getLogin().getUid());
            case CHAT -> chat(ctx, envelope.getChat());
            case WHO -> ctx.writeAndFlush(Replies.who(sessions.uids()));
            case BODY_NOT_SET -> ctx.writeAndFlush(Replies.error(ErrorCode.UNKNOWN_FRAME,
                    "the envelope has no body set (or one this server does not know)"));
            default -> ctx.writeAndFlush(Replies.error(ErrorCode.UNKNOWN_FRAME,
                    "a client may not send " + envelope.getBodyCase().name().toLowerCase()));
        }
    }

    // tag::login[]
    private void login(ChannelHandlerContext ctx, String newUid) {
        if (uid != null) {
            ctx.writeAndFlush(Replies.error(ErrorCode.ALREADY_LOGGED_IN, uid + " (open another connection to switch)"));
            return;
        }
        if (!CommandParser.UID.matcher(newUid).matches()) {
            ctx.writeAndFlush(Replies.error(ErrorCode.BAD_INPUT, "a uid is 1-32 of A-Z a-z 0-9 _ . -"));
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

    // tag::chat[]
    private void chat(ChannelHandlerContext ctx, ChatMessage message) {
        if (uid == null) {
            ctx.writeAndFlush(Replies.error(ErrorCode.NOT_LOGGED_IN, "send a login frame first"));
            return;
        }
        boolean direct = !message.getToUid().isEmpty();
        boolean group = message.getToUidListCount() > 0;
        if (direct == group) {
            ctx.writeAndFlush(Replies.error(ErrorCode.BAD_INPUT, direct
                    ? "set to_uid (private) or to_uid_list (group), not both"
                    : "a chat message needs to_uid (private) or to_uid_list (group)"));
            return;
        }
        if (message.getContent().isEmpty()) {
            ctx.writeAndFlush(Replies.error(ErrorCode.BAD_INPUT, "content is empty"));
            return;
        }
        // The server stamps id, sender and time: whatever the client put there is overwritten, so no client can
        // speak for someone else or forge an id that collides with another message.
        ChatMessage stamped = message.toBuilder()
                .setMsgId(ids.next())
                .setFromUid(uid)
                .setTimestamp(System.currentTimeMillis())
                .build();
        if (direct) {
            sendPrivate(ctx, stamped);
        } else {
            sendGroup(ctx, stamped);
        }
    }
    // end::chat[]

    private void sendPrivate(ChannelHandlerContext ctx, ChatMessage message) {
        String to = message.getToUid();
        if (!CommandParser.UID.matcher(to).matches()) {
            ctx.writeAndFlush(Replies.error(ErrorCode.BAD_INPUT, "to_uid is not a valid uid"));
            return;
        }
        Channel target = sessions.find(to);
        if (target == null) {
            ctx.writeAndFlush(Replies.error(ErrorCode.OFFLINE, to));
            return;
        }
        target.writeAndFlush(Replies.message(message));
        ctx.writeAndFlush(Replies.sent(message.getMsgId(), List.of(to), List.of()));
    }

    // tag::group[]
    /** The article's 方式二: one frame from the sender, one copy per online member, offline members reported back. */
    private void sendGroup(ChannelHandlerContext ctx, ChatMessage message) {
        if (message.getToUidListCount() > config.maxGroupSize()) {
            ctx.writeAndFlush(Replies.error(ErrorCode.GROUP_TOO_LARGE, "to_uid_list has "
                    + message.getToUidListCount() + " uids; the limit is " + config.maxGroupSize()));
            return;
        }
        Set<String> members = new LinkedHashSet<>(message.getToUidListList()); // duplicates get one copy
        for (String member : members) {
            if (!CommandParser.UID.matcher(member).matches()) {
                ctx.writeAndFlush(Replies.error(ErrorCode.BAD_INPUT, "to_uid_list holds an invalid uid"));
                return;
            }
        }
        members.remove(uid); // the sender does not receive their own message
        List<String> sent = new ArrayList<>(members.size());
        List<String> offline = new ArrayList<>();
        // Encode once, write the same bytes to every member: N members cost one protobuf encoding, not N.
        ByteBuf encoded = Unpooled.wrappedBuffer(Replies.message(message).toByteArray());
        try {
            for (String member : members) {
                Channel target = sessions.find(member);
                if (target == null) {
                    offline.add(member);
                } else {
                    target.writeAndFlush(encoded.retainedDuplicate());
                    sent.add(member);
                }
            }
        } finally {
            encoded.release();
        }
        ctx.writeAndFlush(Replies.sent(message.getMsgId(), sent, offline));
    }
    // end::group[]

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
        if (cause instanceof TooLongFrameException || cause instanceof CorruptedFrameException) {
            // The framing is broken: we cannot tell where the next frame starts. Say why, then hang up (without a
            // reset that could wipe the error before the client reads it: LingeringClose).
            ErrorCode code = cause instanceof TooLongFrameException
                    ? ErrorCode.FRAME_TOO_LARGE : ErrorCode.CORRUPTED_FRAME;
            log.info("closing {}: {}", ctx.channel().remoteAddress(), cause.getMessage());
            LingeringClose.after(ctx, Replies.error(code, cause.getMessage() + "; closing the connection"));
        } else if (cause instanceof DecoderException && cause.getCause() instanceof InvalidProtocolBufferException) {
            // The frame had a sound length but is not protobuf. The next frame is still findable: stay open.
            ctx.writeAndFlush(Replies.error(ErrorCode.MALFORMED_FRAME, "the frame is not a valid Envelope"));
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
