package com.example.im.bench;

import com.example.im.bench.Load.Conn;
import com.example.im.bench.Load.Template;
import com.example.im.bench.Meter.Result;
import com.example.im.bench.Relay.Pair;
import com.example.im.bench.Reliable.Node;
import com.example.im.bench.Reliable.RedisStats;
import com.example.im.embedded.EmbeddedRedis;
import com.example.im.embedded.EmbeddedRedisCluster;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.IntStream;
import redis.clients.jedis.Jedis;

/**
 * Scenario 11: stage 9 (scale-out) on Redis Cluster against stage 9 on one redis-server, under scenario 10's load
 * (reliable clients, cross-node), in the same run. Five set-ups, all started once and kept for every round, each
 * with two stage 9 nodes forked from {@code stage9-scale-out.jar}: (a) one Redis, WAIT off — the baseline; (b) a
 * cluster of 1, 2 and 3 masters without replicas (WAIT 0); (c) 3 masters x 1 replica with WAIT 1, the production
 * default. Per run: msgs/s, latency, the node JVMs' CPU, and every redis-server process's CPU and commands
 * ({@code INFO cpu}, {@code INFO commandstats}), masters and replicas apart. Once, on (c): the unit costs the paper
 * model in docs/benchmarks.md ("Scale-out (stage 9)") is built from — Redis memory per online user and per stored
 * message, node heap and resident memory per idle logged-in connection.
 */
final class Cluster implements AutoCloseable {

    /** One Redis set-up and its two nodes. */
    static final class Setup implements AutoCloseable {
        final String name;
        final int masters;
        final int replicas;
        final int waitReplicas;
        final EmbeddedRedis single;
        final EmbeddedRedisCluster cluster;
        final Node a;
        final Node b;
        boolean warm;

        Setup(String name, int masters, int replicas, int waitReplicas, Path jar, Stage9Wire auth, Path logs)
                throws IOException, InterruptedException {
            this.name = name;
            this.masters = masters;
            this.replicas = replicas;
            this.waitReplicas = waitReplicas;
            this.single = masters == 0 ? EmbeddedRedis.start() : null;
            this.cluster = masters == 0 ? null : EmbeddedRedisCluster.start(masters, replicas);
            String uri = single != null ? single.uri() : cluster.uri();
            String tag = masters == 0 ? "one" : masters + "x" + replicas;
            List<String> extra = List.of("--redis-wait-replicas", Integer.toString(waitReplicas), "--http-port", "0");
            Map<String, String> env = Map.of("IM_AUTH_KEY", auth.keyBase64());
            Node first = null;
            Node second = null;
            try {
                first = new Node("bench-s9-" + tag + "-a", jar, uri, logs.resolve(tag + "-a.log"), extra, env);
                second = new Node("bench-s9-" + tag + "-b", jar, uri, logs.resolve(tag + "-b.log"), extra, env);
            } catch (IOException | RuntimeException e) {
                if (first != null) {
                    first.close();
                }
                closeRedis();
                throw e;
            }
            a = first;
            b = second;
            System.out.println("  " + name + ": " + (single != null ? single.description() : cluster.description())
                    + ", nodes forked from " + jar + " (pids " + a.process.pid() + ", " + b.process.pid() + ")");
        }

        /** Every redis-server of the set-up, masters first: "redis://127.0.0.1:port". */
        List<String> masterUris() {
            if (single != null) {
                return List.of(single.uri());
            }
            return cluster.masterPorts().stream().map(p -> "redis://127.0.0.1:" + p).toList();
        }

        List<String> replicaUris() {
            if (single != null) {
                return List.of();
            }
            List<Integer> masterPorts = cluster.masterPorts();
            return cluster.ports().stream().filter(p -> !masterPorts.contains(p))
                    .map(p -> "redis://127.0.0.1:" + p).toList();
        }

        private void closeRedis() {
            if (single != null) {
                single.close();
            }
            if (cluster != null) {
                cluster.close();
            }
        }

        @Override
        public void close() {
            a.close();
            b.close();
            closeRedis();
        }
    }

    /** A run: the relay's figures and each Redis process's deltas, masters and replicas apart. */
    record Run(Result relay, List<RedisStats> masters, List<RedisStats> replicas) {
        double perMessage(double count) {
            return count / relay.delivered();
        }

        double masterCpuSeconds() {
            return masters.stream().mapToDouble(RedisStats::cpuSeconds).sum();
        }

