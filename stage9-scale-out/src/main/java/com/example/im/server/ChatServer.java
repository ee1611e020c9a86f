package com.example.im.server;

import com.example.im.config.Flags;
import com.example.im.metrics.ClusterView;
import com.example.im.metrics.NodeMetrics;
import com.example.im.protocol.Replies;
import com.example.im.registry.NodeDirectory;
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
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.util.concurrent.GlobalEventExecutor;
import com.example.im.auth.DevTokenIssuer;
import com.example.im.auth.Tokens;
import com.example.im.web.HttpRoutes;
import com.example.im.web.WebEdge;
import com.example.im.tls.ServerTls;
import io.netty.handler.ssl.SslContext;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeoutException;
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
    private volatile Channel httpChannel; // stage 8: the web edge (docs/08-web-edge.md)
    private final SessionMap sessions;
    private final String nodeId;
    private volatile NodeRegistration registration;
    private volatile RedisRouting routing;
    private volatile NodeDirectory directory;
    private volatile ShutdownReport lastShutdown;
    private final ServerConfig config;
    private final AtomicBoolean closed = new AtomicBoolean();
    private final NodeMetrics metrics; // stage 8: docs/08-web-edge.md, "Metrics"
    private volatile ClusterView cluster;

    private ChatServer(EventLoopGroup boss, EventLoopGroup workers, Channel serverChannel, SessionMap sessions,
                       String nodeId, ServerConfig config, NodeMetrics metrics) {
        this.config = config;
        this.metrics = metrics;
        this.boss = boss;
        this.workers = workers;
        this.serverChannel = serverChannel;
        this.sessions = sessions;
        this.nodeId = nodeId;
    }

    // tag::start[]
    public static ChatServer start(ServerConfig config) throws InterruptedException {
        // Stage 8: one TLS context for both ports, or null (docs/08-web-edge.md, "TLS"). A bad --tls-cert/--tls-key
        // (unreadable, not PEM, key not the certificate's) stops the start here with a sentence saying which.
        SslContext ssl = ServerTls.fromSettings(config.edge());
        // One thread accepts connections; the workers (2 x cores by default) run every connection's pipeline.
        EventLoopGroup boss = new MultiThreadIoEventLoopGroup(1, new DefaultThreadFactory("im-boss"),
                NioIoHandler.newFactory());
        EventLoopGroup workers = new MultiThreadIoEventLoopGroup(0, new DefaultThreadFactory("im-worker"),
                NioIoHandler.newFactory());
        SessionMap sessions = new SessionMap();
        MessageIds ids = new MessageIds();
        AtomicReference<ChatServer> self = new AtomicReference<>();
        ChatServerInitializer chat = new ChatServerInitializer(sessions, config, ids,
                () -> self.get() == null ? null : self.get().routing, ssl);
        ChatServer server = null;
        NodeMetrics metrics = new NodeMetrics(); // stage 8: this node's meters (docs/08-web-edge.md, "Metrics")
        chat.withMetrics(metrics);
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
                    .childHandler(chat)
                    .bind(config.host(), config.port())
                    .sync()
                    .channel();
            int port = ((InetSocketAddress) serverChannel.localAddress()).getPort();
            String nodeId = config.nodeId() != null ? config.nodeId()
                    : com.example.im.config.HostPort.forUrl(config.advertisedHost()) + ":" + config.advertisedPort(port);
            server = new ChatServer(boss, workers, serverChannel, sessions, nodeId, config, metrics);
            metrics.identify(nodeId);
            self.set(server);
            log.info("chat server {} listening on {}", nodeId, server.localAddress());
            // Stage 8: the HTTP/WebSocket port, on the same event loops and the same sessions.
            server.httpChannel = WebEdge.bind(boss, workers, config, chat, server.routes(), ssl);
            log.info("web edge of {} on {}:{}, advertised as {}", nodeId, config.host(), server.httpAddress().getPort(),
                    server.pageUrl());
            if (config.redisUri() != null) {
                // Before registering in ZooKeeper: by the time a client is sent here, cross-node routing works.
                server.routing = new RedisRouting(config.redisUri(), nodeId, sessions, config.sessionTtlMillis(),
                        config.undeliverableMillis(), config.delivery(), metrics);
                log.info("sessions and inbox {} in Redis {}", RedisKeys.inbox(nodeId), config.redisUri());
            }
            serverChannel.config().setAutoRead(true);
            server.httpChannel.config().setAutoRead(true);
            if (config.zkConnect() != null) {
                server.register(config, port);
            }
            ChatServer started = server;
            RedisRouting routing = server.routing;
            server.cluster = new ClusterView(metrics, nodeId, started::nodes,
                    routing == null ? null : routing::inboxLag, config.edge().tls()
                            ? com.example.im.tls.ClientTls.jdkTrusting(java.nio.file.Path.of(config.edge().tlsCert()))
                            : null);
            metrics.event("started", nodeId, "this node started");
            return server;
        } catch (InterruptedException | RuntimeException e) {
            if (server != null) {
                server.halt(); // the Redis and ZooKeeper clients it made so far, and the port
            } else {
                metrics.close();
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
        NodeInfo me = self(0);
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
        // Watch the other nodes: when one leaves, a survivor takes over its inbox (docs/06-graceful-shutdown.md,
        // "Takeover after kill -9"); a sweep every session TTL adopts any inbox whose owner left unnoticed. Stage 8:
        // the web edge lists them too (/api/nodes), so a node without Redis watches them as well.
        RedisRouting watching = routing;
        directory = new NodeDirectory(registration.curator(),
                joined -> metrics.event("joined", joined, joined + " joined the cluster"),
                left -> {
                    metrics.event("left", left, left + " left the cluster");
                    if (watching != null) {
                        watching.nodeLeft(left);
                    }
                }, false);
        if (watching != null) {
            watching.watch(directory, Math.max(1_000, config.sessionTtlMillis()));
        }
    }
    // end::register[]

    /**
     * The HTTP endpoints of this node (docs/08-web-edge.md, "The HTTP port"); the pages and {@code /ws} are served
     * besides these.
     */
    private HttpRoutes routes() {
        return new HttpRoutes()
                .add("/api/nodes", request -> HttpRoutes.json(nodesJson()))
                .add("/metrics", request -> CompletableFuture.completedFuture(HttpRoutes.response(
                        HttpResponseStatus.OK, NodeMetrics.CONTENT_TYPE,
                        metrics.scrape().getBytes(StandardCharsets.UTF_8))))
                .add("/api/cluster", request -> cluster == null ? HttpRoutes.json("{\"nodes\":[],\"events\":[]}")
                        : cluster.json().thenCompose(HttpRoutes::json))
                .add(DevTokenIssuer.PATH, new DevTokenIssuer(new Tokens(config.edge().authKey()),
                        config.edge().devTokenIssuer()))
                .add("/health", request -> health());
    }

    // tag::health[]
    /**
     * Stage 9: {@code GET /health} for a readiness probe (docs/09-scale-out.md, "Deployment"). 200 when this node
     * should get new clients: not shutting down, registered in a ZooKeeper it can see (or running without one), and
     * Redis answering a round trip now (bounded: 2 s, off the event loop). Else 503. Both name each part:
     * {@code {"status":"ok","zk":"registered","redis":"ok"}}. A node drops out of rotation from the first moment of
     * its shutdown, before it stops accepting connections.
     */
    private CompletionStage<FullHttpResponse> health() {
        String zk = registration == null ? "none" : directory != null && directory.isCurrent()
                && directory.contains(nodeId) ? "registered" : "not registered";
        RedisRouting redis = routing;
        CompletableFuture<String> redisState = redis == null ? CompletableFuture.completedFuture("none")
                : redis.probe().handle((ok, e) -> e == null ? "ok" : "unreachable");
        return redisState.thenApply(r -> {
            String status = closed.get() ? "stopping"
                    : zk.equals("not registered") || r.equals("unreachable") ? "unavailable" : "ok";
            byte[] body = ("{\"status\":\"" + status + "\",\"zk\":\"" + zk + "\",\"redis\":\"" + r + "\"}")
                    .getBytes(StandardCharsets.UTF_8);
            return HttpRoutes.response(status.equals("ok") ? HttpResponseStatus.OK
                    : HttpResponseStatus.SERVICE_UNAVAILABLE, "application/json; charset=utf-8", body);
        });
    }
    // end::health[]

    /** The registered nodes; just this node when it runs without ZooKeeper. */
    private List<NodeInfo> nodes() {
        NodeDirectory nodes = directory;
        return nodes != null ? nodes.nodes() : List.of(self(sessions.size()));
    }

    /**
     * This node as it tells others where to find it: the advertised addresses of both ports, never the bound ones
     * (docs/09-scale-out.md, "Advertised addresses"). A node in a container binds 0.0.0.0:8001 and is reached at
     * the host's published port; the bound address means nothing outside the container.
     */
    private NodeInfo self(int connections) {
        return new NodeInfo(nodeId, config.advertisedHost(), config.advertisedPort(localAddress().getPort()),
                connections, config.advertisedHttpPort(httpAddress().getPort()), config.edge().tls(),
                config.advertisedHttpHost());
    }

    /** The registered nodes as the pages read them; just this node when it runs without ZooKeeper. */
    private String nodesJson() {
        try {
            return NODES_JSON.writeValueAsString(java.util.Map.of("self", nodeId, "nodes", nodes()));
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** Writes {@code /api/nodes}: the same JSON for each node as its znode holds ({@link NodeInfo#toJson}). */
    private static final com.fasterxml.jackson.databind.ObjectMapper NODES_JSON =
            new com.fasterxml.jackson.databind.ObjectMapper();

    /** The chat page's URL, at the advertised HTTP address (stage 9: no longer the bound port). */
    public String pageUrl() {
        return self(0).httpBase();
    }

    /** The HTTP/WebSocket address actually bound (stage 8). */
    public InetSocketAddress httpAddress() {
        return (InetSocketAddress) httpChannel.localAddress();
    }

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

    /** This node's meters (stage 8). */
    public NodeMetrics metrics() {
        return metrics;
    }

    /** Sessions and inbox in Redis, or null when the node runs without Redis. */
    public RedisRouting routing() {
        return routing;
    }

    /** The ZooKeeper registration, or null when the node runs without ZooKeeper. */
    public NodeRegistration registration() {
        return registration;
    }

    // tag::shutdown[]
    /**
     * Graceful shutdown, in this order, bounded by {@code --shutdown-timeout-ms}; each step is timed and logged.
     * Runs on SIGTERM or SIGINT (Ctrl-C), from the shutdown hook of {@link #main}, and from tests. Returns when
     * everything has stopped.
     */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        ShutdownReport report = new ShutdownReport(log, nodeId);
        metrics.event("stopping", nodeId, "this node is shutting down");
        long deadline = System.currentTimeMillis() + config.shutdownTimeoutMillis();
        // 1. Leave ZooKeeper first: from now on no client is sent here. Survivors are told (in Redis) that this
        //    node drains its own inbox, so they do not take it over while it does.
        report.step("leave ZooKeeper", () -> {
            // Bounded: with ZooKeeper unreachable, deleting the znode would wait for it (Curator retries), and with
            // Redis stalled the leaving marker would wait out its timeouts; the steps that matter more — go-away and
            // the drain — would get no time. A quarter of the budget at most.
            long bound = Math.max(0, Math.min(deadline - System.currentTimeMillis(),
                    config.shutdownTimeoutMillis() / 4));
            CompletableFuture<String> left = CompletableFuture.supplyAsync(() -> {
                if (routing != null) {
                    try {
                        routing.markLeaving(config.shutdownTimeoutMillis());
                    } catch (RuntimeException e) {
                        log.warn("could not mark {} as leaving in Redis ({}); leaving ZooKeeper anyway", nodeId,
                                e.toString());
                    }
                }
                if (directory != null) {
                    directory.close();
                }
                if (registration == null) {
                    return "not registered";
                }
                registration.close();
                return "znode deleted";
            }, r -> daemon(r, "im-leave-zk").start());
            try {
                return left.get(bound, TimeUnit.MILLISECONDS);
            } catch (TimeoutException e) {
                return "ZooKeeper or Redis did not answer in " + bound
                        + " ms; the znode goes when the session expires";
            }
        });
        // 2. Stop accepting: a client that read the node list just before step 1 is refused and tries another node.
        report.step("stop accepting", () -> {
            serverChannel.close().syncUninterruptibly();
            httpChannel.close().syncUninterruptibly(); // the pages and WebSocket handshakes too
            return "";
        });
        // 3. Tell every client to go elsewhere; each reconnects through ZooKeeper and logs in on another node.
        report.step("go away", () -> goAway(deadline));
        // 4. Drain the inbox: what waits here for users who moved is forwarded to their new node.
        // (The last second or so is kept for steps 5-7.)
        long reserve = Math.min(1_000, config.shutdownTimeoutMillis() / 5);
        long drainDeadline = deadline - reserve;
        report.step("drain inbox", () -> routing == null ? "no Redis"
                : routing.drain(drainDeadline) ? "inbox empty; every user logged in elsewhere"
                : "deadline reached; survivors take over the rest");
        // 5. Remove the sessions this node still owns (compare-and-delete; a user who moved keeps the new one).
        report.step("remove sessions", () -> routing == null ? "no Redis"
                : routing.removeSessions(deadline - reserve / 2)
                        + " compare-and-deletes; no-ops for users already elsewhere");
        // 6. Close the Redis and ZooKeeper clients; once the inbox consumer has stopped, survivors may take over
        //    whatever is left.
        report.step("close Redis and ZooKeeper", () -> {
            if (routing != null) {
                routing.close(deadline);
            }
            return "";
        });
        // 7. Stop the event loops.
        report.step("stop event loops", () -> {
            boss.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
            workers.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
            return "";
        });
        report.done();
        closeMetrics();
        lastShutdown = report;
    }
    // end::shutdown[]

    private void closeMetrics() {
        if (cluster != null) {
            cluster.close();
        }
        metrics.close();
    }

    private static Thread daemon(Runnable r, String name) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        return t;
    }

    /** Sends go-away to every logged-in connection and waits (bounded) for the clients to leave. */
    private String goAway(long deadline) {
        // First close the local delivery gate: every write already under way is queued ahead of the go-away frame,
        // and every later message for these users goes through the inbox, which follows them to their new node.
        sessions.closeForDelivery();
        List<Channel> connected = sessions.uids().stream().map(sessions::find).filter(Objects::nonNull).toList();
        if (connected.isEmpty()) {
            return "no clients";
        }
        ChannelGroup group = new DefaultChannelGroup(GlobalEventExecutor.INSTANCE);
        group.addAll(connected);
        group.writeAndFlush(Replies.goAway("node " + nodeId + " is shutting down"));
        // Half of the remaining time at most: the inbox drain needs the other half.
        long wait = Math.max(0, (deadline - System.currentTimeMillis()) / 2);
        boolean left = group.newCloseFuture().awaitUninterruptibly(wait);
        if (!left) {
            group.close().awaitUninterruptibly();
        }
        return connected.size() + " clients " + (left ? "left" : "did not all leave in time; closed");
    }

    /** The report of the last graceful shutdown (null before one). */
    public ShutdownReport lastShutdown() {
        return lastShutdown;
    }

    /**
     * Simulates a crash (kill -9) inside a test: Redis activity stops first, so nothing is cleaned up there — the
     * users' sessions stay until their TTL and the inbox keeps what it holds — then everything else goes.
     */
    public void halt() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        if (directory != null) {
            directory.close();
        }
        if (routing != null) {
            routing.halt();
        }
        if (registration != null) {
            registration.curator().close(); // the session ends; ZooKeeper drops the ephemeral znode
            registration = null;
        }
        serverChannel.close().syncUninterruptibly();
        if (httpChannel != null) {
            httpChannel.close().syncUninterruptibly();
        }
        boss.shutdownGracefully(0, 0, TimeUnit.SECONDS).syncUninterruptibly();
        workers.shutdownGracefully(0, 0, TimeUnit.SECONDS).syncUninterruptibly();
        closeMetrics();
        log.info("chat server {} halted", nodeId);
    }

    /**
     * How a console reaches this node: through ZooKeeper, or, for a node without it, at its port with {@code --zk none}
     * (without it the console would look for the nodes in ZooKeeper on 127.0.0.1:2181).
     */
    static String consoleArgs(ServerConfig config, int port) {
        if (config.zkConnect() != null) {
            return "--zk " + config.zkConnect(); // ZooKeeper holds the advertised address
        }
        // Stage 9: the advertised address, as ZooKeeper would have it; --host only when not the console's default.
        String host = config.advertisedHost();
        return "--zk none" + (host.equals("127.0.0.1") ? "" : " --host " + host)
                + " --port " + config.advertisedPort(port);
    }

    public static void main(String[] args) throws InterruptedException {
        ServerConfig config;
        try {
            Flags flags = Flags.parse(args, ServerConfig.flagNames(), ServerConfig.switchNames());
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
        // The hook exists before the node starts: a SIGTERM during start() waits for it to finish, then shuts down.
        AtomicReference<ChatServer> started = new AtomicReference<>();
        CountDownLatch ready = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                ready.await(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            ChatServer node = started.get();
            if (node != null) {
                node.close();
            }
        }, "shutdown"));
        ChatServer server;
        try {
            server = start(config);
            started.set(server);
        } catch (IllegalArgumentException e) {
            System.err.println("error: " + e.getMessage()); // e.g. a TLS certificate that cannot be used
            ready.countDown(); // before exit: the shutdown hook waits for it
            System.exit(2);
            return;
        } finally {
            ready.countDown();
        }
        InetSocketAddress address = server.localAddress();
        System.out.printf("Chat node %s on %s:%d%s. Chat with it from two terminals:%n"
                        + "  java -cp stage9-scale-out/target/stage9-scale-out.jar com.example.im.client.ChatConsole"
                        + " %s%n  then type: LOGIN alice  /  SEND bob hello  /  GROUP bob,carol hi all  /  HELP%n"
                        + "Ctrl-C stops the server.%n",
                server.nodeId(), address.getHostString(), address.getPort(),
                (config.zkConnect() == null ? "" : ", registered in ZooKeeper " + config.zkConnect())
                        + (config.redisUri() == null ? "" : ", Redis " + config.redisUri()),
                consoleArgs(config, address.getPort())
                        + (config.edge().tls() ? " --tls-trust " + config.edge().tlsCert() : "")
                        + (config.edge().devTokenIssuer() ? " --token-url " + server.pageUrl() + "dev/token"
                                : " --token <a token for the uid, from your token issuer>"));
        System.out.printf("Browsers: %s (the chat page; %scluster.html the cluster page)%n", server.pageUrl(),
                server.pageUrl());
        server.serverChannel.closeFuture().sync();
    }
}
