package com.example.im.client;

import com.example.im.auth.TokenSource;
import com.example.im.protocol.Ack;
import com.example.im.protocol.ChatMessage;
import com.example.im.protocol.Envelope;
import com.example.im.protocol.ErrorCode;
import com.example.im.protocol.Login;
import com.example.im.protocol.Varint32FrameDecoder;
import com.example.im.protocol.Who;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.protobuf.ProtobufDecoder;
import io.netty.handler.codec.protobuf.ProtobufEncoder;
import io.netty.handler.codec.protobuf.ProtobufVarint32LengthFieldPrepender;
import io.netty.handler.timeout.IdleStateHandler;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslHandler;
import io.netty.util.concurrent.Future;
import com.example.im.tls.ClientTls;
import com.example.im.tls.ServerTls;
import java.nio.file.Path;
import io.netty.util.AttributeKey;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.net.InetSocketAddress;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * A programmatic chat client for the protobuf protocol, with heartbeats and automatic reconnect
 * (docs/03-heartbeat.md): it pings when it has written nothing for a while, treats a silent server as a dead link,
 * reconnects with capped exponential backoff plus jitter, and logs in again as the same uid by itself. Frames sent
 * while it reconnects are kept (up to {@link ClientConfig#maxPending()}) and sent after the new login.
 * Since stage 4 the address comes from a {@link NodeLocator}, asked again before every reconnect, so a client whose
 * node went away reconnects to another one (docs/04-zk-cluster.md, "Failover").
 * {@link ChatConsole} and the tests are built on it.
 */
public final class ChatClient implements AutoCloseable {

    /** Receives what happens, on the client's I/O thread: do not block in it. */
    public interface Listener {
        /** A frame from the server (pongs are consumed by the client itself). */
        void onFrame(Envelope frame);

        /** The link went down or came back; {@code what} is a sentence for the user. */
        default void onConnectionEvent(String what) {
        }

        /** The client is finished: closed by {@link #close()}, kicked, or disconnected with reconnect off. */
        default void onClose() {
        }
    }

    private enum State { UP, RECOVERING, CLOSED }

    private static final AttributeKey<Boolean> GOING_AWAY = AttributeKey.valueOf("im.going-away");

    /** Stage 7: a message not acknowledged for this long is sent again (same client_msg_id: stored once). */
    static final long RESEND_MILLIS = 5_000;
    /**
     * Stage 7: most messages sent and not yet acknowledged; a send beyond it is refused (false) until acks come. A
     * bound on the client's memory when the server stops answering, far above what a healthy link has in flight.
     */
    public static final int MAX_UNACKED = 1_000;
    /**
     * Stage 7: the largest chat frame sent, the server's default --max-frame. A larger one is refused (false): the
     * server would answer FRAME_TOO_LARGE and close the connection, and the client would send it again first after
     * every reconnect, forever, with everything typed after it stuck behind it.
     */
    public static final int MAX_MESSAGE_FRAME = 64 * 1024;

    /** Server frames can be large (a group message names every member); the cap only guards against a bad server. */
    private static final int MAX_SERVER_FRAME = 1024 * 1024;

    private final ClientConfig config;
    private final NodeLocator locator;
    private final Listener listener;
    private final EventLoopGroup group;
    private final Bootstrap bootstrap;
    private final Backoff backoff;
    private final SslContext ssl; // stage 8: null for plain TCP

    // Serialises close(): the console calls it from two threads at once (its stdin thread after QUIT, its main thread
    // after onClose), and the second must not race the first past the shutdown of the event loop.
    private final Object closeLock = new Object();

    // Guarded by "this". Written on the I/O thread (connection events) and read by callers of send().
    private State state = State.UP;
    private final Deque<Envelope> pending = new ArrayDeque<>();
    private Channel channel;
    private InetSocketAddress address;
    private String uid;
    private String loggedIn; // the uid the server acknowledged a login of: a later LOGIN cannot change "uid"
    private boolean closing;
    private boolean kicked;
    private boolean refused; // stage 8: a login was refused as UNAUTHENTICATED; the same token source would be again
    private int attempt; // only touched on the I/O thread

    // Stage 7 (docs/07-reliable-delivery.md, "The flow"). Guarded by "this".
    /** Highest contiguous seq shown; -1 until the first message: the server then resumes from its own cursor. */
    private long lastSeq = -1;
    private long ackedSeq = -1;  // the last seq acknowledged to the server (on this connection or an earlier one)
    /** Messages sent with a client_msg_id and not yet acknowledged by a SendAck: sent again after a reconnect. */
    private final Map<String, Unacked> unacked = new LinkedHashMap<>();
    private final String clientId = Long.toString(ThreadLocalRandom.current().nextLong() & Long.MAX_VALUE, 36);
    private long nextClientMsgId;

    private record Unacked(Envelope frame, long sentAt) {
    }

    private ChatClient(ClientConfig config, NodeLocator locator, Listener listener) {
        this.config = config;
        this.locator = locator;
        this.listener = listener;
        // Stage 8: first, so that an unreadable --tls-trust fails before any thread is started.
        this.ssl = config.tlsTrust() == null ? null : ClientTls.trusting(Path.of(config.tlsTrust()));
        this.group = new MultiThreadIoEventLoopGroup(1, new DefaultThreadFactory("im-client"),
                NioIoHandler.newFactory());
        this.backoff = new Backoff(config.backoffBaseMillis(), config.backoffMaxMillis());
        // Stage 7: a message whose acknowledgement is lost (or that the server refused for now) goes out again.
        group.scheduleWithFixedDelay(() -> resendUnacked(RESEND_MILLIS), RESEND_MILLIS, RESEND_MILLIS / 5,
                TimeUnit.MILLISECONDS);
        this.bootstrap = new Bootstrap()
                .group(group)
                .channel(NioSocketChannel.class)
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, 5_000)
                .handler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        if (ssl != null) {
                            // Stage 8: first, nearest the socket; becomes the SslHandler for the node dialled.
                            ch.pipeline().addLast("tls", ClientTls.onConnect(ssl));
                        }
                        ch.pipeline().addLast(
                                new Varint32FrameDecoder(MAX_SERVER_FRAME),
                                new ProtobufDecoder(Envelope.getDefaultInstance()),
                                new IdleStateHandler(config.readerIdleMillis(), config.pingIntervalMillis(), 0,
                                        TimeUnit.MILLISECONDS),
                                new ProtobufVarint32LengthFieldPrepender(),
                                new ProtobufEncoder(),
                                new ClientHeartbeatHandler(config.readerIdleMillis(), ChatClient.this::lastSeq),
                                new Handler());
                    }
                });
    }

    /** Connects with the default heartbeat and reconnect settings. */
    public static ChatClient connect(String host, int port, Listener listener) throws InterruptedException {
        return connect(ClientConfig.of(host, port), listener);
    }

    /** Connects to the address in {@code config} (the first connection must succeed). */
    public static ChatClient connect(ClientConfig config, Listener listener) throws InterruptedException {
        return connect(config, NodeLocator.fixed(config.host(), config.port()), null, listener);
    }

    /**
     * Connects to the node {@code locator} picks for {@code uid} and, when {@code uid} is not null, logs in as it.
     * The first connection must succeed: there is nothing to reconnect to yet.
     */
    public static ChatClient connect(ClientConfig config, NodeLocator locator, String uid, Listener listener)
            throws InterruptedException {
        ChatClient client = new ChatClient(config, locator, listener);
        try {
            InetSocketAddress target = locator.locate(uid, null);
            Channel ch = client.bootstrap.connect(target).sync().channel();
            client.awaitHandshake(ch, target);
            synchronized (client) {
                client.channel = ch;
                client.address = target;
            }
            if (uid != null) {
                // No token, no point: the caller hears why (TokenSource.TokenUnavailable) instead of a refusal later.
                client.login(uid, client.config.tokens().tokenFor(uid));
            }
            return client;
        } catch (InterruptedException | RuntimeException e) {
            client.group.shutdownGracefully(0, 0, TimeUnit.SECONDS);
            throw e;
        }
    }

    /**
     * Stage 8: with TLS, the first connection counts only once the handshake has succeeded; a node whose certificate
     * we do not trust is an error for the caller (and nothing, not even the login, is sent to it).
     */
    private void awaitHandshake(Channel ch, InetSocketAddress target) throws InterruptedException {
        SslHandler tls = ch.pipeline().get(SslHandler.class);
        if (tls == null) {
            return;
        }
        Future<Channel> done = tls.handshakeFuture();
        if (!done.await(ServerTls.HANDSHAKE_TIMEOUT_MILLIS + 1_000) || !done.isSuccess()) {
            ch.close();
            Throwable cause = done.cause();
            while (cause != null && cause.getCause() != null) {
                cause = cause.getCause();
            }
            throw new IllegalStateException("TLS handshake with " + target.getHostString() + ":" + target.getPort()
                    + " failed: " + (cause == null ? "timed out" : cause.getMessage())
                    + " (is --tls-trust the node's certificate, and does it name this host?)", done.cause());
        }
    }

    /** The node address of the current (or last) connection. */
    public synchronized InetSocketAddress address() {
        return address;
    }

    // tag::send[]
    /**
     * Sends one envelope. While the client is reconnecting the frame is kept and sent after the new login; returns
     * false when it is refused instead: the client is closed, or {@link ClientConfig#maxPending()} frames already wait.
     */
    public synchronized boolean send(Envelope frame) {
        if (state == State.UP && channel.isActive() && !closing) {
            channel.writeAndFlush(frame);
            return true;
        }
        // "UP" on a channel that is no longer active: the link has just died and the I/O thread has not yet run
        // connectionLost(). A write now would fail later, unseen, after we had said "sent"; so the frame is treated
        // as if the client were already reconnecting: kept when a reconnect is coming, refused otherwise.
        if (!reconnectComing() || pending.size() >= config.maxPending()) {
            return false;
        }
        pending.add(frame);
        return true;
    }

    /** True while frames should wait for the next connection rather than go out now or be refused. */
    private boolean reconnectComing() {
        return switch (state) {
            case RECOVERING -> !closing;
            case UP -> !closing && !kicked && !refused && config.reconnect(); // and the channel is dead (see send)
            case CLOSED -> false;
        };
    }
    // end::send[]

    /**
     * Writes {@code bytes} exactly as given, past the encoders (no length prefix is added): for tests and tools that
     * need to send what a broken client would.
     */
    public synchronized void writeRaw(ByteBuf bytes) {
        channel.pipeline().firstContext().writeAndFlush(bytes);
    }

    /**
     * Logs in; after a reconnect the client logs in again with this uid by itself. Stage 8: the token comes from
     * {@link ClientConfig#tokens()}, asked now (outside any lock: it may be an HTTP call) and again at every
     * reconnect. False when it has none (the listener hears why) or the frame was refused as by {@link #send}.
     */
    public boolean login(String uid) {
        String token;
        try {
            token = config.tokens().tokenFor(uid);
        } catch (TokenSource.TokenUnavailable e) {
            listener.onConnectionEvent("no token to log in as " + uid + ": " + e.getMessage());
            return false;
        }
        return login(uid, token);
    }

    private synchronized boolean login(String uid, String token) {
        if (loggedIn == null) {
            // Once logged in, a LOGIN of another uid is refused by the server (ALREADY_LOGGED_IN): it must not change
            // who the client logs in as after a reconnect, nor pair that user with this user's last_seq.
            this.uid = uid;
        }
        // While reconnecting, the login happens on the new connection anyway: do not queue a second one.
        boolean linkDown = state == State.RECOVERING || state == State.UP && !channel.isActive();
        return linkDown ? reconnectComing() : send(loginFrame(uid, lastSeq, token));
    }

    /** A private message; the server stamps msg_id, from_uid and timestamp. */
    public boolean send(String toUid, String text) {
        return sendReliably(ChatMessage.newBuilder().setToUid(toUid).setContent(text));
    }

    /** A group message (the article's 方式二): one frame, every member in to_uid_list. */
    public boolean sendGroup(List<String> toUids, String text) {
        return sendReliably(ChatMessage.newBuilder().addAllToUidList(toUids).setContent(text));
    }

    // tag::client-send[]
    /**
     * Stage 7: the message gets a client_msg_id and is kept until the server acknowledges it; after a reconnect, or
     * when no acknowledgement came within the resend time, it is sent again with the same id, and the server stores
     * it once. Refused (false) when {@link #MAX_UNACKED} messages already wait for their acks, or when it is larger
     * than {@link #MAX_MESSAGE_FRAME}.
     */
    private synchronized boolean sendReliably(ChatMessage.Builder message) {
        if (unacked.size() >= MAX_UNACKED) {
            return false;
        }
        String id = clientId + "-" + (++nextClientMsgId);
        Envelope frame = Envelope.newBuilder().setChat(message.setClientMsgId(id)).build();
        if (frame.getSerializedSize() > MAX_MESSAGE_FRAME || !send(frame)) {
            return false;
        }
        unacked.put(id, new Unacked(frame, System.currentTimeMillis()));
        return true;
    }

    /** Messages sent and not yet acknowledged by the server (tests, the console). */
    public synchronized int unacknowledged() {
        return unacked.size();
    }

    /** The highest contiguous seq this client has shown; -1 before the first. */
    public synchronized long lastSeq() {
        return lastSeq;
    }

    /**
     * What to do with a frame before the listener sees it: false drops it. A message already shown (its seq is at
     * or below {@link #lastSeq}) is dropped, so every message is shown once; one that skips ahead is dropped too (the
     * server pushes in order, so it is a resend's tail: the missing ones come first). Runs on the I/O thread.
     */
    private synchronized boolean accept(Envelope frame) {
        switch (frame.getBodyCase()) {
            case CHAT -> {
                long seq = frame.getChat().getSeq();
                if (seq == 0) {
                    return true; // not from a mailbox (a node without Redis)
                }
                if (lastSeq >= 0 && seq != lastSeq + 1) {
                    if (seq <= lastSeq) {
                        // Shown already: a resend, so the server has not taken our ack. Ack again (after this read),
                        // or it resends the same range for ever and, once that is a window, pushes nothing new.
                        ackedSeq = Math.min(ackedSeq, seq - 1);
                    }
                    return false;
                }
                lastSeq = seq;
                return true;
            }
            case GAP -> {
                lastSeq = Math.max(lastSeq, frame.getGap().getToSeq());
                return true;
            }
            case SEND_ACK -> {
                unacked.remove(frame.getSendAck().getClientMsgId());
                return true;
            }
            case ERROR -> {
                // Refused for good (bad input, too large, not logged in, offline on a node without Redis): do not
                // send it again. UNAVAILABLE is for now only: the message stays, and goes again later.
                if (frame.getError().getCode() != ErrorCode.UNAVAILABLE) {
                    unacked.remove(frame.getError().getClientMsgId());
                }
                return true;
            }
            default -> {
                return true;
            }
        }
    }

    /** After a batch of reads: one cumulative ack for everything shown in it. */
    private void acknowledgeShown(Channel ch) {
        long seq;
        synchronized (this) {
            if (lastSeq <= ackedSeq || lastSeq < 0) {
                return;
            }
            seq = lastSeq;
            ackedSeq = seq;
        }
        ch.writeAndFlush(Envelope.newBuilder().setAck(Ack.newBuilder().setSeq(seq)).build());
    }

    /** Sends again, with the same client_msg_id, every message whose ack has not come for {@code olderThanMillis}. */
    private synchronized void resendUnacked(long olderThanMillis) {
        if (state != State.UP || !channel.isActive() || unacked.isEmpty()) {
            return;
        }
        long now = System.currentTimeMillis();
        for (Map.Entry<String, Unacked> e : unacked.entrySet()) {
            if (now - e.getValue().sentAt() >= olderThanMillis) {
                channel.write(e.getValue().frame());
                e.setValue(new Unacked(e.getValue().frame(), now));
            }
        }
        channel.flush();
    }
    // end::client-send[]

    public boolean who() {
        return send(Envelope.newBuilder().setWho(Who.getDefaultInstance()).build());
    }

    /** True while a connection is up and logged in again after any reconnect. */
    public synchronized boolean isOpen() {
        return state == State.UP && channel.isActive();
    }

    /**
     * Closes the connection and the client's thread; returns when both are done, within about a second, also while
     * the client is reconnecting. {@link Listener#onClose()} has run once when it returns. Safe to call twice.
     */
    @Override
    public void close() {
        synchronized (closeLock) {
            Channel ch;
            synchronized (this) {
                closing = true;
                ch = channel;
            }
            if (group.isShuttingDown()) {
                group.terminationFuture().syncUninterruptibly();
                return;
            }
            // A live channel closes now, and its channelInactive ends in connectionLost() -> finish().
            ch.close().syncUninterruptibly();
            // While reconnecting, ch is the connection lost earlier: it closed long ago, and nothing will report it
            // again, so nobody would tell the listener. finish() is idempotent, so call it here (on the I/O thread,
            // like every listener call); whichever of the two runs first tells the listener, the other does nothing.
            group.submit(this::finish).syncUninterruptibly();
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        }
    }

    /** Stage 7: the login says how far the client got, so the server pushes what follows (-1: it knows best). */
    private static Envelope loginFrame(String uid, long lastSeq, String token) {
        Login.Builder login = Login.newBuilder().setUid(uid).setLastSeq(lastSeq);
        if (token != null) {
            login.setToken(token);
        }
        return Envelope.newBuilder().setLogin(login).build();
    }

    // tag::reconnect[]
    /** Runs on the I/O thread when {@code lost} closed, whoever closed it. */
    private void connectionLost(Channel lost, String reason) {
        boolean finished;
        synchronized (this) {
            if (lost != channel || state == State.CLOSED) {
                return;
            }
            finished = closing || kicked || refused || !config.reconnect();
            if (!finished) {
                state = State.RECOVERING;
            }
        }
        if (finished) {
            finish();
            return;
        }
        // A node that says go-away is gone on purpose and the others are up: no reason to wait.
        long delay = Boolean.TRUE.equals(lost.attr(GOING_AWAY).get()) ? 0 : backoff.delayMillis(attempt);
        listener.onConnectionEvent(reason + "; reconnecting in " + delay + " ms (attempt " + (attempt + 1) + ")");
        group.schedule(this::reconnect, delay, TimeUnit.MILLISECONDS);
    }

    private void reconnect() {
        InetSocketAddress lost;
        String who;
        synchronized (this) {
            if (closing) {
                return;
            }
            lost = address;
            who = uid;
        }
        attempt++;
        InetSocketAddress target;
        String token;
        try {
            // Asked again every time: the node we lost may be gone for good, and the list has moved on.
            target = locator.locate(who, lost);
            // Stage 8: a fresh token for every login, so one that expired while we were connected is not sent again.
            // On this (the client's I/O) thread, which has nothing else to do while the link is down; bounded by the
            // source (an issuer's request has a timeout).
            token = who == null ? null : config.tokens().tokenFor(who);
        } catch (IllegalStateException e) {
            retryLater(e.getMessage());
            return;
        } catch (TokenSource.TokenUnavailable e) {
            retryLater("no token: " + e.getMessage());
            return;
        }
        bootstrap.connect(target).addListener((ChannelFuture f) -> {
            if (!f.isSuccess()) {
                synchronized (this) {
                    if (closing) {
                        return;
                    }
                }
                retryLater(f.cause().getMessage());
                return;
            }
            String again;
            long shown;
            synchronized (this) {
                if (closing) {
                    f.channel().close(); // close() came while we were connecting: this connection is not wanted
                    return;
                }
                channel = f.channel();
                address = target;
                again = uid;
                shown = lastSeq;
                ackedSeq = Math.min(ackedSeq, lastSeq);
            }
            listener.onConnectionEvent("reconnected to " + target.getHostString() + ":" + target.getPort()
                    + (again == null ? "" : "; logging in again as " + again));
            if (again == null) {
                recovered();
            } else {
                // recovered() runs when the login ack arrives
                f.channel().writeAndFlush(loginFrame(again, shown, again.equals(who) ? token : tokenOrNull(again)));
            }
        });
    }

    /** A token for {@code uid}, or null when the source has none (the server then says why). */
    private String tokenOrNull(String uid) {
        try {
            return config.tokens().tokenFor(uid);
        } catch (TokenSource.TokenUnavailable e) {
            return null;
        }
    }

    private void retryLater(String why) {
        long delay = backoff.delayMillis(attempt);
        listener.onConnectionEvent("reconnect failed (" + why + "); next try in " + delay + " ms (attempt "
                + (attempt + 1) + ")");
        group.schedule(this::reconnect, delay, TimeUnit.MILLISECONDS);
    }

    /** The end, reached once: from close() or from a lost connection that is not reconnected, whichever is first. */
    private void finish() {
        synchronized (this) {
            if (state == State.CLOSED) {
                return;
            }
            state = State.CLOSED;
            pending.clear();
        }
        listener.onClose();
    }

    /** Back to normal: send what was kept while reconnecting, in order, before anything sent after. */
    private synchronized void recovered() {
        if (state != State.RECOVERING) {
            return;
        }
        state = State.UP;
        attempt = 0;
        // Stage 7: first what was sent before the link died and never acknowledged, with the same ids.
        unacked.values().forEach(u -> channel.write(u.frame()));
        pending.removeIf(f -> f.hasChat() && unacked.containsKey(f.getChat().getClientMsgId()));
        if (!unacked.isEmpty() && pending.isEmpty()) {
            channel.flush();
        }
        if (!pending.isEmpty()) {
            pending.forEach(channel::write);
            pending.clear();
            channel.flush();
        }
    }
    // end::reconnect[]

    /** The last handler of each connection's pipeline: kicks, re-login, then the listener. */
    private final class Handler extends SimpleChannelInboundHandler<Envelope> {

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, Envelope frame) {
            switch (frame.getBodyCase()) {
                case GO_AWAY -> {
                    // The node is leaving (stage 6): reconnect at once; the directory no longer lists it.
                    ctx.channel().attr(ClientHeartbeatHandler.CLOSE_REASON).set("the node is shutting down ("
                            + frame.getGoAway().getReason() + ")");
                    ctx.channel().attr(GOING_AWAY).set(Boolean.TRUE);
                    ctx.close();
                    return;
                }
                case LOGIN_ACK -> {
                    synchronized (ChatClient.this) {
                        loggedIn = frame.getLoginAck().getUid();
                    }
                    recovered();
                }
                case ERROR -> {
                    if (frame.getError().getCode() == ErrorCode.KICKED) {
                        synchronized (ChatClient.this) {
                            kicked = true; // never reconnect after a kick: two clients would kick each other forever
                        }
                    } else if (frame.getError().getCode() == ErrorCode.UNAUTHENTICATED) {
                        // Stage 8: the server closes the connection after this. Reconnecting would log in with a
                        // token from the same source, refused the same way, forever: the client ends instead.
                        synchronized (ChatClient.this) {
                            refused = true;
                        }
                    }
                }
                default -> {
                }
            }
            if (accept(frame)) {
                listener.onFrame(frame);
            }
        }

        @Override
        public void channelReadComplete(ChannelHandlerContext ctx) {
            acknowledgeShown(ctx.channel());
            ctx.fireChannelReadComplete();
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            String reason = ctx.channel().attr(ClientHeartbeatHandler.CLOSE_REASON).get();
            connectionLost(ctx.channel(), reason != null ? reason : "connection closed by the server");
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.channel().attr(ClientHeartbeatHandler.CLOSE_REASON).set("connection error: " + cause.getMessage());
            ctx.close();
        }
    }
}
