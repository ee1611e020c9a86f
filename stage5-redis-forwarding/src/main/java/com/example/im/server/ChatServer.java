package com.example.im.server;

import com.example.im.config.Flags;
import com.example.im.registry.NodeInfo;
import com.example.im.registry.NodeRegistration;
import com.example.im.registry.Registry;
import com.example.im.route.RedisKeys;
import com.example.im.route.RedisRouting;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A single chat server: accepts TCP connections and relays messages between logged-in users
 * (docs/01-single-node.md). Start it with {@link #start(ServerConfig)}; {@link #close()} returns once it has stopped.
 */
public final class ChatServer implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(ChatServer.class);

    private final EventLoopGroup boss;
    private final EventLoopGroup workers;
    private final Channel serverChannel;
    private final SessionMap sessions;
    private final String nodeId;
    private volatile NodeRegistration registration;
    private volatile RedisRouting routing;
    private final AtomicBoolean closed = new AtomicBoolean();

    private ChatServer(EventLoopGroup boss, EventLoopGroup workers, Channel serverChannel, SessionMap sessions,
                       String nodeId) {
        this.boss = boss;
        this.workers = workers;
        this.serverChannel = serverChannel;
        this.sessions = sessions;
        this.nodeId = nodeId;
    }

    // tag::start[]
    public static ChatServer start(ServerConfig config) throws InterruptedException {
        // One thread accepts connections; the workers (2 x cores by default) run every connection's pipeline.
        EventLoopGroup boss = new MultiThreadIoEventLoopGroup(1, new DefaultThreadFactory("im-boss"),
                NioIoHandler.newFactory());
        EventLoopGroup workers = new MultiThreadIoEventLoopGroup(0, new DefaultThreadFactory("im-worker"),
                NioIoHandler.newFactory());
        SessionMap sessions = new SessionMap();
        MessageIds ids = new MessageIds();
        AtomicReference<ChatServer> self = new AtomicReference<>();
        ChatServer server = null;
        try {
            Channel serverChannel = new ServerBootstrap()
                    .group(boss, workers)
                    .channel(NioServerSocketChannel.class)
                    .option(ChannelOption.SO_BACKLOG, 1024)
                    // Bound, but not accepting yet: a connection accepted before the Redis client exists would get
                    // a handler without Redis for the rest of its life. Connections wait in the backlog meanwhile.
                    .option(ChannelOption.AUTO_READ, false)
                    .childOption(ChannelOption.AUTO_READ, true)
                    .childOption(ChannelOption.TCP_NODELAY, true)
                    // Past 64 KiB waiting to be written a connection turns unwritable; SlowReaderHandler times that.
                    .childOption(ChannelOption.WRITE_BUFFER_WATER_MARK, SlowReaderHandler.WATER_MARK)
                    .childHandler(new ChatServerInitializer(sessions, config, ids,
                            () -> self.get() == null ? null : self.get().routing))
                    .bind(config.host(), config.port())
                    .sync()
                    .channel();
            int port = ((InetSocketAddress) serverChannel.localAddress()).getPort();
            String nodeId = config.nodeId() != null ? config.nodeId()
                    : config.advertisedHost() + ":" + config.advertisedPort(port);
            server = new ChatServer(boss, workers, serverChannel, sessions, nodeId);
            self.set(server);
            log.info("chat server {} listening on {}", nodeId, server.localAddress());
            if (config.redisUri() != null) {
                // Before registering in ZooKeeper: by the time a client is sent here, cross-node routing works.
                server.routing = new RedisRouting(config.redisUri(), nodeId, sessions, config.sessionTtlMillis(),
                        config.undeliverableMillis());
                log.info("sessions and inbox {} in Redis {}", RedisKeys.inbox(nodeId), config.redisUri());
            }
            serverChannel.config().setAutoRead(true);
            if (config.zkConnect() != null) {
                server.register(config, port);
            }
            return server;
        } catch (InterruptedException | RuntimeException e) {
            if (server != null) {
                server.halt(); // the Redis and ZooKeeper clients it made so far, and the port
            }
            boss.shutdownGracefully(0, 0, TimeUnit.SECONDS);
            workers.shutdownGracefully(0, 0, TimeUnit.SECONDS);
            throw e;
        }
    }
    // end::start[]

    // tag::register[]
    /** Registers in ZooKeeper once the port is bound, so no client is ever sent to a node that cannot accept it. */
    private void register(ServerConfig config, int port) throws InterruptedException {
        NodeInfo me = new NodeInfo(nodeId, config.advertisedHost(), config.advertisedPort(port), 0);
        registration = new NodeRegistration(Registry.curator(config.zkConnect(), config.zkSessionTimeoutMillis()),
                me, sessions::size);
        if (registration.awaitRegistered(10, TimeUnit.SECONDS)) {
            log.info("registered as {} in ZooKeeper {}", registration.path(), config.zkConnect());
        } else {
            // Keep serving: the recipe registers as soon as ZooKeeper answers.
            log.warn("ZooKeeper {} not reachable yet; {} will be registered when it is", config.zkConnect(),
                    registration.path());
        }
        boss.scheduleAtFixedRate(registration::refresh, config.loadRefreshMillis(), config.loadRefreshMillis(),
                TimeUnit.MILLISECONDS);
    }
    // end::register[]

    /** The address actually bound (with the real port when the config asked for port 0). */
    public InetSocketAddress localAddress() {
        return (InetSocketAddress) serverChannel.localAddress();
    }

    public SessionMap sessions() {
        return sessions;
    }

    public String nodeId() {
        return nodeId;
    }

    /** Sessions and inbox in Redis, or null when the node runs without Redis. */
    public RedisRouting routing() {
        return routing;
    }

    /** The ZooKeeper registration, or null when the node runs without ZooKeeper. */
    public NodeRegistration registration() {
        return registration;
    }

    /**
     * Leaves ZooKeeper (no new client is sent here), stops accepting, closes every connection, stops the threads;
     * returns when all of that is done.
     */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        if (registration != null) {
            registration.close();
        }
        serverChannel.close().syncUninterruptibly();
        // Shutting the workers down closes every connection they own (each runs channelInactive, so sessions go).
        boss.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
        workers.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
        if (routing != null) {
            routing.close(); // after the connections: their logouts still remove sessions from Redis
        }
        log.info("chat server stopped");
    }

    /**
     * Simulates a crash (kill -9) inside a test: Redis activity stops first, so nothing is cleaned up there — the
     * users' sessions stay until their TTL and the inbox keeps what it holds — then everything else goes.
     */
    public void halt() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        if (routing != null) {
            routing.halt();
        }
        if (registration != null) {
            registration.curator().close(); // the session ends; ZooKeeper drops the ephemeral znode
            registration = null;
        }
        serverChannel.close().syncUninterruptibly();
        boss.shutdownGracefully(0, 0, TimeUnit.SECONDS).syncUninterruptibly();
        workers.shutdownGracefully(0, 0, TimeUnit.SECONDS).syncUninterruptibly();
        log.info("chat server {} halted", nodeId);
    }

    /**
     * How a console reaches this node: through ZooKeeper, or, for a node without it, at its port with {@code --zk none}
     * (without it the console would look for the nodes in ZooKeeper on 127.0.0.1:2181).
     */
    static String consoleArgs(ServerConfig config, int port) {
        return config.zkConnect() == null ? "--zk none --port " + port : "--zk " + config.zkConnect();
    }

    public static void main(String[] args) throws InterruptedException {
        ServerConfig config;
        try {
            Flags flags = Flags.parse(args, ServerConfig.flagNames());
            if (flags.help()) {
                System.out.println(ServerConfig.USAGE);
                return;
            }
            config = ServerConfig.fromFlags(flags);
        } catch (IllegalArgumentException e) {
            System.err.println("error: " + e.getMessage());
            System.err.println(ServerConfig.USAGE);
            System.exit(2);
            return;
        }
        ChatServer server = start(config);
        InetSocketAddress address = server.localAddress();
        System.out.printf("Chat node %s on %s:%d%s. Chat with it from two terminals:%n"
                        + "  java -cp stage5-redis-forwarding/target/stage5-redis-forwarding.jar com.example.im.client.ChatConsole"
                        + " %s%n  then type: LOGIN alice  /  SEND bob hello  /  GROUP bob,carol hi all  /  HELP%n"
                        + "Ctrl-C stops the server.%n",
                server.nodeId(), address.getHostString(), address.getPort(),
                (config.zkConnect() == null ? "" : ", registered in ZooKeeper " + config.zkConnect())
                        + (config.redisUri() == null ? "" : ", Redis " + config.redisUri()),
                consoleArgs(config, address.getPort()));
        Runtime.getRuntime().addShutdownHook(new Thread(server::close, "shutdown"));
        server.serverChannel.closeFuture().sync();
    }
}
