package com.example.im.demo;

import com.example.im.auth.TokenSource;
import com.example.im.client.ChatClient;
import com.example.im.client.ClientConfig;
import com.example.im.client.NodeLocator;
import com.example.im.config.Flags;
import com.example.im.embedded.EmbeddedRedis;
import com.example.im.embedded.EmbeddedRedisCluster;
import com.example.im.embedded.EmbeddedZooKeeper;
import com.example.im.embedded.Infra;
import com.example.im.protocol.Envelope;
import com.example.im.server.ChatServer;
import com.example.im.server.EdgeSettings;
import com.example.im.server.ServerConfig;
import com.example.im.tls.SelfSignedCertificate;
import java.io.PrintStream;
import java.nio.charset.Charset;
import java.nio.file.Files;
import java.time.Duration;
import java.util.Base64;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * The main job: a whole cluster in one command (docs/06-graceful-shutdown.md, "The demo"). It starts a ZooKeeper and
 * a Redis on 127.0.0.1 (real servers: curator-test's ZooKeeper, and redis-server from PATH or the binary bundled in
 * embedded-redis) unless {@code --zk}/{@code --redis} point elsewhere, starts the nodes, plays a short conversation
 * across them, then stays up for browsers and {@code ChatConsole} users until Ctrl-C shuts everything down gracefully.
 * Stage 8 (docs/08-web-edge.md): every node also serves the chat page, the cluster page and WebSocket on its HTTP
 * port (8001, 8002, ...); logins need a token, which the nodes' development token issuer hands to anyone (a demo, not
 * a deployment); {@code --tls} turns TLS on for both ports with a self-signed certificate made at start.
 *
 * <pre>java -jar stage9-scale-out/target/stage9-scale-out.jar [--nodes 2] [--base-port 7001] [--http-base-port 8001]
 *      [--tls] [--zk host:port] [--redis redis://host:port[,redis://host:port...]] [--redis-cluster]</pre>
 *
 * <p>Stage 9 (docs/09-scale-out.md): {@code --redis-cluster} starts a local Redis Cluster (3 masters x 1 replica on
 * free ports) instead of the one Redis; {@code --redis} also takes the seeds of a cluster that runs elsewhere.
 */
public final class ClusterDemo implements AutoCloseable {

    static final String USAGE = "usage: ClusterDemo [--nodes 2] [--base-port 7001] [--http-base-port 8001] [--tls]"
            + " [--zk host:port] [--redis redis://host:port[,...] | --redis-cluster] [--exit-after-script]"
            + "\n  the nodes' token key is random at each start, or IM_AUTH_KEY (base64, 32+ bytes) when set";

    private final PrintStream out;
    private final List<AutoCloseable> infrastructure = new ArrayList<>();
    private final List<ChatServer> nodes = new ArrayList<>();
    private String zk;
    private String redis;
    private byte[] authKey;                // stage 8: what the nodes verify tokens with (and the script signs with)
    private SelfSignedCertificate tlsCert; // stage 8: null without --tls

    private ClusterDemo(PrintStream out) {
        this.out = out;
    }

    // tag::demo[]
    /** Starts infrastructure and nodes; {@code zk}/{@code redis} null means embedded; {@code basePort} 0 = any. */
    public static ClusterDemo start(int nodeCount, int basePort, String zk, String redis, PrintStream out)
            throws Exception {
        return start(nodeCount, basePort, basePort == 0 ? 0 : EdgeSettings.DEFAULT_HTTP_PORT, false, zk, redis, out);
    }

    /** As below, with one embedded Redis when {@code redis} is null. */
    public static ClusterDemo start(int nodeCount, int basePort, int httpBasePort, boolean tls, String zk,
                                    String redis, PrintStream out) throws Exception {
        return start(nodeCount, basePort, httpBasePort, tls, zk, redis, false, out);
    }

    /**
     * As above, with the HTTP ports from {@code httpBasePort} (0 = any), TLS on both ports when {@code tls}, and
     * (stage 9) a local Redis Cluster instead of one Redis when {@code redisCluster} and {@code redis} is null.
     */
    public static ClusterDemo start(int nodeCount, int basePort, int httpBasePort, boolean tls, String zk,
                                    String redis, boolean redisCluster, PrintStream out) throws Exception {
        ClusterDemo demo = new ClusterDemo(out);
        try {
            String key = System.getenv("IM_AUTH_KEY");
            demo.authKey = Base64.getDecoder().decode((key != null ? key : EdgeSettings.newKeyBase64()).trim());
            if (tls) {
                demo.tlsCert = SelfSignedCertificate.generate(Files.createTempDirectory("im-demo-tls-"), List.of());
                out.println("TLS on both ports; self-signed certificate " + demo.tlsCert.cert());
            }
            if (zk == null) {
                EmbeddedZooKeeper server = EmbeddedZooKeeper.start(Infra.portOr(2181));
                demo.infrastructure.add(server);
                zk = server.connectString();
                out.println("ZooKeeper " + server.version() + " (embedded) on " + zk);
            }
            if (redis == null && redisCluster) {
                EmbeddedRedisCluster cluster = EmbeddedRedisCluster.start(3, 1);
                demo.infrastructure.add(cluster);
                redis = cluster.uri();
                out.println(cluster.description());
            } else if (redis == null) {
                EmbeddedRedis server = EmbeddedRedis.startOn(Infra.portOr(6379));
                demo.infrastructure.add(server);
                redis = server.uri();
                out.println("Redis " + server.version() + " (" + server.description() + ")");
            }
            demo.zk = zk;
            demo.redis = redis;
            for (int i = 0; i < nodeCount; i++) {
                EdgeSettings edge = EdgeSettings.forTests()
                        .withAuthKey(demo.authKey)
                        .withHttpPort(httpBasePort == 0 ? 0 : httpBasePort + i)
                        .withDevTokenIssuer(true); // development only: a token for anyone who asks
                if (demo.tlsCert != null) {
                    edge = edge.withTls(demo.tlsCert.cert().toString(), demo.tlsCert.key().toString());
                }
                ServerConfig config = ServerConfig.forTests()
                        .withPort(basePort == 0 ? 0 : basePort + i)
                        .withZooKeeper(zk, ServerConfig.DEFAULT_LOAD_REFRESH_MILLIS)
                        .withRedis(redis, ServerConfig.DEFAULT_SESSION_TTL_MILLIS,
                                ServerConfig.DEFAULT_UNDELIVERABLE_MILLIS)
                        .withEdge(edge);
                ChatServer node = ChatServer.start(config);
                demo.nodes.add(node);
                out.println("node " + (i + 1) + ": " + node.nodeId() + ", chat page " + demo.pageUrl(node));
            }
            return demo;
        } catch (Exception | Error e) {
            demo.close();
            throw e;
        }
    }

    /**
     * A scripted conversation across the nodes: alice on node 1, bob on the last node, carol on node 1; a private
     * message each way, then a group message with an offline member, dave, who logs in afterwards on the last node
     * and gets it from his mailbox. Returns true when every step got its answer.
     */
    public boolean playScript() throws Exception {
        ChatServer first = nodes.get(0);
        ChatServer last = nodes.get(nodes.size() - 1);
        try (Speaker alice = new Speaker("alice", first); Speaker bob = new Speaker("bob", last);
             Speaker carol = new Speaker("carol", first)) {
            out.println();
            out.println("-- a scripted conversation across the nodes --");
            alice.client.send("bob", "hi bob, I am on " + first.nodeId());
            boolean ok = alice.expect("OK sent") & bob.expect("MSG alice");
            bob.client.send("alice", "hello alice, I am on " + last.nodeId());
            ok &= bob.expect("OK sent") & alice.expect("MSG bob");
            alice.client.sendGroup(List.of("bob", "carol", "dave"), "lunch at noon? (方式二: one message, three members)");
            ok &= alice.expect("OK sent") & bob.expect("MSG alice") & carol.expect("MSG alice");
            // Stage 7: dave was offline, so the group message waited in his mailbox; it arrives when he logs in.
            out.println("-- dave logs in on " + last.nodeId() + " and gets what was stored for him --");
            try (Speaker dave = new Speaker("dave", last)) {
                ok &= dave.expect("MSG alice");
            }
            out.println(ok ? "-- every message arrived --" : "-- SOMETHING WAS MISSING --");
            return ok;
        }
    }
    // end::demo[]

    /** One scripted user: a client on a given node that prints what it receives. */
    private final class Speaker implements AutoCloseable {
        private final String uid;
        private final ChatClient client;
        private final BlockingQueue<Envelope> frames = new LinkedBlockingQueue<>();

        Speaker(String uid, ChatServer node) throws InterruptedException {
            this.uid = uid;
            int port = node.localAddress().getPort();
            // The script signs its own tokens with the nodes' key; with --tls it trusts the demo's certificate.
            this.client = ChatClient.connect(ClientConfig.of("127.0.0.1", port).withReconnect(false)
                            .withTokens(TokenSource.signing(authKey, Duration.ofHours(1)))
                            .withTlsTrust(tlsCert == null ? null : tlsCert.cert().toString()),
                    NodeLocator.fixed("127.0.0.1", port), uid, frames::add);
            if (!expect("OK login")) {
                throw new IllegalStateException(uid + " could not log in");
            }
        }

        /** Waits (bounded) for the next frame and prints it; true when it starts as expected. */
        boolean expect(String start) throws InterruptedException {
            Envelope frame = frames.poll(10, TimeUnit.SECONDS);
            String line = frame == null ? "(nothing within 10 s)" : com.example.im.client.ChatConsole.describe(frame);
            out.printf("  %-6s| %s%n", uid, line);
            return line.startsWith(start);
        }

        @Override
        public void close() {
            client.close();
        }
    }

    /** Graceful shutdown of every node (each its ordered sequence), then the embedded servers. */
    @Override
    public void close() {
        for (ChatServer node : nodes) {
            if (node != null) { // null: stopped by a command
                node.close();
            }
        }
        nodes.clear();
        for (int i = infrastructure.size() - 1; i >= 0; i--) {
            try {
                infrastructure.get(i).close();
            } catch (Exception e) {
                out.println("could not stop " + infrastructure.get(i) + ": " + e);
            }
        }
        infrastructure.clear();
    }

    /** Leaves stopping the embedded Redis to {@link #close()}, after the nodes (see EmbeddedRedis#stopLast). */
    void stopRedisLast() {
        for (AutoCloseable server : infrastructure) {
            if (server instanceof EmbeddedRedis redis) {
                redis.stopLast();
            } else if (server instanceof EmbeddedRedisCluster cluster) {
                cluster.stopLast();
            }
        }
    }

    /**
     * Reads the demo's own commands until the input ends: {@code stop N}, {@code crash N}, {@code nodes}. So a learner
     * can watch a page move to another node without a second terminal.
     */
    void commands(java.io.BufferedReader in, PrintStream out) throws java.io.IOException {
        for (String line = in.readLine(); line != null; line = in.readLine()) {
            String[] words = line.trim().split("\\s+");
            try {
                switch (words[0]) {
                    case "" -> { }
                    case "nodes" -> out.println(describeNodes());
                    case "stop", "crash" -> out.println(stopNode(Integer.parseInt(words[1]), words[0].equals("crash")));
                    default -> out.println("commands: stop N | crash N | nodes");
                }
            } catch (RuntimeException e) {
                out.println("commands: stop N | crash N | nodes (" + e.getMessage() + ")");
            }
        }
    }

    /** Stops node {@code number} (1-based, as printed): gracefully, or as a crash (no go-away, no drain). */
    synchronized String stopNode(int number, boolean crash) {
        if (number < 1 || number > nodes.size() || nodes.get(number - 1) == null) {
            return "no running node " + number + "; " + describeNodes();
        }
        ChatServer node = nodes.set(number - 1, null);
        if (crash) {
            node.halt();
            return "node " + number + " (" + node.nodeId() + ") crashed: its users reconnect elsewhere; a survivor "
                    + "takes over its inbox when its ZooKeeper session expires";
        }
        node.close();
        return "node " + number + " (" + node.nodeId() + ") stopped gracefully: go-away sent, inbox drained";
    }

    synchronized String describeNodes() {
        StringBuilder list = new StringBuilder();
        for (int i = 0; i < nodes.size(); i++) {
            ChatServer node = nodes.get(i);
            list.append(i == 0 ? "" : "; ").append("node ").append(i + 1).append(": ")
                    .append(node == null ? "stopped" : node.nodeId() + " " + pageUrl(node));
        }
        return list.toString();
    }

    public List<ChatServer> nodes() {
        return nodes.stream().filter(java.util.Objects::nonNull).toList();
    }

    public String zooKeeper() {
        return zk;
    }

    public String redis() {
        return redis;
    }

    /** The console command for this cluster, with its real ZooKeeper (not 2181 when 2181 was taken). */
    public String consoleCommand() {
        return "java -cp stage9-scale-out/target/stage9-scale-out.jar com.example.im.client.ChatConsole"
                + " --zk " + zk + " --strategy round-robin"
                + " --token-url " + pageUrl(nodes.get(0)) + "dev/token"
                + (tlsCert == null ? "" : " --tls-trust " + tlsCert.cert());
    }

    /**
     * The chat page of {@code node} (the root of its HTTP port), at the address the node advertises — what
     * {@code /api/nodes} tells the pages (docs/09-scale-out.md, "Advertised addresses"); the demo binds 127.0.0.1
     * and advertises it.
     */
    public String pageUrl(ChatServer node) {
        return node.pageUrl();
    }

    /** What a learner needs to open the pages (stage 8): the URLs, and for --tls how a browser trusts the certificate. */
    public String browserHint() {
        StringBuilder hint = new StringBuilder("Open the chat in a browser: ");
        for (int i = 0; i < nodes.size(); i++) {
            hint.append(i == 0 ? "" : " or ").append(pageUrl(nodes.get(i))).append(" (node ").append(i + 1).append(')');
        }
        hint.append("\n  and the cluster page: ").append(pageUrl(nodes.get(0))).append("cluster.html")
                .append("\n  Log in as anyone: each node's development token issuer (POST /dev/token) hands out tokens."
                        + " Development only.");
        if (tlsCert != null) {
            hint.append("\n  TLS: the certificate is self-signed. Trust exactly it in Chromium:\n    chromium"
                    + " --user-data-dir=$(mktemp -d) --ignore-certificate-errors-spki-list=")
                    .append(tlsCert.spkiSha256()).append(' ').append(pageUrl(nodes.get(0)))
                    .append("\n  (other browsers: import ").append(tlsCert.cert()).append(", or accept the warning)");
        }
        return hint.toString();
    }

    /** The command line as {@link #USAGE} shows it; {@code --exit-after-script} is a switch, it takes no value. */
    static Flags flags(String[] args) {
        return Flags.parse(args, Set.of("nodes", "base-port", "http-base-port", "tls", "zk", "redis",
                "redis-cluster", "exit-after-script"), Set.of("exit-after-script", "tls", "redis-cluster"));
    }

    /** {@code --redis-cluster}, refused next to {@code --redis} (which Redis would the nodes use?). */
    static boolean redisCluster(Flags flags) {
        boolean cluster = Boolean.parseBoolean(flags.get("redis-cluster", "false"));
        if (cluster && flags.get("redis", null) != null) {
            throw new IllegalArgumentException("--redis-cluster starts a local Redis Cluster; --redis names one"
                    + " that runs elsewhere: give one of them");
        }
        return cluster;
    }

    public static void main(String[] args) throws Exception {
        // The terminal is for the script, not for the servers' diaries (unless the user chose log levels).
        Infra.quietLogs(System.getProperties());
        Flags flags;
        try {
            flags = flags(args);
        } catch (IllegalArgumentException e) {
            System.err.println("error: " + e.getMessage() + "\n" + USAGE);
            System.exit(2);
            return;
        }
        if (flags.help()) {
            System.out.println(USAGE);
            return;
        }
        int basePort = flags.getInt("base-port", 7001);
        ClusterDemo demo;
        try {
            demo = start(flags.getInt("nodes", 2), basePort,
                    flags.getInt("http-base-port", basePort == 0 ? 0 : EdgeSettings.DEFAULT_HTTP_PORT),
                    Boolean.parseBoolean(flags.get("tls", "false")), flags.get("zk", null), flags.get("redis", null),
                    redisCluster(flags), System.out);
        } catch (IllegalArgumentException e) {
            System.err.println("error: " + e.getMessage() + "\n" + USAGE);
            System.exit(2);
            return;
        }
        boolean ok = demo.playScript();
        if (Boolean.parseBoolean(flags.get("exit-after-script", "false"))) {
            demo.close();
            System.exit(ok ? 0 : 1);
        }
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            // The demo's logs are quiet: without this line a graceful shutdown of a few seconds looks like a hang.
            System.out.println("\nShutting down: each node gracefully (go-away, drain), then ZooKeeper and Redis ...");
            demo.close();
            System.out.println("stopped.");
        }, "demo-shutdown"));
        // This hook stops Redis after the nodes: Redis' own exit guard, running at the same time, must not stop it first.
        demo.stopRedisLast();
        System.out.printf("%nThe cluster stays up (Ctrl-C here stops everything).%n%s%n"
                        + "Or chat from other terminals:%n  %s%n"
                        + "Type here: `stop N` stops node N gracefully (its users move to another node), `crash N`"
                        + " halts it as kill -9 would, `nodes` lists them.%n", demo.browserHint(),
                demo.consoleCommand());
        demo.commands(new java.io.BufferedReader(new java.io.InputStreamReader(System.in, Charset.defaultCharset())),
                System.out);
        Thread.currentThread().join();
    }
}