        double replicaCpuSeconds() {
            return replicas.stream().mapToDouble(RedisStats::cpuSeconds).sum();
        }

        long masterCommands() {
            return masters.stream().mapToLong(RedisStats::total).sum();
        }
    }

    private final Bench.Scenarios settings;
    private final Table table;
    private final Stage9Wire auth = Stage9Wire.randomKey();
    private final List<Setup> setups = new ArrayList<>();
    private boolean measuredUnits;
    private boolean noted;

    Cluster(Bench.Scenarios settings, Table table) {
        this.settings = settings;
        this.table = table;
    }

    /** One round: the baseline, then each cluster set-up; the unit costs once, on the production set-up. */
    void round() throws Exception {
        start();
        Setup base = setups.get(0);
        Run baseline = run(base);
        for (Setup setup : setups.subList(1, setups.size())) {
            Run value = run(setup);
            String what = setup.name + " (base: " + base.name + ")";
            table.ratio("11. cross-node reliable msgs/s, " + what, value.relay().msgsPerSecond(),
                    baseline.relay().msgsPerSecond(), "%.0f", "-");
            for (double p : new double[] {50, 99}) {
                table.ratio("11. latency p" + (int) p + ", us, " + what, value.relay().p(p) / 1e3,
                        baseline.relay().p(p) / 1e3, "%.0f", "-");
            }
            table.ratio("11. node CPU per message, ns, both node JVMs, " + what,
                    value.relay().serverCpuNanosPerMessage(), baseline.relay().serverCpuNanosPerMessage(), "%.0f",
                    "-");
            table.ratio("11. redis-server CPU per message, ns, all masters, " + what,
                    value.perMessage(value.masterCpuSeconds() * 1e9),
                    baseline.perMessage(baseline.masterCpuSeconds() * 1e9), "%.0f", "-");
            if (setup.replicas > 0) {
                table.ratio("11. redis-server CPU per message, ns, all replicas, " + what,
                        value.perMessage(value.replicaCpuSeconds() * 1e9),
                        baseline.perMessage(baseline.masterCpuSeconds() * 1e9), "%.0f", "-");
            }
            table.ratio("11. Redis commands per message, all masters, " + what,
                    value.perMessage(value.masterCommands()), baseline.perMessage(baseline.masterCommands()),
                    "%.2f", "-");
            if (!noted) {
                table.note("11. " + setup.name + ", first round: redis-server CPU per message by master, ns: "
                        + value.masters().stream().map(r -> Table.fmt("%.0f", value.perMessage(r.cpuSeconds() * 1e9)))
                        .toList() + (setup.replicas > 0 ? "; by replica: " + value.replicas().stream()
                        .map(r -> Table.fmt("%.0f", value.perMessage(r.cpuSeconds() * 1e9))).toList() : "")
                        + "; commands per message by master: " + value.masters().stream()
                        .map(r -> Table.fmt("%.2f", value.perMessage(r.total()))).toList());
            }
        }
        if (!noted) {
            table.note("11. " + base.name + ", first round: redis-server CPU per message "
                    + Table.fmt("%.0f", baseline.perMessage(baseline.masterCpuSeconds() * 1e9)) + " ns, commands "
                    + Table.fmt("%.2f", baseline.perMessage(baseline.masterCommands())) + " per message; all "
                    + "redis-server processes, nodes and the load generator share this machine's "
                    + Runtime.getRuntime().availableProcessors() + " cores");
        }
        noted = true;
        if (!measuredUnits) {
            measuredUnits = true;
            Setup production = setups.get(setups.size() - 1);
            onlineUsers(production);
            storage(production);
        }
    }

    private void start() throws IOException, InterruptedException {
        if (!setups.isEmpty()) {
            return;
        }
        Path jar = Reliable.jar(settings, "stage9-jar", "stage9-scale-out");
        Path logs = Files.createTempDirectory("bench-cluster-");
        String sizes = settings.stringOf("cluster-masters", "1,2,3");
        List<Integer> masterCounts = sizes.equals("none") ? List.of()
                : Arrays.stream(sizes.split(",")).map(String::trim).map(Integer::parseInt).toList();
        setups.add(new Setup("one Redis, WAIT off", 0, 0, 0, jar, auth, logs));
        for (int m : masterCounts) {
            setups.add(new Setup("cluster " + m + " master" + (m > 1 ? "s" : "") + " x 0 replicas, WAIT 0", m, 0, 0,
                    jar, auth, logs));
        }
        setups.add(new Setup("cluster 3 masters x 1 replica, WAIT 1", 3, 1, 1, jar, auth, logs));
    }

