package com.example.im.checker.run;

import com.example.im.checker.analysis.Analysis;
import com.example.im.checker.history.Event;
import com.example.im.checker.history.History;
import com.example.im.checker.wire.Ack;
import com.example.im.checker.wire.ChatMessage;
import com.example.im.checker.wire.Envelope;
import com.example.im.checker.wire.ErrorCode;
import com.example.im.checker.wire.Login;
import com.example.im.checker.wire.Ping;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.protobuf.ProtobufDecoder;
import io.netty.handler.codec.protobuf.ProtobufEncoder;
import io.netty.handler.codec.protobuf.ProtobufVarint32FrameDecoder;
import io.netty.handler.codec.protobuf.ProtobufVarint32LengthFieldPrepender;
import io.netty.handler.timeout.IdleState;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.handler.timeout.IdleStateHandler;
import io.netty.util.concurrent.ScheduledFuture;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Random;
import java.util.SplittableRandom;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * One user of the workload, speaking the wire protocol itself (the checker links no stage's client). It behaves as
 * the stages' client does: it finds a node in ZooKeeper, logs in, pings when it has written nothing for a second,
 * takes a missing pong (3 s without a frame) for a dead link, goes to another node at once on GoAway and otherwise
 * reconnects with exponential backoff. Its timings are shorter than the stages' defaults (a ping after 1 s of silence
 * instead of 5 s; a link is dead after 8 s without a frame instead of 15 s) to keep a run short, but they keep the
 * defaults' order: the client waits longer than a node's ZooKeeper session lasts (8 s against the checker's 4 s, as
 * 15 s against 10 s). So a node frozen past its session (the {@code pause} fault, 7 s) still has its clients when it
 * wakes up, as it would after a long GC pause in production — the case where a survivor must not take its messages.
 *
 * <p>It keeps one message in flight: the next {@code SendAck} or error reply answers it, so every reply is tied to
 * its message without relying on anything the server stamps. No reply within {@link #REPLY_TIMEOUT_MS} and the
 * client gives up on the connection, as a real client whose request timed out would, so a late reply can never be
 * taken for the answer to a later message. A message is never sent twice: judging the stage, not the client's
 * retries, is the point.
 *
 * <p><b>Reliable mode</b> ({@code client = reliable} in the stage's promise, stage 7 on) behaves as stage 7's
 * {@code ChatClient} instead, because there the client's retries are part of the protocol: every message carries a
 * {@code client_msg_id} ({@code <uid>-<seq>}); a message not acknowledged within {@link #RESEND_MS} is sent again with
 * the same id on the same connection, and after a reconnect on the new one (the server stores it once); an
 * {@code UNAVAILABLE} refusal is for now only, and the message goes again later. Replies are tied to messages by that
 * id, and any {@code SendAck} for the id records the message as accepted. Still one message in flight: the next is sent
 * once this one is acknowledged (or refused for good), so a sender's messages enter the mailboxes in its order. On the
 * receiving side it shows a message only if its mailbox seq is the next one ({@link Display}), records only what it
 * shows as a delivery (and what it drops as {@code dropped}), acknowledges cumulatively after each batch of reads, and
 * logs in and pings with the last seq it showed (-1 at first).
 */
final class CheckClient {

    static final long REPLY_TIMEOUT_MS = 10_000;
    /** Reliable mode: a message not acknowledged for this long is sent again (stage 7's ChatClient.RESEND_MILLIS). */
    static final long RESEND_MS = 5_000;
    static final int PING_EVERY_S = 1;
    static final int DEAD_AFTER_S = 8;
    /** Error codes that answer a send; any other error (KICKED, ALREADY_LOGGED_IN ...) is about the connection. */
    private static final Set<ErrorCode> SEND_ERRORS = Set.of(ErrorCode.OFFLINE, ErrorCode.UNAVAILABLE,
            ErrorCode.BAD_INPUT, ErrorCode.GROUP_TOO_LARGE, ErrorCode.NOT_LOGGED_IN, ErrorCode.UNKNOWN_FRAME);

    final String uid;
    private final Directory directory;
    private final EventLoopGroup group;
    private final History history;
    private final Random random;
    private final boolean reliable;

    // Guarded by this.
    private Channel channel;
    private String node = "";
    private boolean loggedIn;
    private final Auth auth;
    private long awaiting = -1;
    private ScheduledFuture<?> replyTimer;
    private long nextSeq = 1;
    private int failures;
    private boolean stopped;
    private long sent;
    // Reliable mode, guarded by this.
    private Envelope awaitingFrame;       // the message in flight, as sent: sent again with the same client_msg_id
    private final Display display = new Display();
    private long ackedSeq = -1;          // the highest seq acknowledged to the server

    CheckClient(String uid, Directory directory, EventLoopGroup group, History history, long seed) {
        this(uid, directory, group, history, seed, false);
    }

    CheckClient(String uid, Directory directory, EventLoopGroup group, History history, long seed, boolean reliable) {
        this(uid, directory, group, history, seed, reliable, null);
    }

    /** {@code auth}: a stage 8 stage's key, to sign a fresh token for every login (null: logins carry none). */
    CheckClient(String uid, Directory directory, EventLoopGroup group, History history, long seed, boolean reliable,
                Auth auth) {
        this.auth = auth;
        this.reliable = reliable;
        this.uid = uid;
        this.directory = directory;
        this.group = group;
        this.history = history;
        this.random = randomFor(seed, uid);
    }

    /**
     * The client's own random numbers (which node it picks, its backoff), from the run's seed and its uid. The two are
     * mixed first: {@code new Random(seed ^ uid.hashCode())} gives seeds that differ in their low bits only, and the
     * first {@code nextInt(2)} of such Randoms is the same, so with two (or four) nodes every client picked the same
     * node and no message crossed nodes.
     */
    static Random randomFor(long seed, String uid) {
        return new Random(new SplittableRandom(seed * 31 + uid.hashCode()).nextLong());
    }

    void start() {
        connect();
    }

    /** Logged in, nothing in flight: a message may be sent now. */
    synchronized boolean idle() {
        return loggedIn && awaiting < 0 && !stopped;
    }

    synchronized boolean inFlight() {
        return awaiting >= 0;
    }

    synchronized long sent() {
        return sent;
    }

    /** Sends the next message to {@code to} if the client is idle; its body names (sender, sequence). */
    synchronized boolean trySend(List<String> to) {
        if (!idle()) {
            return false;
        }
        long seq = nextSeq++;
        sent++;
        awaiting = seq;
        ChatMessage.Builder chat = ChatMessage.newBuilder().setContent(uid + ":" + seq);
        if (to.size() == 1) {
            chat.setToUid(to.get(0));
        } else {
            chat.addAllToUidList(to);
        }
        if (reliable) {
            chat.setClientMsgId(clientMsgId(uid, seq));
        }
        Envelope frame = Envelope.newBuilder().setChat(chat).build();
        history.add(Event.send(history.now(), uid, seq, List.copyOf(to)));
        Channel ch = channel;
        if (reliable) {
            awaitingFrame = frame;
            replyTimer = ch.eventLoop().schedule(() -> resendDue(ch, seq), RESEND_MS, TimeUnit.MILLISECONDS);
        } else {
            replyTimer = ch.eventLoop().schedule(() -> replyTimedOut(ch, seq), REPLY_TIMEOUT_MS,
                    TimeUnit.MILLISECONDS);
        }
        ch.writeAndFlush(frame);
        return true;
    }

    /** A reliable client's id for its message number {@code seq}: unique among the sender's messages. */
    static String clientMsgId(String uid, long seq) {
        return uid + "-" + seq;
    }

    /** The message number in a client_msg_id of this client's, or -1 when it is not one of this client's ids. */
    static long seqOf(String uid, String clientMsgId) {
        String prefix = uid + "-";
        if (clientMsgId == null || !clientMsgId.startsWith(prefix)) {
            return -1;
        }
        try {
            long seq = Long.parseLong(clientMsgId.substring(prefix.length()));
            return seq > 0 ? seq : -1;
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    /** Reliable mode: no acknowledgement within RESEND_MS on this connection; the same frame goes again. */
    private void resendDue(Channel ch, long seq) {
        Envelope frame;
        synchronized (this) {
            if (awaiting != seq || channel != ch || !loggedIn || awaitingFrame == null) {
                return; // answered, or the connection is gone: the next login sends it again
            }
            frame = awaitingFrame;
            replyTimer = ch.eventLoop().schedule(() -> resendDue(ch, seq), RESEND_MS, TimeUnit.MILLISECONDS);
        }
        history.add(Event.resend(history.now(), uid, seq, "not acknowledged in " + RESEND_MS + " ms"));
        ch.writeAndFlush(frame);
    }

    /** Reliable mode, after a login: the message still in flight goes again on the new connection. */
    private void resendAfterLogin(Channel ch) {
        Envelope frame;
        long seq;
        synchronized (this) {
            if (awaiting < 0 || awaitingFrame == null || channel != ch) {
                return;
            }
            frame = awaitingFrame;
            seq = awaiting;
            if (replyTimer != null) {
                replyTimer.cancel(false);
            }
            replyTimer = ch.eventLoop().schedule(() -> resendDue(ch, seq), RESEND_MS, TimeUnit.MILLISECONDS);
        }
        history.add(Event.resend(history.now(), uid, seq, "after a reconnect"));
        ch.writeAndFlush(frame);
    }

    private void replyTimedOut(Channel ch, long seq) {
        synchronized (this) {
            if (awaiting != seq || channel != ch) {
                return;
            }
            history.add(Event.noReply(history.now(), uid, seq, "no reply in " + REPLY_TIMEOUT_MS + " ms"));
            awaiting = -1;
            // Not idle until the next login: else the workload could send on the channel closed just below, and the
            // message would be recorded as sent without ever being written.
            loggedIn = false;
        }
        Handler handler = ch.pipeline().get(Handler.class);
        if (handler != null) {
            handler.why = "no reply in " + REPLY_TIMEOUT_MS + " ms: the client gave up on the connection";
        }
        ch.close();
    }

    void stop() {
        Channel ch;
        synchronized (this) {
            stopped = true;
            ch = channel;
        }
        if (ch != null) {
            ch.close().awaitUninterruptibly(2, TimeUnit.SECONDS);
        }
    }

    private void connect() {
        synchronized (this) {
            if (stopped) {
                return;
            }
        }
        List<Directory.Entry> nodes = directory.nodes();
        if (nodes.isEmpty()) {
            retryLater();
            return;
        }
        Directory.Entry target = nodes.get(random.nextInt(nodes.size()));
        InetSocketAddress address = new InetSocketAddress(target.address().getHostString(), target.address().getPort());
        Bootstrap bootstrap = new Bootstrap().group(group).channel(NioSocketChannel.class)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, 2_000)
                .option(ChannelOption.TCP_NODELAY, true)
                .handler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ch.pipeline().addLast(new IdleStateHandler(DEAD_AFTER_S, PING_EVERY_S, 0),
                                new ProtobufVarint32FrameDecoder(),
                                new ProtobufDecoder(Envelope.getDefaultInstance()),
                                new ProtobufVarint32LengthFieldPrepender(), new ProtobufEncoder(),
                                new Handler(target.nodeId()));
                    }
                });
        ChannelFuture connecting = bootstrap.connect(address);
        connecting.addListener(f -> {
            if (!f.isSuccess()) {
                retryLater();
                return;
            }
            Channel ch = connecting.channel();
            synchronized (this) {
                if (stopped) {
                    ch.close();
                    return;
                }
                channel = ch;
                node = target.nodeId();
            }
            Login.Builder login = Login.newBuilder().setUid(uid);
            if (auth != null) {
                login.setToken(auth.token(uid)); // fresh at every login, as stage 8's ChatClient asks its source
            }
            if (reliable) {
                synchronized (this) {
                    login.setLastSeq(display.last()); // -1 at first: the server resumes from its own cursor
                }
            }
            ch.writeAndFlush(Envelope.newBuilder().setLogin(login).build());
            // A login that is never answered (a paused node) is a dead link too.
            ch.eventLoop().schedule(() -> {
                synchronized (this) {
                    if (channel == ch && !loggedIn) {
                        ch.close();
                    }
                }
            }, DEAD_AFTER_S, TimeUnit.SECONDS);
        });
    }

    private void retryLater() {
        long delay;
        synchronized (this) {
            if (stopped) {
                return;
            }
            delay = Math.min(2_000, 100L << Math.min(failures, 5));
            delay = delay / 2 + random.nextInt((int) (delay / 2) + 1);
            failures++;
        }
        group.schedule(this::connect, delay, TimeUnit.MILLISECONDS);
    }

    private final class Handler extends SimpleChannelInboundHandler<Envelope> {
        private final String nodeId;
        private boolean goingAway;
        private String why = "closed by the server";

        Handler(String nodeId) {
            this.nodeId = nodeId;
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, Envelope frame) {
            long t = history.now();
            switch (frame.getBodyCase()) {
                case LOGIN_ACK -> {
                    synchronized (CheckClient.this) {
                        loggedIn = true;
                        failures = 0;
                    }
                    history.add(Event.login(t, uid, nodeId));
                    if (reliable) {
                        resendAfterLogin(ctx.channel());
                    }
                }
                case SEND_ACK -> {
                    if (reliable) {
                        reliableAck(t, frame);
                        return;
                    }
                    long seq = settle();
                    if (seq >= 0) {
                        history.add(Event.ack(t, uid, seq, frame.getSendAck().getMsgId(),
                                List.copyOf(frame.getSendAck().getSentUidsList()),
                                List.copyOf(frame.getSendAck().getOfflineUidsList())));
                    } else {
                        history.add(Event.error(t, uid, null, Analysis.STRAY + "ACK",
                                "a SendAck with no message in flight"));
                    }
                }
                case ERROR -> {
                    ErrorCode code = frame.getError().getCode();
                    if (reliable && !frame.getError().getClientMsgId().isEmpty()) {
                        reliableError(t, frame);
                        return;
                    }
                    boolean answersSend;
                    synchronized (CheckClient.this) {
                        // Reliable mode ties replies by client_msg_id: an error without one answers no send.
                        answersSend = loggedIn && SEND_ERRORS.contains(code) && !reliable;
                    }
                    long seq = answersSend ? settle() : -1;
                    // A send's error with no message in flight answers nothing: recorded as stray, which fails the
                    // verdict (the stop-and-wait tie between replies and messages no longer holds).
                    history.add(Event.error(t, uid, seq >= 0 ? seq : null,
                            answersSend && seq < 0 ? Analysis.STRAY + code.name() : code.name(),
                            frame.getError().getText()));
                    boolean refusedLogin;
                    synchronized (CheckClient.this) {
                        refusedLogin = !loggedIn;
                    }
                    if (refusedLogin) {
                        why = "login refused: " + code;
                        ctx.close();
                    }
                }
                case CHAT -> {
                    ChatMessage m = frame.getChat();
                    String content = m.getContent();
                    int colon = content.lastIndexOf(':');
                    long seq = -1;
                    String from = m.getFromUid();
                    try {
                        if (colon > 0) {
                            seq = Long.parseLong(content.substring(colon + 1));
                            from = content.substring(0, colon);
                        }
                    } catch (NumberFormatException e) {
                        seq = -1;
                    }
                    if (!reliable) {
                        history.add(Event.deliver(t, uid, from, seq, m.getMsgId()));
                        return;
                    }
                    Display.Decision shown;
                    long last;
                    synchronized (CheckClient.this) {
                        last = display.last();
                        shown = display.offer(m.getSeq());
                    }
                    switch (shown) {
                        case SHOW -> history.add(Event.deliver(t, uid, from, seq, m.getMsgId(), m.getSeq()));
                        case ALREADY_SHOWN -> history.add(Event.dropped(t, uid, from, seq, m.getMsgId(), m.getSeq(),
                                "already shown (last shown " + last + ")"));
                        case AHEAD -> history.add(Event.dropped(t, uid, from, seq, m.getMsgId(), m.getSeq(),
                                "ahead of the next one (last shown " + last + ")"));
                        default -> throw new IllegalStateException(shown.name());
                    }
                }
                case GAP -> {
                    synchronized (CheckClient.this) {
                        display.gap(frame.getGap().getToSeq());
                    }
                    history.add(Event.gap(t, uid, frame.getGap().getFromSeq(), frame.getGap().getToSeq()));
                }
                case GO_AWAY -> {
                    goingAway = true;
                    why = "go-away: " + frame.getGoAway().getReason();
                    ctx.close();
                }
                default -> {
                    // PONG, WHO_REPLY: the read itself resets the dead-link timer
                }
            }
        }

        /**
         * Reliable mode: a SendAck names its message by client_msg_id. The one in flight is answered; an ack of an
         * earlier message (a late answer to an attempt sent again) is recorded too: any ack of the id means the
         * message was accepted. An id this client never sent is stray.
         */
        private void reliableAck(long t, Envelope frame) {
            long seq = seqOf(uid, frame.getSendAck().getClientMsgId());
            boolean known;
            synchronized (CheckClient.this) {
                known = seq > 0 && seq < nextSeq;
                if (known && seq == awaiting) {
                    settle();
                }
            }
            if (known) {
                history.add(Event.ack(t, uid, seq, frame.getSendAck().getMsgId(),
                        List.copyOf(frame.getSendAck().getSentUidsList()),
                        List.copyOf(frame.getSendAck().getOfflineUidsList())));
            } else {
                history.add(Event.error(t, uid, null, Analysis.STRAY + "ACK",
                        "a SendAck for client_msg_id '" + frame.getSendAck().getClientMsgId()
                                + "', which this client never sent"));
            }
        }

        /**
         * Reliable mode: an error that names a client_msg_id. UNAVAILABLE is for now only: the message stays in
         * flight and goes again when its resend time comes. Any other refusal is final: the next message may go.
         */
        private void reliableError(long t, Envelope frame) {
            ErrorCode code = frame.getError().getCode();
            long seq = seqOf(uid, frame.getError().getClientMsgId());
            boolean known;
            synchronized (CheckClient.this) {
                known = seq > 0 && seq < nextSeq;
                if (known && seq == awaiting && code != ErrorCode.UNAVAILABLE) {
                    settle();
                }
            }
            history.add(Event.error(t, uid, known ? seq : null, known ? code.name() : Analysis.STRAY + code.name(),
                    frame.getError().getText()));
        }

        /** The message in flight is answered: returns its sequence, or -1 if none was in flight. */
        private long settle() {
            synchronized (CheckClient.this) {
                long seq = awaiting;
                awaiting = -1;
                awaitingFrame = null;
                if (replyTimer != null) {
                    replyTimer.cancel(false);
                }
                return seq;
            }
        }

        /** Reliable mode: after a batch of reads, one cumulative ack for everything shown so far. */
        @Override
        public void channelReadComplete(ChannelHandlerContext ctx) {
            if (reliable) {
                long seq;
                synchronized (CheckClient.this) {
                    seq = display.last();
                    if (seq <= ackedSeq || seq < 0 || !loggedIn) {
                        seq = -1;
                    } else {
                        ackedSeq = seq;
                    }
                }
                if (seq >= 0) {
                    ctx.writeAndFlush(Envelope.newBuilder().setAck(Ack.newBuilder().setSeq(seq)).build());
                }
            }
            ctx.fireChannelReadComplete();
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
            if (evt instanceof IdleStateEvent idle) {
                if (idle.state() == IdleState.READER_IDLE) {
                    why = "no frame for " + DEAD_AFTER_S + " s (dead link)";
                    ctx.close();
                } else if (idle.state() == IdleState.WRITER_IDLE) {
                    Ping.Builder ping = Ping.newBuilder().setSentAt(System.currentTimeMillis());
                    if (reliable) {
                        synchronized (CheckClient.this) {
                            ping.setLastSeq(display.last()); // a node that has more pushes it now
                        }
                    }
                    ctx.writeAndFlush(Envelope.newBuilder().setPing(ping).build());
                }
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            why = cause.getClass().getSimpleName() + ": " + cause.getMessage();
            ctx.close();
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            long t = history.now();
            boolean again;
            synchronized (CheckClient.this) {
                if (channel == ctx.channel()) {
                    channel = null;
                    if (awaiting >= 0 && reliable) {
                        // Kept: sent again, with the same client_msg_id, after the next login.
                        if (replyTimer != null) {
                            replyTimer.cancel(false);
                        }
                    } else if (awaiting >= 0) {
                        history.add(Event.noReply(t, uid, awaiting, "connection closed: " + why));
                        awaiting = -1;
                        if (replyTimer != null) {
                            replyTimer.cancel(false);
                        }
                    }
                    loggedIn = false;
                }
                again = !stopped;
                if (goingAway) {
                    failures = 0;
                }
            }
            history.add(Event.disconnect(t, uid, nodeId, why));
            if (again) {
                if (goingAway) {
                    group.execute(CheckClient.this::connect);
                } else {
                    retryLater();
                }
            }
        }
    }
}
