package com.example.im.bench;

import com.example.im.bench.GroupFanout.Group;
import com.example.im.bench.Load.Conn;
import com.example.im.bench.Meter.Result;
import com.example.im.bench.Relay.Pair;
import com.example.im.config.Flags;
import com.example.im.embedded.EmbeddedRedis;
import com.example.im.server.ChatServer;
import com.example.im.server.ServerConfig;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.IntStream;

/**
 * The benchmark commands (docs/benchmarks.md). Each scenario prints its figures next to a baseline measured in the
 * same run, then one table. {@code all} runs every scenario once, sharing the runs that several ratios need.
 *
 * <pre>java -jar bench/target/benchmarks.jar SCENARIO [--flag value ...]</pre>
 */
public final class Bench {

    static final String USAGE = """
            usage: java -jar bench/target/benchmarks.jar SCENARIO [flags]
              scenarios:
                echo        1. raw Netty echo (no framing, bytes written back, one flush per read): the ceiling
                               of this machine for a relay (1b: a framed echo flushing every frame, to show what
                               framing and flushing cost)
                same-node   2. N sender/receiver pairs on one stage 6 node (baseline: echo)
                cross-node  3. every pair split across two nodes, through Redis (baseline: same-node)
                naive       4. the same cross-node load through the article's LPUSH/BRPOP forwarder (vs cross-node)
                rtt         4b. scenario 4 with a delaying proxy between each node and Redis, per --rtts round trip
                fanout      5. groups of 100: 方式二 (one frame, to_uid_list) vs 方式一 (one frame per member)
                fanout-3    5b. the same over 3 nodes through Redis: sender on node A, members round-robin on A, B, C
                idle        6. idle heart-beating connections one node holds, heap per connection (vs bare Netty)
                latency     7. p99 same-node latency at 50 % of the same-node rate (vs echo at that rate)
                jmh         8. JMH: codec (protobuf vs text) and consistent-hash ring lookup (vs modulo hashing)
                reliable   10. stage 7 (reliable delivery) against stage 6 under scenario 3's load, cross-node and
                               same-node, both stages' nodes forked from their jars: msgs/s, latency, node CPU, Redis
                               commands and round trips per message; Redis memory per message stored for offline users
                cluster    11. stage 9 (scale-out): cross-node reliable delivery on Redis Cluster (1, 2, 3 masters,
                               WAIT 0; 3 masters x 1 replica, WAIT 1) against one Redis (WAIT off): msgs/s, latency,
                               CPU per message of the nodes and of every redis-server; unit costs for the paper
                               model (Redis memory per online user and per stored message, node memory per
                               connection)
                traffic     9. N users on two nodes, each message from a random user to a random other, Poisson
                               arrivals: the highest rate with p99 <= 50 ms, and the CPU per message at that rate
                all         every scenario above, one table
                smoke       every scenario with tiny sizes (CI): checks each completes and delivers all it sent
              relay flags:   --pairs 64 --window 32 --size 32 --seconds 5 --warmup 2 --load-threads 2
                             --jvm-warmup 5 (seconds of echo and same-node load, unmeasured, before the first run)
                             --redis URI (default: a redis-server this command starts on a free port)
              rtt flags:     --rtts 0,0.2,1 (round trips added to Redis, ms; half of each in each direction)
              fanout flags:  --groups 2 --group-size 100 --group-window 4
              latency flags: --load 0.5 (fraction of the same-node rate) or --rate MSGS_PER_S
              idle flags:    --connections 2000 --per-process 9000 --ping-ms 5000 --hold-seconds 12
              jmh flags:     --jmh-forks 1 --jmh-iterations 5 --jmh-time 1s
              traffic flags: --users 10000 --start-rate 1000 --steps 8 (doubling from --start-rate until p99 > 50 ms,
                             then bisecting; each step --warmup + --seconds), --ping-ms (a silent user pings)
              reliable flags: --stored 20000 (messages stored for the memory figure), --stage6-jar PATH,
                             --stage7-jar PATH (default: <module>/target/<module>.jar here or in a parent directory)
              cluster flags: --cluster-masters 1,2,3 (cluster sizes without replicas; none: only the baseline and
                             3 x 1 with WAIT 1), --cluster-users 2000
                             (idle logged-in users for the per-user costs), --stored, --stage9-jar PATH
              every run:     --rounds 3: scenarios 1-5, 7, 10 and 11 run this many times, interleaved (baseline and
                             measured in each round); the table gives medians. Scenarios 6, 8 and 9 run once.
              output:        --markdown FILE (the table as Markdown, for docs/benchmarks.md)""";

