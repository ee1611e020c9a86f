package com.example.im.server;

import com.example.im.auth.Tokens;
import com.example.im.protocol.ChatMessage;
import com.example.im.protocol.CommandParser;
import com.example.im.protocol.Envelope;
import com.example.im.protocol.ErrorCode;
import com.example.im.protocol.Replies;
import com.example.im.route.RedisRouting;
import com.example.im.route.SessionRef;
import com.google.protobuf.InvalidProtocolBufferException;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.CorruptedFrameException;
import io.netty.handler.codec.DecoderException;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.timeout.IdleState;
import io.netty.handler.timeout.IdleStateEvent;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashSet;
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
    /** Stage 7: a client's id for its message, unique among its own. */
    static final java.util.regex.Pattern CLIENT_MSG_ID = java.util.regex.Pattern.compile("[A-Za-z0-9._:-]{1,64}");

    private final SessionMap sessions;
    private final ServerConfig config;
    private final MessageIds ids;
    private final RedisRouting routing;
    private final Tokens tokens;
    private String uid;

    /**
     * {@code routing} is null for a node without Redis: it then knows only its own users, as in stage 4.
     * {@code tokens} checks the login tokens (stage 8), one instance per node.
     */
    public ChatServerHandler(SessionMap sessions, ServerConfig config, MessageIds ids, RedisRouting routing,
                             Tokens tokens) {
        this.sessions = sessions;
        this.config = config;
        this.ids = ids;
        this.routing = routing;
        this.tokens = tokens;
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, Envelope envelope) {
        switch (envelope.getBodyCase()) {
            case LOGIN -> login(ctx, envelope.getLogin().getUid(), envelope.getLogin().getLastSeq(),
                    envelope.getLogin().getToken());
            case CHAT -> chat(ctx, envelope.getChat());
            case ACK -> ack(ctx, envelope.getAck().getSeq());
            case WHO -> ctx.writeAndFlush(Replies.who(sessions.uids()));
            case PING -> ping(ctx, envelope.getPing().getSentAt(), envelope.getPing().getLastSeq());
            case BODY_NOT_SET -> ctx.writeAndFlush(Replies.error(ErrorCode.UNKNOWN_FRAME,
                    "the envelope has no body set (or one this server does not know)"));
            default -> ctx.writeAndFlush(Replies.error(ErrorCode.UNKNOWN_FRAME,
                    "a client may not send " + envelope.getBodyCase().name().toLowerCase()));
        }
    }

    // tag::login[]
    private void login(ChannelHandlerContext ctx, String newUid, long lastSeq, String token) {
        if (uid != null) {
            ctx.writeAndFlush(Replies.error(ErrorCode.ALREADY_LOGGED_IN, uid + " (open another connection to switch)"));
            return;
        }
        if (!CommandParser.UID.matcher(newUid).matches()) {
            ctx.writeAndFlush(Replies.error(ErrorCode.BAD_INPUT, "a uid is 1-32 of A-Z a-z 0-9 _ . -"));
            return;
        }
        // Stage 8 (docs/08-web-edge.md, "Tokens"): the uid must come with a token the nodes' key signed for it. A
        // refused login gets the reason and the connection is closed, before any session exists anywhere; a client
        // that wants to try again with another token opens a new connection. The token itself is never logged.
        Tokens.Check check = tokens.verify(token, newUid, java.time.Instant.now());
        if (!check.ok()) {
            log.info("login of {} from {} refused ({}): {}", newUid, ctx.channel().remoteAddress(), check.verdict(),
                    check.message());
            LingeringClose.after(ctx, Replies.error(ErrorCode.UNAUTHENTICATED, check.message()));
            return;
        }
        if (lastSeq < -1) {
            ctx.writeAndFlush(Replies.error(ErrorCode.BAD_INPUT, "last_seq is -1 (nothing kept), 0 or a seq"));
            return;
        }
        if (sessions.isClosedForDelivery()) {
            // This node is shutting down (the client connected just before it stopped accepting): no new session
            // here, which nobody would move. Go elsewhere, as every logged-in client was told.
            ctx.writeAndFlush(Replies.goAway("this node is shutting down")).addListener(ChannelFutureListener.CLOSE);
            return;
        }
        uid = newUid;
        String sessionId = ids.next();
        ctx.channel().attr(SessionMap.SESSION_ID).set(sessionId);
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
        if (routing == null) {
            ctx.writeAndFlush(Replies.loggedIn(newUid));
        } else {
            // Acknowledged once Redis knows where the user is: from then on every node can reach them. A session
            // of the same uid on another node is kicked through that node's inbox. If Redis could not record it, no
            // other node could reach this user: the login is refused, and the client tries again later.
            routing.loggedIn(newUid, new SessionRef(sessionId, routing.nodeId()), ctx.channel(),
                    failure -> ctx.executor().execute(() -> {
                        if (failure == null) {
                            ctx.writeAndFlush(Replies.loggedIn(newUid));
                            // Stage 7: what the user's mailbox holds after last_seq follows the login ack, in order.
                            if (!routing.pusher().start(newUid, ctx.channel(), lastSeq)) {
                                // The push lanes are full: nothing would ever be pushed on this connection. The
                                // client logs in again (on a reconnect), and its mailbox waits in Redis meanwhile.
                                ctx.writeAndFlush(Replies.error(ErrorCode.UNAVAILABLE, "this node cannot push to "
                                        + newUid + " right now; log in again later"))
                                        .addListener(ChannelFutureListener.CLOSE);
                            }
                        } else {
                            sessions.remove(newUid, ctx.channel());
                            uid = null;
                            ctx.writeAndFlush(Replies.error(ErrorCode.UNAVAILABLE, "the session of " + newUid
                                    + " could not be recorded; log in again later"))
                                    .addListener(ChannelFutureListener.CLOSE);
                        }
                    }));
        }
    }
    // end::login[]

    // tag::chat[]
    private void chat(ChannelHandlerContext ctx, ChatMessage message) {
        if (uid == null) {
            ctx.writeAndFlush(Replies.error(message, ErrorCode.NOT_LOGGED_IN, "send a login frame first"));
            return;
        }
        boolean direct = !message.getToUid().isEmpty();
        boolean group = message.getToUidListCount() > 0;
        if (direct == group) {
            ctx.writeAndFlush(Replies.error(message, ErrorCode.BAD_INPUT, direct
                    ? "set to_uid (private) or to_uid_list (group), not both"
                    : "a chat message needs to_uid (private) or to_uid_list (group)"));
            return;
        }
        if (message.getContent().isEmpty()) {
            ctx.writeAndFlush(Replies.error(message, ErrorCode.BAD_INPUT, "content is empty"));
            return;
        }
        if (!message.getClientMsgId().isEmpty() && !CLIENT_MSG_ID.matcher(message.getClientMsgId()).matches()) {
            ctx.writeAndFlush(Replies.error(message, ErrorCode.BAD_INPUT,
                    "client_msg_id is 1-64 of A-Z a-z 0-9 . _ : -"));
            return;
        }
        // The server stamps id, sender and time: whatever the client put there is overwritten, so no client can
        // speak for someone else or forge an id that collides with another message. A seq is the recipient's.
        ChatMessage stamped = message.toBuilder()
                .setMsgId(ids.next())
                .setFromUid(uid)
                .setTimestamp(System.currentTimeMillis())
                .clearSeq()
                .build();
        if (routing != null) {
            store(ctx, stamped, direct);
        } else if (direct) {
            sendPrivate(ctx, stamped);
        } else {
            sendGroup(ctx, stamped);
        }
    }
    // end::chat[]

    // tag::store[]
    /**
     * Stage 7: the message goes into every recipient's mailbox first; the sender's acknowledgement comes only once
     * every append succeeded. Then the recipients' nodes push it from there (docs/07-reliable-delivery.md). A
     * recipient who is not connected anywhere gets it at the next login: no OFFLINE error any more; the
     * acknowledgement lists them as offline (stored, not yet pushed).
     */
    private void store(ChannelHandlerContext ctx, ChatMessage message, boolean direct) {
        List<String> recipients;
        if (direct) {
            if (!CommandParser.UID.matcher(message.getToUid()).matches()) {
                ctx.writeAndFlush(Replies.error(message, ErrorCode.BAD_INPUT, "to_uid is not a valid uid"));
                return;
            }
            recipients = List.of(message.getToUid());
        } else {
            if (message.getToUidListCount() > config.maxGroupSize()) {
                ctx.writeAndFlush(Replies.error(message, ErrorCode.GROUP_TOO_LARGE, "to_uid_list has "
                        + message.getToUidListCount() + " uids; the limit is " + config.maxGroupSize()));
                return;
            }
            Set<String> members = new LinkedHashSet<>(message.getToUidListList());
            for (String member : members) {
                if (!CommandParser.UID.matcher(member).matches()) {
                    ctx.writeAndFlush(Replies.error(message, ErrorCode.BAD_INPUT, "to_uid_list holds an invalid uid"));
                    return;
                }
            }
            members.remove(uid); // the sender does not receive their own message
            recipients = List.copyOf(members);
        }
        String clientMsgId = message.getClientMsgId();
        routing.store(message, recipients, ctx.executor(), stored -> {
            if (stored.failure() != null) {
                ctx.writeAndFlush(Replies.error(message, ErrorCode.UNAVAILABLE, "the message could not be stored"
                        + (clientMsgId.isEmpty() ? "; send it again" : "; send it again with the same client_msg_id")));
                return;
            }
            List<String> online = recipients.stream().filter(stored.owners()::containsKey).toList();
            List<String> offline = recipients.stream().filter(r -> !stored.owners().containsKey(r)).toList();
            ctx.writeAndFlush(Replies.sent(stored.msgId(), clientMsgId, online, offline));
        });
    }
    // end::store[]

    /** Stage 7: the client has shown everything up to {@code seq}; the pusher may send the next page. */
    private void ack(ChannelHandlerContext ctx, long seq) {
        if (uid == null) {
            ctx.writeAndFlush(Replies.error(ErrorCode.NOT_LOGGED_IN, "send a login frame first"));
            return;
        }
        if (seq < 0) {
            ctx.writeAndFlush(Replies.error(ErrorCode.BAD_INPUT, "an ack's seq is 0 or more"));
            return;
        }
        if (routing != null) {
            routing.pusher().acknowledged(uid, ctx.channel(), seq);
        }
    }

    /** The pong carries the newest seq this node knows for the user; a client that is behind gets pushed now. */
    private void ping(ChannelHandlerContext ctx, long sentAt, long lastSeq) {
        long latest = routing == null ? 0 : com.example.im.route.Pusher.latest(ctx.channel());
        ctx.writeAndFlush(Replies.pong(sentAt, latest));
        if (routing != null && uid != null && lastSeq < latest) {
            routing.pusher().poke(List.of(uid));
        }
    }

    private void sendPrivate(ChannelHandlerContext ctx, ChatMessage message) {
        String to = message.getToUid();
        if (!CommandParser.UID.matcher(to).matches()) {
            ctx.writeAndFlush(Replies.error(message, ErrorCode.BAD_INPUT, "to_uid is not a valid uid"));
            return;
        }
        if (sessions.deliver(List.of(to), Replies.message(message)).isEmpty()) {
            // local SessionMap first: no Redis at all
            ctx.writeAndFlush(Replies.sent(message.getMsgId(), message.getClientMsgId(), List.of(to), List.of()));
            return;
        }
        if (routing == null) {
            ctx.writeAndFlush(Replies.error(message, ErrorCode.OFFLINE, to + " is not on this node"));
            return;
        }
        // tag::route[]
        // Not here: the forwarder looks the session up in Redis and pushes to the owner's inbox, in a batch with
        // whatever else is waiting. The answer comes back on this connection's event loop.
        routing.route(message, List.of(to), ctx.executor(), outcome -> {
            if (outcome.failure() != null) {
                ctx.writeAndFlush(Replies.error(message, ErrorCode.UNAVAILABLE,
                        to + " is not on this node and the other nodes cannot be reached right now"));
            } else if (outcome.offline().contains(to)) {
                ctx.writeAndFlush(Replies.error(message, ErrorCode.OFFLINE, to));
            } else {
                ctx.writeAndFlush(Replies.sent(message.getMsgId(), message.getClientMsgId(), List.of(to), List.of()));
            }
        });
        // end::route[]
    }

    // tag::group[]
    /** The article's 方式二: one frame from the sender, one copy per online member, offline members reported back. */
    private void sendGroup(ChannelHandlerContext ctx, ChatMessage message) {
        if (message.getToUidListCount() > config.maxGroupSize()) {
            ctx.writeAndFlush(Replies.error(message, ErrorCode.GROUP_TOO_LARGE, "to_uid_list has "
                    + message.getToUidListCount() + " uids; the limit is " + config.maxGroupSize()));
            return;
        }
        Set<String> members = new LinkedHashSet<>(message.getToUidListList()); // duplicates get one copy
        for (String member : members) {
            if (!CommandParser.UID.matcher(member).matches()) {
                ctx.writeAndFlush(Replies.error(message, ErrorCode.BAD_INPUT, "to_uid_list holds an invalid uid"));
                return;
            }
        }
        members.remove(uid); // the sender does not receive their own message
        // Encoded once for all local members; the others are elsewhere (or this node is shutting down).
        List<String> elsewhere = sessions.deliver(List.copyOf(members), Replies.message(message));
        Set<String> sentHere = new HashSet<>(members);
        elsewhere.forEach(sentHere::remove);
        if (elsewhere.isEmpty() || routing == null) {
            ctx.writeAndFlush(Replies.sent(message.getMsgId(), message.getClientMsgId(), inOrder(members, sentHere),
                    elsewhere));
            return;
        }
        // One entry per node that has members, not one per member (the article pushed once per member).
        routing.route(message, elsewhere, ctx.executor(), outcome -> {
            if (outcome.failure() != null) {
                ctx.writeAndFlush(Replies.error(message, ErrorCode.UNAVAILABLE, "sent to the " + sentHere.size()
                        + " members on this node; the other nodes cannot be reached right now"));
                return;
            }
            Set<String> sent = new HashSet<>(sentHere);
            sent.addAll(outcome.queued());
            ctx.writeAndFlush(Replies.sent(message.getMsgId(), message.getClientMsgId(), inOrder(members, sent),
                    inOrder(members, outcome.offline())));
        });
    }

    /** The members of {@code subset}, in the order the sender listed them. */
    private static List<String> inOrder(Set<String> members, Set<String> subset) {
        return members.stream().filter(subset::contains).toList();
    }
    // end::group[]

    // tag::idle[]
    /** The IdleStateHandler in front of us fires this when no frame arrived for the reader idle time. */
    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object event) {
        if (event instanceof IdleStateEvent idle && idle.state() == IdleState.READER_IDLE) {
            // A client pings every few seconds when it has nothing else to say, so silence this long means the
            // peer is gone without a FIN/RST reaching us (crash, pulled cable, NAT drop): a 假死 connection.
            // Closing it runs channelInactive, which removes the session, so messages to this user now get OFFLINE.
            log.info("closing {} ({}): no frame for {} ms, the connection is dead", ctx.channel().remoteAddress(),
                    uid == null ? "not logged in" : uid, config.readerIdleMillis());
            ctx.close();
        } else {
            ctx.fireUserEventTriggered(event);
        }
    }
    // end::idle[]

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        if (uid != null && sessions.remove(uid, ctx.channel())) {
            log.info("{} disconnected; session removed", uid);
            if (routing != null) {
                SessionRef ref = new SessionRef(ctx.channel().attr(SessionMap.SESSION_ID).get(), routing.nodeId());
                if (sessions.isClosedForDelivery()) {
                    // Shutting down: the session stays in Redis until the user logs in elsewhere, so messages
                    // for them keep coming to this inbox, which forwards them; step 5 removes what is left.
                    routing.releaseLater(uid, ref);
                } else {
                    routing.loggedOut(uid, ref);
                }
            }
        }
        ctx.fireChannelInactive();
    }

    /** Stage 7: the client has read what was waiting; the pusher stopped at the high-water mark and goes on. */
    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        if (routing != null && uid != null && ctx.channel().isWritable()) {
            routing.pusher().poke(List.of(uid));
        }
        ctx.fireChannelWritabilityChanged();
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