    private Run run(Setup setup) {
        if (!setup.warm) {
            double seconds = settings.doubleOf("jvm-warmup", 5);
            System.out.println("  JVM warm-up of " + setup.name + "'s nodes: " + seconds + " s cross-node");
            relay(setup, 0, seconds);
            setup.warm = true;
        }
        return relay(setup, settings.warmup(), settings.seconds());
    }

    private Run relay(Setup setup, double warmup, double seconds) {
        List<String> masterUris = setup.masterUris();
        List<String> replicaUris = setup.replicaUris();
        List<RedisStats> mastersBefore = masterUris.stream().map(RedisStats::of).toList();
        List<RedisStats> replicasBefore = replicaUris.stream().map(RedisStats::of).toList();
        List<Conn> senders = settings.connect(setup.a.address(), settings.pairs(), "s", true, true, auth::token);
        List<Conn> receivers = settings.connect(setup.b.address(), settings.pairs(), "r", true, true, auth::token);
        List<Pair> pairs = IntStream.range(0, senders.size())
                .mapToObj(i -> new Pair(senders.get(i), receivers.get(i))).toList();
        Result result;
        try {
            result = Relay.closedLoop("cross-node (stage 9, " + setup.name + ")",
                    () -> setup.a.cpuNanos() + setup.b.cpuNanos(), pairs, settings.window(), settings.size(),
                    warmup, seconds);
        } finally {
            senders.forEach(Conn::close);
            receivers.forEach(Conn::close);
        }
        List<RedisStats> masters = IntStream.range(0, masterUris.size())
                .mapToObj(i -> RedisStats.of(masterUris.get(i)).minus(mastersBefore.get(i))).toList();
        List<RedisStats> replicas = IntStream.range(0, replicaUris.size())
                .mapToObj(i -> RedisStats.of(replicaUris.get(i)).minus(replicasBefore.get(i))).toList();
        return new Run(result, masters, replicas);
    }

    /** used_memory summed over {@code uris}. */
    private static long usedMemory(List<String> uris) {
        long sum = 0;
        for (String uri : uris) {
            try (Jedis jedis = new Jedis(URI.create(uri))) {
                sum += Long.parseLong(Reliable.info(jedis, "memory").get("used_memory"));
            }
        }
        return sum;
    }

    private static long keys(List<String> uris) {
        long sum = 0;
        for (String uri : uris) {
            try (Jedis jedis = new Jedis(URI.create(uri))) {
                sum += jedis.dbSize();
            }
        }
        return sum;
    }

    /** The master of {@code setup} that holds {@code key}. */
    private static String masterOf(Setup setup, String key) {
        return setup.single != null ? setup.single.uri() : "redis://127.0.0.1:" + setup.cluster.masterOf(key);
    }

    /**
     * {@code --cluster-users} idle users logged in to node A: the Redis memory each costs (used_memory over the
     * masters, and MEMORY USAGE of one session key), and node A's heap after a full GC and resident set per
     * connection. The connections stay silent for the few seconds this takes (well within the node's idle timeout).
     */
    private void onlineUsers(Setup setup) throws Exception {
        int users = settings.intOf("cluster-users", 2000);
        List<String> masters = setup.masterUris();
        long memory0 = usedMemory(masters);
        long keys0 = keys(masters);
        long heap0 = heapAfterGc(setup.a);
        long rss0 = rss(setup.a);
        List<Conn> idle = settings.connect(setup.a.address(), users, "idle", true, true, auth::token);
        try {
            long heap = heapAfterGc(setup.a) - heap0;
            long rss = rss(setup.a) - rss0;
            long memory = usedMemory(masters) - memory0;
            long keys = keys(masters) - keys0;
            String session = "im:session:" + idle.get(0).uid;
            Long usage;
            try (Jedis jedis = new Jedis(URI.create(masterOf(setup, session)))) {
                usage = jedis.memoryUsage(session, 0);
            }
            String what = users + " idle logged-in users on one node, " + setup.name;
            table.ratio("11. unit: Redis used_memory per online user, bytes, all masters, " + what,
                    (double) memory / users, Double.NaN, "%.0f", "-");
            table.ratio("11. unit: MEMORY USAGE of one session key, bytes, " + what,
                    usage == null ? Double.NaN : usage, Double.NaN, "%.0f", "-");
            table.ratio("11. unit: node heap per connection after full GC, bytes, " + what,
                    (double) heap / users, Double.NaN, "%.0f", "-");
            table.ratio("11. unit: node resident memory (RSS) per connection, bytes, " + what,
                    (double) rss / users, Double.NaN, "%.0f", "-");
            table.note("11. " + what + ": " + Table.fmt("%.2f", (double) keys / users) + " new Redis keys per user; "
                    + "node heap +" + heap / 1024 + " KiB after GC, RSS +" + rss / 1024 + " KiB (RSS counts direct "
                    + "buffers and heap the JVM newly touched; not the kernel's socket buffers)");
        } finally {
            idle.forEach(Conn::close);
        }
    }

