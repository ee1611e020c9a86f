package com.example.im.checker.naive;

import com.example.im.checker.wire.ChatMessage;
import com.example.im.checker.wire.Envelope;
import com.example.im.checker.wire.ErrorCode;
import com.example.im.checker.wire.ErrorReply;
import com.example.im.checker.wire.LoginAck;
import com.example.im.checker.wire.Pong;
import com.example.im.checker.wire.SendAck;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.protobuf.InvalidProtocolBufferException;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.protobuf.ProtobufDecoder;
import io.netty.handler.codec.protobuf.ProtobufEncoder;
import io.netty.handler.codec.protobuf.ProtobufVarint32FrameDecoder;
import io.netty.handler.codec.protobuf.ProtobufVarint32LengthFieldPrepender;
import io.netty.handler.timeout.IdleState;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.handler.timeout.IdleStateHandler;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.framework.state.ConnectionState;
import org.apache.curator.retry.ExponentialBackoffRetry;
import org.apache.zookeeper.CreateMode;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.data.Stat;
import redis.clients.jedis.ConnectionPoolConfig;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.RedisClient;

/**
 * The article's cross-node forwarding, kept <b>naive on purpose</b>, as a chat node the checker can run beside the
 * stages (same flags, same wire protocol, same ZooKeeper registration) so a learner sees what that design loses.
 *
 * <p>What it does, as the article does:
 * <ul>
 *   <li>login: {@code SET chat:user:session:<uid> <nodeId>} — no TTL — and the connection is remembered locally;</li>
 *   <li>chat: for every recipient, a local connection gets the message directly; otherwise the recipient's node is
 *       looked up with one {@code GET} per recipient per message, and the message is pushed with one {@code LPUSH}
 *       per recipient onto that node's list (the list is named after the node id). Both calls block the event-loop
 *       thread, as in the article;</li>
 *   <li>one consumer thread per node takes one message per {@code BRPOP} round trip from its own list and writes it
 *       to the local connection of its {@code to_uid}; a recipient who is not connected here any more is dropped
 *       silently.</li>
 * </ul>
 *
 * <p>The defects it keeps, because they are the point (the checker shows their losses beside stage 6):
 * <ul>
 *   <li><b>no acknowledgement anywhere</b>: {@code BRPOP} removes the message from Redis before it is written; a node
 *       that dies (kill -9, OOM, power) between the pop and the socket write loses it, and the sender was already
 *       told "sent";</li>
 *   <li><b>sessions never expire</b>: a node that crashes leaves {@code chat:user:session:<uid>} pointing at it, so
 *       other nodes keep pushing that user's messages onto the dead node's list. They sit there until a node with the
 *       same id comes back — and its consumer drops them, because the user has reconnected elsewhere (or not yet);</li>
 *   <li>the session is deleted on disconnect without checking whose it is (docs/article.md): a user who reconnected to
 *       another node before the old connection was noticed dead loses the new session and looks offline; a message
 *       pushed to the old node before the user logged in elsewhere is dropped there;</li>
 *   <li>no graceful shutdown: SIGTERM closes the listening socket, ZooKeeper and Redis and exits; connected users and
 *       messages in flight are cut off;</li>
 *   <li>Redis is on the path of every cross-node message and every login (the article's reviewer's single bottleneck).
 *   </li>
 * </ul>
 *
 * <p>What it does <i>not</i> copy, so that it loses messages only where the article's design does: the article's code
 * crashes or hangs when Redis fails; here every Redis call has a 2 s timeout, a failed call is answered with
 * {@code UNAVAILABLE} (the sender knows the message was not taken — except the group members already pushed before
 * the failure) and the consumer retries after 200 ms. Message ids carry the node's start time, so a restarted node
 * never reuses one. A frame longer than 64 KiB is refused and the connection closed.
 */
public final class NaiveNode implements AutoCloseable {

    static final int MAX_FRAME_BYTES = 64 * 1024;
    static final String SERVERS_PATH = "/im/servers";
    private static final int DEFAULT_ZK_SESSION_TIMEOUT_MS = 10_000;
    /** The article's server: {@code IdleStateHandler(10, 10, 0)}, reader idle closes the connection. */
    private static final int READER_IDLE_SECONDS = 10;
    private static final ObjectMapper JSON = new ObjectMapper();