    static final Set<String> FLAGS = Set.of("pairs", "window", "size", "seconds", "warmup", "load-threads", "redis",
            "groups", "group-size", "group-window", "load", "rate", "connections", "per-process", "ping-ms",
            "hold-seconds", "jmh-forks", "jmh-iterations", "jmh-time", "markdown", "jvm-warmup", "rounds", "rtts",
            "users", "start-rate", "steps", "stored", "stage6-jar", "stage7-jar", "stage9-jar", "cluster-masters",
            "cluster-users");

    /** What {@code smoke} changes: seconds, not minutes, on a 2-core CI machine. */
    static final Map<String, String> SMOKE = Map.ofEntries(Map.entry("pairs", "2"), Map.entry("window", "4"),
            Map.entry("seconds", "0.5"), Map.entry("warmup", "0.2"), Map.entry("groups", "1"),
            Map.entry("group-size", "10"), Map.entry("group-window", "2"), Map.entry("connections", "200"),
            Map.entry("per-process", "120"), Map.entry("ping-ms", "1000"), Map.entry("hold-seconds", "2.5"),
            Map.entry("jvm-warmup", "0.2"), Map.entry("rounds", "1"), Map.entry("jmh-forks", "0"),
            Map.entry("jmh-iterations", "1"), Map.entry("jmh-time", "100ms"), Map.entry("rtts", "0,1"),
            Map.entry("users", "200"), Map.entry("steps", "2"), Map.entry("stored", "200"),
            Map.entry("cluster-masters", "none"), Map.entry("cluster-users", "50"));

    /** Thread name prefixes of the servers under test (their CPU time is reported per message). */
    static final String NODE_THREADS = "im-";
    static final String ECHO_THREADS = "echo-";
    static final String NAIVE_THREADS = "naive-";

    private Bench() {
    }