    /**
     * {@code --stored} messages of {@code --size} bytes from one sender to ten users who never log in, through node A
     * of {@code setup}: used_memory over the masters before and after, per message; MEMORY USAGE of a mailbox per
     * entry plus the two idempotency keys of a message (as scenario 10 measures stage 7).
     */
    private void storage(Setup setup) throws Exception {
        int count = settings.intOf("stored", 20_000);
        int size = settings.size();
        int users = 10;
        List<String> masters = setup.masterUris();
        Conn sender = settings.connect(setup.a.address(), 1, "ms", true, true, auth::token).get(0);
        String prefix = sender.uid + "-to";
        List<Template> templates = IntStream.range(0, users)
                .mapToObj(i -> new Template(Load.chat(prefix + i, 0, size), true)).toList();
        try {
            long memory0 = usedMemory(masters);
            sender.sendAndAwaitAcks(templates, count, 256, 300);
            long memory = usedMemory(masters) - memory0;
            String mailbox = "im:mbox:{" + prefix + "0}";
            long perEntry;
            long got;
            long claim;
            try (Jedis jedis = new Jedis(URI.create(masterOf(setup, mailbox)))) {
                perEntry = jedis.memoryUsage(mailbox, 0) / jedis.xlen(mailbox);
                got = jedis.memoryUsage(jedis.keys("im:got:{" + prefix + "0}:*").iterator().next(), 0);
            }
            String claimPattern = "im:cmid:{" + sender.uid + "}:*";
            try (Jedis jedis = new Jedis(URI.create(masterOf(setup, claimPattern)))) {
                claim = jedis.memoryUsage(jedis.keys(claimPattern).iterator().next(), 0);
            }
            String what = count + " x " + size + " B to 10 offline users, " + setup.name;
            table.ratio("11. unit: Redis used_memory per stored message, bytes, all masters, " + what,
                    (double) memory / count, Double.NaN, "%.0f", "-");
            table.ratio("11. unit: MEMORY USAGE per stored message (mailbox entry + im:got + im:cmid), bytes, "
                    + what, perEntry + got + claim, Double.NaN, "%.0f", "-");
            System.out.printf(Locale.ROOT, "  stored %s: used_memory +%d B over the masters (%.0f B/msg); "
                    + "mailbox entry %d B, im:got %d B, im:cmid %d B%n", what, memory, (double) memory / count,
                    perEntry, got, claim);
        } finally {
            sender.close();
        }
    }

    private static final Pattern HEAP_USED = Pattern.compile("heap\\s+total \\d+K, used (\\d+)K");

    /** The node JVM's used heap right after a full GC ({@code jcmd GC.run}, then {@code GC.heap_info}), bytes. */
    private static long heapAfterGc(Node node) throws IOException, InterruptedException {
        jcmd(node, "GC.run");
        String info = jcmd(node, "GC.heap_info");
        Matcher m = HEAP_USED.matcher(info);
        if (!m.find()) {
            throw new IOException("no heap figure in jcmd GC.heap_info of " + node.id + ": " + info);
        }
        return Long.parseLong(m.group(1)) * 1024;
    }

    private static String jcmd(Node node, String command) throws IOException, InterruptedException {
        Path jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd");
        Process p = new ProcessBuilder(jcmd.toString(), Long.toString(node.process.pid()), command)
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
            p.destroyForcibly();
            throw new IOException("jcmd " + command + " of " + node.id + " failed: " + out);
        }
        return out;
    }

    /** The node's resident set, bytes (/proc/PID/status, VmRSS). */
    private static long rss(Node node) throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc", Long.toString(node.process.pid()), "status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
            }
        }
        throw new IOException("no VmRSS for " + node.id);
    }

    @Override
    public void close() {
        setups.forEach(Setup::close);
    }
}