    private final String nodeId;
    private final EventLoopGroup boss;
    private final EventLoopGroup workers;
    private final RedisClient redis;
    private final Map<String, Channel> local = new ConcurrentHashMap<>();
    private final String idPrefix;
    private final AtomicLong ids = new AtomicLong();
    private final AtomicBoolean closed = new AtomicBoolean();
    private volatile boolean running = true;
    private Channel serverChannel;
    private CuratorFramework curator;
    private Thread consumer;
    private int port;

    private NaiveNode(String nodeId, String redisUri) {
        this.nodeId = nodeId;
        this.idPrefix = nodeId + "-" + Long.toString(System.currentTimeMillis(), 36) + "-";
        ConnectionPoolConfig pool = new ConnectionPoolConfig();
        pool.setMaxTotal(16);
        pool.setMaxIdle(16);
        pool.setMaxWait(Duration.ofSeconds(2));
        // Every call bounded: 2 s for a reply; BRPOP blocks 1 s, so its socket gives up 2 s after that.
        this.redis = RedisClient.builder()
                .clientConfig(DefaultJedisClientConfig.builder().connectionTimeoutMillis(2_000)
                        .socketTimeoutMillis(2_000).blockingSocketTimeoutMillis(3_000).build())
                .fromURI(redisUri).poolConfig(pool).build();
        this.boss = new MultiThreadIoEventLoopGroup(1, new DefaultThreadFactory("naive-boss"),
                NioIoHandler.newFactory());
        this.workers = new MultiThreadIoEventLoopGroup(0, new DefaultThreadFactory("naive-worker"),
                NioIoHandler.newFactory());
    }

    /** Runs a node until SIGTERM (or kill). Flags: see {@link #start(String[])}. */
    public static void main(String[] args) throws Exception {
        NaiveNode node;
        try {
            node = start(args);
        } catch (IllegalArgumentException e) {
            System.err.println(e.getMessage());
            System.exit(2);
            return;
        }
        Runtime.getRuntime().addShutdownHook(new Thread(node::close, "naive-shutdown"));
        node.serverChannel.closeFuture().sync();
    }

    /**
     * Starts a node: binds 127.0.0.1:{@code --port} (0 picks a free port), starts the {@code BRPOP} consumer, then
     * registers {@code /im/servers/<--node-id>} in ZooKeeper ({@code --zk}, session timeout
     * {@code --zk-session-timeout-ms}, 10 s by default). {@code --redis redis://host:port} is required. Any other
     * {@code --flag value} pair (the stages' flags) is accepted and ignored.
     */
    public static NaiveNode start(String[] args) throws Exception {
        Map<String, String> flags = parse(args);
        String nodeId = required(flags, "node-id");
        String zk = required(flags, "zk");
        String redisUri = required(flags, "redis");
        int port = intFlag(flags, "port", -1);
        if (port < 0 || port > 65_535) {
            throw new IllegalArgumentException("--port must be 0-65535" + USAGE);
        }
        int zkSessionTimeout = intFlag(flags, "zk-session-timeout-ms", DEFAULT_ZK_SESSION_TIMEOUT_MS);
        NaiveNode node = new NaiveNode(nodeId, redisUri);
        try {
            node.bind(port);
            node.startConsumer();
            node.register(zk, zkSessionTimeout);
        } catch (Exception | Error e) {
            node.close();
            throw e;
        }
        System.out.println("naive node " + nodeId + " listening on 127.0.0.1:" + node.port);
        System.out.flush();
        return node;
    }

    public String nodeId() {
        return nodeId;
    }

    /** The port actually bound (the one asked for, or the free one picked for 0). */
    public int port() {
        return port;
    }

    /** The ZooKeeper client (tests expire its session). */
    CuratorFramework curator() {
        return curator;
    }

    // --- the server ---------------------------------------------------------------------------------------------