    public static void main(String[] args) throws Exception {
        if (System.getProperty("org.slf4j.simpleLogger.defaultLogLevel") == null) {
            System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "warn"); // the nodes' INFO lines are noise
        }
        if (args.length == 0 || args[0].equals("--help") || args[0].equals("help")) {
            System.out.println(USAGE);
            return;
        }
        String scenario = args[0];
        String[] rest = java.util.Arrays.copyOfRange(args, 1, args.length);
        switch (scenario) {
            case "idle-node" -> Idle.nodeMain(rest);   // child processes of the idle scenario
            case "idle-load" -> Idle.loadMain(rest);
            default -> {
                Flags flags;
                try {
                    flags = Flags.parse(rest, FLAGS);
                } catch (IllegalArgumentException e) {
                    System.err.println(e.getMessage());
                    System.err.println(USAGE);
                    System.exit(2);
                    return;
                }
                Bench.run(scenario, flags);
            }
        }
    }

    private static void run(String scenario, Flags flags) throws Exception {
        List<String> all = List.of("echo", "same-node", "cross-node", "naive", "rtt", "fanout", "fanout-3", "latency",
                "idle", "jmh", "traffic", "reliable", "cluster");
        List<String> scenarios = switch (scenario) {
            case "all", "smoke" -> all;
            default -> {
                if (!all.contains(scenario)) {
                    System.err.println("unknown scenario '" + scenario + "'");
                    System.err.println(USAGE);
                    System.exit(2);
                }
                yield List.of(scenario);
            }
        };
        Map<String, String> settings = new LinkedHashMap<>();
        if (scenario.equals("smoke")) {
            settings.putAll(SMOKE);
        }
        for (String name : FLAGS) {
            String value = flags.get(name, null);
            if (value != null) {
                settings.put(name, value);
            }
        }
        Table table = new Table();
        if (scenario.equals("smoke")) {
            table.smoke();
        }
        try (Scenarios run = new Scenarios(settings, table)) {
            int rounds = run.intOf("rounds", 3);
            table.rounds(rounds);
            for (int round = 1; round <= rounds; round++) {
                run.newRound();
                for (String name : scenarios) {
                    if (round > 1 && (name.equals("idle") || name.equals("jmh") || name.equals("traffic"))) {
                        continue; // slow, and stable enough: idle counts connections, JMH repeats on its own,
                                  // traffic is a search of many runs with no baseline to interleave
                    }
                    System.out.println("== " + name + (rounds > 1 ? " (round " + round + " of " + rounds + ")" : ""));
                    run.run(name);
                }
            }
        }
        System.out.println();
        System.out.print(table.text());
        String markdown = settings.get("markdown");
        if (markdown != null) {
            table.writeMarkdown(Path.of(markdown));
            System.out.println("table written to " + markdown);
        }
        if (scenario.equals("smoke")) {
            System.out.println("smoke: every scenario completed and delivered every message it sent");
        }
    }

    /** The scenarios, with the runs several ratios share (echo, same-node, cross-node) kept once measured. */
    static final class Scenarios implements AutoCloseable {
        private final Map<String, String> settings;
        private final Table table;
        private final Load load;
        private EmbeddedRedis redis;
        private String redisUri;
        private int runs;
        private Result echo;
        private Result sameNode;
        private Result crossNode;
        private boolean warm;
        private Reliable reliable;
        private Cluster cluster;

        Scenarios(Map<String, String> settings, Table table) {
            this.settings = settings;
            this.table = table;
            this.load = new Load(intOf("load-threads", 2));
        }

        int intOf(String name, int fallback) {
            return settings.containsKey(name) ? Integer.parseInt(settings.get(name)) : fallback;
        }

        double doubleOf(String name, double fallback) {
            return settings.containsKey(name) ? Double.parseDouble(settings.get(name)) : fallback;
        }

        String stringOf(String name, String fallback) {
            return settings.getOrDefault(name, fallback);
        }

        int pairs() {
            return intOf("pairs", 64);
        }

        int window() {
            return intOf("window", 32);
        }

        int size() {
            return intOf("size", 32);
        }

        double warmup() {
            return doubleOf("warmup", 2);
        }

        double seconds() {
            return doubleOf("seconds", 5);
        }

        String redisUri() {
            if (redisUri == null) {
                redisUri = settings.get("redis");
                if (redisUri == null) {
                    redis = EmbeddedRedis.start();
                    redisUri = redis.uri();
                    System.out.println("  Redis: " + redis.description() + " on " + redisUri);
                }
            }
            return redisUri;
        }

        void run(String name) throws Exception {
            if (!warm && !name.equals("jmh") && !name.equals("idle") && !name.equals("reliable")
                    && !name.equals("cluster")) {
                warmUp();
            }
            switch (name) {
                case "echo" -> {
                    Result e = echo();
                    Result f = echoFlushEachFrame();
                    table.ratio("1. echo ceiling, msgs/s (" + pairs() + " pairs)", e.msgsPerSecond(), Double.NaN,
                            "%.0f", "(the ceiling)");
                    loadCpuRow("1. echo", e);
                    table.ratio("1b. echo, one flush per frame, msgs/s (base: echo)", f.msgsPerSecond(),
                            e.msgsPerSecond(), "%.0f", "-");
                    table.ratio("1b. server CPU per message, ns: one flush per frame (base: echo)",
                            f.serverCpuNanosPerMessage(), e.serverCpuNanosPerMessage(), "%.0f", "-");
                    loadCpuRow("1b. one flush per frame", f);
                }
                case "same-node" -> {
                    Result e = echo();
                    Result s = sameNode();
                    table.ratio("2. same-node relay, msgs/s (base: echo)", s.msgsPerSecond(), e.msgsPerSecond(),
                            "%.0f", ">= 0.5");
                    table.ratio("2. server CPU per message, ns: same-node (base: echo)", s.serverCpuNanosPerMessage(),
                            e.serverCpuNanosPerMessage(), "%.0f", "-");
                    loadCpuRow("2. same-node", s);
                    latencyRows("2. same-node", s, "echo", e);
                }
                case "cross-node" -> {
                    Result c = crossNode();
                    Result s = sameNode();
                    table.ratio("3. cross-node relay, msgs/s (base: same-node)", c.msgsPerSecond(),
                            s.msgsPerSecond(), "%.0f", ">= 0.5");
                    latencyRows("3. cross-node", c, "same-node", s);
                }
                case "naive" -> {
                    Result n = naive();
                    Result c = crossNode();
                    table.ratio("4. cross-node relay, msgs/s (base: naive LPUSH/BRPOP)", c.msgsPerSecond(),
                            n.msgsPerSecond(), "%.0f", ">= 5");
                }
                case "rtt" -> Rtt.run(this, table);
                case "fanout" -> fanout("5.", "fan-out", 1);
                case "fanout-3" -> fanout("5b.", "over 3 nodes", 3);
                case "latency" -> latency();
                case "idle" -> Idle.run(this, table);
                case "jmh" -> JmhReport.run(this, table);
                case "traffic" -> Traffic.run(this, table);
                case "reliable" -> {
                    if (reliable == null) {
                        reliable = new Reliable(this, table); // its nodes live until close(): warmed up once
                    }
                    reliable.round();
                }
                case "cluster" -> {
                    if (cluster == null) {
                        cluster = new Cluster(this, table); // its Redis set-ups and nodes live until close()
                    }
                    cluster.round();
                }
                default -> throw new IllegalArgumentException(name);
            }
        }

        /**
         * The load generator's CPU per message in {@code run} next to the server's in the same run: a ratio above 1
         * means the load generator, not the server, is the busier side of the shared cores.
         */
        void loadCpuRow(String what, Result run) {
            table.ratio(what + ": load generator CPU per " + (what.startsWith("5") ? "delivery" : "message")
                            + ", ns (base: the server's)",
                    run.loadCpuNanosPerMessage(), run.serverCpuNanosPerMessage(), "%.0f", "< 1");
        }

        private void latencyRows(String what, Result value, String baseName, Result base) {
            for (double p : new double[] {50, 99, 99.9}) {
                table.ratio(what + " latency p" + Table.fmt("%s", p).replace(".0", "") + ", us (base: " + baseName
                        + ")", value.p(p) / 1e3, base.p(p) / 1e3, "%.0f", "-");
            }
        }

        /**
         * Whatever runs first in a JVM runs on interpreted and half-compiled code; without this, the order of the
         * scenarios decided their ratios (measured: echo first 25 000 msgs/s, echo second 44 000). The Redis hop
         * (forwarder, inbox consumer, Jedis) is warmed up too: without it, the JIT compiler took most of a core
         * during the first cross-node run (perf: 64 % of the process's samples in the C2 compiler thread).
         */
        private void warmUp() throws InterruptedException {
            warm = true;
            double seconds = doubleOf("jvm-warmup", 5);
            onEcho(loops -> Relay.closedLoop("JVM warm-up: echo", ECHO_THREADS, loops, echoWindow(), size(), 0,
                    seconds));
            onNode(pairs -> Relay.closedLoop("JVM warm-up: same-node", NODE_THREADS, pairs, window(), size(), 0,
                    seconds));
            try (ChatServer a = ChatServer.start(nodeConfig()); ChatServer b = ChatServer.start(nodeConfig())) {
                relay("JVM warm-up: cross-node", NODE_THREADS, a.localAddress(), b.localAddress(), 0, seconds);
            }
        }

        /**
         * Runs {@code run} against a fresh echo server with the connections the pairs would have (two per pair),
         * each its own loop, since the echo comes back on the connection that sent it.
         */
        private Result onEcho(Function<List<Pair>, Result> run) {
            return onEcho(false, run);
        }

        private Result onEcho(boolean flushEachFrame, Function<List<Pair>, Result> run) {
            try (EchoServer server = new EchoServer(flushEachFrame)) {
                List<Conn> conns = connect(server.address(), 2 * pairs(), "e", false);
                try {
                    return run.apply(conns.stream().map(c -> new Pair(c, c)).toList());
                } finally {
                    conns.forEach(Conn::close);
                }
            }
        }

        /** Runs {@code run} against a fresh stage 6 node with every pair on it. */
        private Result onNode(Function<List<Pair>, Result> run) throws InterruptedException {
            try (ChatServer node = ChatServer.start(nodeConfig())) {
                List<Pair> pairs = pairs(node.localAddress(), node.localAddress());
                try {
                    return run.apply(pairs);
                } finally {
                    closeAll(pairs);
                }
            }
        }

        /** Half the pairs' window per echo connection: the same messages in flight over twice the connections. */
        private int echoWindow() {
            return Math.max(1, window() / 2);
        }

        Result echo() {
            if (echo == null) {
                echo = onEcho(loops -> Relay.closedLoop("echo (raw Netty)", ECHO_THREADS, loops, echoWindow(), size(),
                        warmup(), seconds()));
            }
            return echo;
        }

        /** Row 1b: the same echo flushing every frame (as the stages do), same load. */
        Result echoFlushEachFrame() {
            return onEcho(true, loops -> Relay.closedLoop("echo, one flush per frame", ECHO_THREADS, loops,
                    echoWindow(), size(), warmup(), seconds()));
        }

        Result sameNode() throws InterruptedException {
            if (sameNode == null) {
                sameNode = onNode(pairs -> Relay.closedLoop("same-node (stage 6)", NODE_THREADS, pairs, window(),
                        size(), warmup(), seconds()));
            }
            return sameNode;
        }

        Result crossNode() throws InterruptedException {
            if (crossNode == null) {
                try (ChatServer a = ChatServer.start(nodeConfig()); ChatServer b = ChatServer.start(nodeConfig())) {
                    crossNode = relay("cross-node (stage 6, Redis)", NODE_THREADS, a.localAddress(), b.localAddress());
                }
            }
            return crossNode;
        }

        Result naive() {
            try (NaiveNode a = new NaiveNode(redisUri()); NaiveNode b = new NaiveNode(redisUri())) {
                return relay("cross-node (naive LPUSH/BRPOP)", NAIVE_THREADS, a.address(), b.address());
            }
        }

        /** Forgets the shared runs, so the next round measures its own baselines. */
        void newRound() {
            echo = null;
            sameNode = null;
            crossNode = null;
        }

        ServerConfig nodeConfig() {
            return ServerConfig.forTests().withRedis(redisUri(), ServerConfig.DEFAULT_SESSION_TTL_MILLIS,
                    ServerConfig.DEFAULT_UNDELIVERABLE_MILLIS);
        }

        Result relay(String label, String threads, InetSocketAddress senders, InetSocketAddress receivers) {
            return relay(label, threads, senders, receivers, warmup(), seconds());
        }

        private Result relay(String label, String threads, InetSocketAddress senders, InetSocketAddress receivers,
                             double warmupSeconds, double seconds) {
            List<Pair> pairs = pairs(senders, receivers);
            try {
                return Relay.closedLoop(label, threads, pairs, window(), size(), warmupSeconds, seconds);
            } finally {
                closeAll(pairs);
            }
        }

        private List<Pair> pairs(InetSocketAddress senders, InetSocketAddress receivers) {
            List<Conn> s = connect(senders, pairs(), "s", true);
            List<Conn> r = connect(receivers, pairs(), "r", true);
            return IntStream.range(0, pairs()).mapToObj(i -> new Pair(s.get(i), r.get(i))).toList();
        }

        private static void closeAll(List<Pair> pairs) {
            pairs.forEach(p -> {
                p.sender().close();
                p.receiver().close();
            });
        }

        /** {@code count} connections with fresh uids ("r7-s0"...), logged in unless {@code login} is false. */
        List<Conn> connect(InetSocketAddress server, int count, String role, boolean login) {
            return connect(server, count, role, login, false);
        }

        /** The same; {@code reliable}: as stage 7 clients ({@link Conn#reliable}). */
        List<Conn> connect(InetSocketAddress server, int count, String role, boolean login, boolean reliable) {
            return connect(server, count, role, login, reliable, null);
        }

        /** The same; {@code tokens}: each uid's login token (stage 8 and later refuse a login without), or null. */
        List<Conn> connect(InetSocketAddress server, int count, String role, boolean login, boolean reliable,
                           Function<String, String> tokens) {
            String prefix = "r" + (++runs) + "-" + role;
            List<String> uids = IntStream.range(0, count).mapToObj(i -> prefix + i).toList();
            return load.connect(server, null, uids, login, 256, reliable, tokens);
        }

        // tag::latency[]
        private void latency() throws InterruptedException {
            double rate = settings.containsKey("rate") ? doubleOf("rate", 0)
                    : doubleOf("load", 0.5) * sameNode().msgsPerSecond();
            Result node = onNode(pairs -> Relay.openLoop("same-node at " + (long) rate + "/s", NODE_THREADS, pairs,
                    rate, size(), warmup(), seconds()));
            Result base = onEcho(loops -> Relay.openLoop("echo at " + (long) rate + "/s", ECHO_THREADS, loops, rate,
                    size(), warmup(), seconds()));
            String load = settings.containsKey("rate") ? "--rate" : Table.fmt("%.0f %%", doubleOf("load", 0.5) * 100)
                    + " of same-node";
            table.ratio("7. open-loop rate at " + load + ", msgs/s", rate, Double.NaN, "%.0f", "");
            table.ratio("7. same-node p99 at that rate, ms (base: echo at that rate)", node.p(99) / 1e6,
                    base.p(99) / 1e6, "%.2f", "<= 5 ms");
        }
        // end::latency[]

        /**
         * Scenario 5 ({@code nodeCount} 1) or 5b (3): 方式一, then 方式二 on fresh connections, and their rows;
         * {@code number} and {@code what} name the rows.
         */
        private void fanout(String number, String what, int nodeCount) throws InterruptedException {
            List<ChatServer> nodes = new ArrayList<>();
            try {
                for (int i = 0; i < nodeCount; i++) {
                    nodes.add(ChatServer.start(nodeConfig()));
                }
                Result perMember = fanout(nodes, false);
                Result list = fanout(nodes, true);
                table.ratio(number + " group of " + groupSize() + " " + what + ", deliveries/s: 方式二 (base: 方式一)",
                        list.msgsPerSecond(), perMember.msgsPerSecond(), "%.0f", ">= 3");
                table.ratio(number + " server CPU per delivery, ns: 方式一 (base: 方式二)",
                        perMember.serverCpuNanosPerMessage(), list.serverCpuNanosPerMessage(), "%.0f", "-");
                loadCpuRow(number + " 方式一", perMember);
                loadCpuRow(number + " 方式二", list);
            } finally {
                nodes.forEach(ChatServer::close);
            }
        }

        int groupSize() {
            return intOf("group-size", 100);
        }

        /**
         * One fan-out run ({@code oneFrame}: 方式二, else 方式一) on fresh groups: each sender on the first of
         * {@code nodes}, member i on node i mod n — over three nodes two thirds of the members are remote.
         */
        Result fanout(List<ChatServer> nodes, boolean oneFrame) {
            String label = (oneFrame ? "方式二 (to_uid_list)" : "方式一 (" + (groupSize() - 1) + " frames)")
                    + (nodes.size() > 1 ? ", " + nodes.size() + " nodes" : "");
            List<Group> groups = new ArrayList<>();
            for (int g = 0; g < intOf("groups", 2); g++) {
                String role = (oneFrame ? "b" : "a") + g + "-";
                Conn sender = connect(nodes.get(0).localAddress(), 1, role + "s", true).get(0);
                List<Conn> members = new ArrayList<>();
                for (int k = 0; k < nodes.size(); k++) { // how many of members 0..size-2 have i mod n == k
                    int count = (groupSize() - 1 - k + nodes.size() - 1) / nodes.size();
                    members.addAll(connect(nodes.get(k).localAddress(), count, role + "n" + k + "-", true));
                }
                groups.add(Group.of(sender, members));
            }
            try {
                return GroupFanout.run(label, groups, oneFrame, intOf("group-window", 4), size(), warmup(),
                        seconds());
            } finally {
                groups.forEach(g -> {
                    g.sender().close();
                    g.members().forEach(Conn::close);
                });
            }
        }

        @Override
        public void close() {
            if (cluster != null) {
                cluster.close();
            }
            if (reliable != null) {
                reliable.close();
            }
            load.close();
            if (redis != null) {
                redis.close();
            }
        }
    }
}