    private void bind(int requestedPort) throws InterruptedException {
        serverChannel = new ServerBootstrap()
                .group(boss, workers)
                .channel(NioServerSocketChannel.class)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ch.pipeline().addLast(
                                new IdleStateHandler(READER_IDLE_SECONDS, 0, 0),
                                new BoundedVarint32FrameDecoder(),
                                new ProtobufDecoder(Envelope.getDefaultInstance()),
                                new ProtobufVarint32LengthFieldPrepender(),
                                new ProtobufEncoder(),
                                new Handler());
                    }
                })
                .bind(new InetSocketAddress("127.0.0.1", requestedPort)).sync().channel();
        port = ((InetSocketAddress) serverChannel.localAddress()).getPort();
    }

    /** Netty's varint32 frame decoder, which has no size limit, with the 64 KiB cap the stages have. */
    private static final class BoundedVarint32FrameDecoder extends ProtobufVarint32FrameDecoder {
        @Override
        protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) throws Exception {
            long length = peekVarint32(in);
            if (length > MAX_FRAME_BYTES) {
                in.skipBytes(in.readableBytes());
                ctx.writeAndFlush(error(ErrorCode.FRAME_TOO_LARGE, "frames are at most " + MAX_FRAME_BYTES
                        + " bytes")).addListener(ChannelFutureListener.CLOSE);
                return;
            }
            super.decode(ctx, in, out);
        }

        /** The length prefix at the reader index, -1 while incomplete or invalid (the superclass handles those). */
        private static long peekVarint32(ByteBuf in) {
            long value = 0;
            int index = in.readerIndex();
            for (int shift = 0; shift < 35 && index < in.writerIndex(); shift += 7) {
                byte b = in.getByte(index++);
                value |= (long) (b & 0x7f) << shift;
                if (b >= 0) {
                    return value;
                }
            }
            return -1;
        }
    }

    private final class Handler extends SimpleChannelInboundHandler<Envelope> {
        private String uid;

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, Envelope frame) {
            switch (frame.getBodyCase()) {
                case LOGIN -> login(ctx, frame.getLogin().getUid());
                case CHAT -> chat(ctx, frame.getChat());
                case PING -> ctx.writeAndFlush(Envelope.newBuilder()
                        .setPong(Pong.newBuilder().setPingSentAt(frame.getPing().getSentAt())).build());
                default -> ctx.writeAndFlush(error(ErrorCode.UNKNOWN_FRAME,
                        "the naive node knows login, chat and ping"));
            }
        }

        private void login(ChannelHandlerContext ctx, String who) {
            if (uid != null) {
                ctx.writeAndFlush(error(ErrorCode.ALREADY_LOGGED_IN, uid));
                return;
            }
            if (who.isEmpty()) {
                ctx.writeAndFlush(error(ErrorCode.BAD_INPUT, "login needs a uid"));
                return;
            }
            try {
                redis.set(sessionKey(who), nodeId);          // the article's session: no TTL, blocking
            } catch (RuntimeException e) {
                ctx.writeAndFlush(error(ErrorCode.UNAVAILABLE, "Redis: " + e.getMessage()));
                return;
            }
            uid = who;
            local.put(who, ctx.channel());                   // a second connection of the same uid replaces it
            ctx.writeAndFlush(Envelope.newBuilder().setLoginAck(LoginAck.newBuilder().setUid(who)).build());
        }

        private void chat(ChannelHandlerContext ctx, ChatMessage message) {
            if (uid == null) {
                ctx.writeAndFlush(error(ErrorCode.NOT_LOGGED_IN, "send a login frame first"));
                return;
            }
            boolean direct = !message.getToUid().isEmpty();
            Set<String> recipients = new LinkedHashSet<>();
            if (direct) {
                recipients.add(message.getToUid());
            } else {
                recipients.addAll(message.getToUidListList());   // duplicates get one copy
                recipients.remove(uid);                          // the sender does not receive their own message
            }
            if (!direct && message.getToUidListCount() == 0) {
                ctx.writeAndFlush(error(ErrorCode.BAD_INPUT, "a chat message needs to_uid or to_uid_list"));
                return;
            }
            ChatMessage stamped = message.toBuilder()
                    .setMsgId(idPrefix + ids.incrementAndGet())
                    .setFromUid(uid)
                    .setTimestamp(System.currentTimeMillis())
                    .build();
            List<String> sent = new ArrayList<>();
            List<String> offline = new ArrayList<>();
            for (String to : recipients) {
                Channel target = local.get(to);
                if (target != null) {
                    target.writeAndFlush(Envelope.newBuilder().setChat(stamped).build());
                    sent.add(to);
                    continue;
                }
                try {
                    String owner = redis.get(sessionKey(to));                     // round trip 1, per recipient
                    if (owner == null) {
                        offline.add(to);
                        continue;
                    }
                    ChatMessage copy = direct ? stamped : stamped.toBuilder().setToUid(to).build();
                    redis.lpush(owner.getBytes(StandardCharsets.UTF_8), copy.toByteArray()); // round trip 2
                    sent.add(to);
                } catch (RuntimeException e) {
                    ctx.writeAndFlush(error(ErrorCode.UNAVAILABLE, "Redis: " + e.getMessage()
                            + (sent.isEmpty() ? "" : "; already sent to " + sent)));
                    return;
                }
            }
            if (direct && !offline.isEmpty()) {
                ctx.writeAndFlush(error(ErrorCode.OFFLINE, message.getToUid()));
                return;
            }
            ctx.writeAndFlush(Envelope.newBuilder().setSendAck(SendAck.newBuilder().setMsgId(stamped.getMsgId())
                    .addAllSentUids(sent).addAllOfflineUids(offline)).build());
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object event) throws Exception {
            if (event instanceof IdleStateEvent idle && idle.state() == IdleState.READER_IDLE) {
                ctx.close();
            } else {
                super.userEventTriggered(ctx, event);
            }
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) throws Exception {
            if (uid != null && local.remove(uid, ctx.channel())) {
                // The article removes the session on disconnect, without checking whose it is: if the user already
                // logged in on another node, this deletes their new session there (until they log in again).
                try {
                    redis.del(sessionKey(uid));
                } catch (RuntimeException e) {
                    // Redis unreachable: the stale session stays, as it would in the article
                }
            }
            super.channelInactive(ctx);
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();                            // a corrupt frame, a reset connection: drop the connection
        }
    }

    // --- the consumer -------------------------------------------------------------------------------------------

    private void startConsumer() {
        consumer = new Thread(this::consume, "naive-brpop-" + nodeId);
        consumer.setDaemon(true);
        consumer.start();
    }

    private void consume() {
        byte[] list = nodeId.getBytes(StandardCharsets.UTF_8);
        while (running) {
            List<byte[]> popped;
            try {
                popped = redis.brpop(1, list);       // one message per round trip; from here on it exists only here
            } catch (RuntimeException e) {
                if (!running) {
                    return;
                }
                System.err.println("naive node " + nodeId + ": BRPOP failed (" + e + "); retrying in 200 ms");
                try {
                    Thread.sleep(200);
                } catch (InterruptedException interrupted) {
                    return;
                }
                continue;
            }
            if (popped == null || popped.size() < 2) {
                continue;
            }
            ChatMessage message;
            try {
                message = ChatMessage.parseFrom(popped.get(1));
            } catch (InvalidProtocolBufferException e) {
                System.err.println("naive node " + nodeId + ": dropped an unreadable list entry (" + e + ")");
                continue;
            }
            Channel target = local.get(message.getToUid());
            if (target != null) {
                // A group copy carried the member in to_uid only for routing: deliver it as the group message it is.
                ChatMessage out = message.getToUidListCount() > 0 ? message.toBuilder().clearToUid().build() : message;
                target.writeAndFlush(Envelope.newBuilder().setChat(out).build());
            } // else: not connected here (any more): dropped, as the article does
        }
    }

    // --- ZooKeeper ----------------------------------------------------------------------------------------------

    private void register(String zk, int sessionTimeoutMs) throws Exception {
        curator = CuratorFrameworkFactory.builder()
                .connectString(zk)
                .sessionTimeoutMs(sessionTimeoutMs)
                .connectionTimeoutMs(Math.min(sessionTimeoutMs, 15_000))
                .retryPolicy(new ExponentialBackoffRetry(200, 10, 2_000))
                .build();
        // Re-register after a reconnection: if the session expired meanwhile, ZooKeeper deleted the ephemeral node.
        curator.getConnectionStateListenable().addListener((client, state) -> {
            if (state == ConnectionState.RECONNECTED && running) {
                try {
                    createZnode();
                } catch (Exception e) {
                    System.err.println("naive node " + nodeId + ": could not re-register in ZooKeeper (" + e + ")");
                }
            }
        });
        curator.start();
        if (!curator.blockUntilConnected(Math.max(sessionTimeoutMs, 15_000), TimeUnit.MILLISECONDS)) {
            throw new IllegalStateException("ZooKeeper " + zk + " not reachable");
        }
        createZnode();
    }

    private synchronized void createZnode() throws Exception {
        String path = SERVERS_PATH + "/" + nodeId;
        Map<String, Object> info = new LinkedHashMap<>();
        info.put("nodeId", nodeId);
        info.put("host", "127.0.0.1");
        info.put("port", port);
        info.put("connections", 0);
        byte[] data = JSON.writeValueAsBytes(info);
        for (int attempt = 1; ; attempt++) {
            try {
                curator.create().creatingParentContainersIfNeeded().withMode(CreateMode.EPHEMERAL).forPath(path, data);
                return;
            } catch (KeeperException.NodeExistsException e) {
                // Ours (the session survived): nothing to do. A previous session's, not yet expired: replace it.
                // ZooKeeper may expire that session, and delete its znode, at any moment in between: a znode gone
                // before our delete is what we wanted (before, that NoNode ended the re-registration for good).
                Stat stat = curator.checkExists().forPath(path);
                long session = curator.getZookeeperClient().getZooKeeper().getSessionId();
                if (stat != null && stat.getEphemeralOwner() == session) {
                    return;
                }
                if (stat != null) {
                    try {
                        curator.delete().forPath(path);
                    } catch (KeeperException.NoNodeException gone) {
                        // expired meanwhile
                    }
                }
                if (attempt == 3) {
                    throw e;
                }
            }
        }
    }

    // --- shutdown -----------------------------------------------------------------------------------------------

    /**
     * The article's shutdown, i.e. none: closes the listening socket, ZooKeeper and Redis, and the connections with
     * the event loops. Nothing is drained; the consumer stops after its current {@code BRPOP} (at most ~1 s), and a
     * message it pops meanwhile is lost.
     */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        running = false;
        if (serverChannel != null) {
            serverChannel.close().syncUninterruptibly();
        }
        if (curator != null) {
            curator.close();
        }
        boss.shutdownGracefully(0, 1, TimeUnit.SECONDS);
        workers.shutdownGracefully(0, 1, TimeUnit.SECONDS);
        if (consumer != null) {
            try {
                consumer.join(3_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        redis.close();
    }

    // --- helpers ------------------------------------------------------------------------------------------------

    static String sessionKey(String uid) {
        return "chat:user:session:" + uid;
    }

    private static Envelope error(ErrorCode code, String text) {
        return Envelope.newBuilder().setError(ErrorReply.newBuilder().setCode(code).setText(text)).build();
    }

    private static final String USAGE = "\nusage: NaiveNode --port P --node-id ID --zk HOST:PORT "
            + "--redis redis://HOST:PORT [--zk-session-timeout-ms 10000] [any other --flag value is ignored]";

    private static Map<String, String> parse(String[] args) {
        Map<String, String> flags = new HashMap<>();
        for (int i = 0; i < args.length; i += 2) {
            if (!args[i].startsWith("--") || i + 1 >= args.length) {
                throw new IllegalArgumentException("expected --flag value pairs, got '" + args[i] + "'" + USAGE);
            }
            flags.put(args[i].substring(2), args[i + 1]);
        }
        return flags;
    }

    private static String required(Map<String, String> flags, String name) {
        String value = flags.get(name);
        if (value == null || value.isBlank()) {
            throw new IllegalArgumentException("--" + name + " is required" + USAGE);
        }
        return value;
    }

    private static int intFlag(Map<String, String> flags, String name, int absent) {
        String value = flags.get(name);
        if (value == null) {
            return absent;
        }
        try {
            return Integer.parseInt(value);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--" + name + " must be a whole number, got '" + value + "'" + USAGE);
        }
    }
}
