package com.example.im.bench;

import com.example.im.bench.Load.Conn;
import com.example.im.bench.Load.Template;
import com.example.im.bench.Meter.Result;
import com.example.im.bench.Relay.Pair;
import com.example.im.embedded.EmbeddedRedis;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import redis.clients.jedis.Jedis;

/**
 * Scenario 10: what reliable delivery (stage 7) costs against stage 6, under scenario 3's load, in the same run.
 * Both stages run the same way: two nodes each, forked from the stage's own packaged jar ({@code java -cp
 * <stage>.jar com.example.im.server.ChatServer}), each stage with a redis-server of its own (so Redis' command counts
 * and memory are one stage's), all started once and kept for every round. The load generator speaks to stage 7 as a
 * stage 7 client does ({@link Load.Conn#reliable}: client_msg_id on sends, cumulative acks per read batch, seq de-dup).
 * Measured per run: msgs/s, latency, the node JVMs' CPU per message (from /proc), and Redis' commands, round trips
 * and CPU per message; once: the Redis memory a stored message costs in a stage 7 mailbox.
 */
final class Reliable implements AutoCloseable {

    /** One node: a stage's jar in a JVM of its own. */
    static final class Node implements AutoCloseable {
        final String id;
        final int port;
        final Process process;
        final Path log;

        Node(String id, Path jar, String redisUri, Path log) throws IOException, InterruptedException {
            this(id, jar, redisUri, log, List.of(), Map.of());
        }

        /** {@code extra}: more flags for the node; {@code env}: more environment variables (stage 9: the key). */
        Node(String id, Path jar, String redisUri, Path log, List<String> extra, Map<String, String> env)
                throws IOException, InterruptedException {
            this.id = id;
            this.port = freePort();
            this.log = log;
            List<String> command = new ArrayList<>(List.of(
                    Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "-Xms256m", "-Xmx512m", "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn",
                    "-cp", jar.toString(), "com.example.im.server.ChatServer",
                    "--port", Integer.toString(port), "--node-id", id, "--zk", "none", "--redis", redisUri,
                    "--shutdown-timeout-ms", "2000"));
            command.addAll(extra);
            ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
            builder.environment().putAll(env);
            process = builder.start();
            Runtime.getRuntime().addShutdownHook(new Thread(process::destroyForcibly));
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (!accepts(port)) {
                if (!process.isAlive() || System.nanoTime() > deadline) {
                    process.destroyForcibly();
                    throw new IOException("node " + id + " (" + jar.getFileName() + ") did not start: see " + log
                            + "\n" + tail(log));
                }
                Thread.sleep(50);
            }
        }

        InetSocketAddress address() {
            return new InetSocketAddress("127.0.0.1", port);
        }

        /** CPU time (user + system) of the node's whole JVM so far, from /proc (clock ticks: 10 ms). */
        long cpuNanos() {
            try {
                String stat = Files.readString(Path.of("/proc", Long.toString(process.pid()), "stat"));
                String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
                return (Long.parseLong(fields[11]) + Long.parseLong(fields[12])) * 10_000_000L; // utime, stime
            } catch (IOException | RuntimeException e) {
                return 0; // not Linux: no CPU figure (it reads 0)
            }
        }

        @Override
        public void close() {
            process.destroy();
            try {
                if (!process.waitFor(15, TimeUnit.SECONDS)) {
                    process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                process.destroyForcibly();
            }
        }
    }

    /** One stage under test: its jar, its Redis and its two nodes. */
    static final class Stage implements AutoCloseable {
        final String name;
        final boolean reliable;
        final EmbeddedRedis redis;
        final String redisUri;
        final Node a;
        final Node b;
        boolean warm;

        Stage(String name, Path jar, boolean reliable, String sharedRedis, Path logs)
                throws IOException, InterruptedException {
            this.name = name;
            this.reliable = reliable;
            this.redis = sharedRedis == null ? EmbeddedRedis.start() : null;
            this.redisUri = sharedRedis == null ? redis.uri() : sharedRedis;
            String tag = reliable ? "s7" : "s6";
            Node first = new Node("bench-" + tag + "-a", jar, redisUri, logs.resolve(tag + "-a.log"));
            Node second;
            try {
                second = new Node("bench-" + tag + "-b", jar, redisUri, logs.resolve(tag + "-b.log"));
            } catch (IOException | RuntimeException e) {
                first.close();
                throw e;
            }
            a = first;
            b = second;
            System.out.println("  " + name + ": nodes forked from " + jar + " (pids " + a.process.pid() + ", "
                    + b.process.pid() + "), Redis " + redisUri);
        }

        @Override
        public void close() {
            a.close();
            b.close();
            if (redis != null) {
                redis.close();
            }
        }
    }

    /** A run's figures: the relay's, Redis' deltas over the whole run, and the Ack frames the receivers sent. */
    record Run(Result relay, RedisStats redis, long acks) {
        double perMessage(double count) {
            return count / relay.delivered();
        }
    }

    /**
     * Redis' counters at one instant: calls per command ({@code INFO commandstats}; a script's own commands are
     * counted too, besides its EVAL) and the server's CPU seconds ({@code INFO cpu}).
     */
    record RedisStats(Map<String, Long> calls, Map<String, Long> micros, double cpuSeconds) {
        static RedisStats of(String uri) {
            try (Jedis jedis = new Jedis(URI.create(uri))) {
                Map<String, Long> calls = new LinkedHashMap<>();
                Map<String, Long> micros = new LinkedHashMap<>();
                for (String line : jedis.info("commandstats").split("\r?\n")) {
                    if (line.startsWith("cmdstat_")) {
                        String name = line.substring("cmdstat_".length(), line.indexOf(':'));
                        calls.put(name, field(line, "calls="));
                        micros.put(name, field(line, "usec="));
                    }
                }
                Map<String, String> cpu = info(jedis, "cpu");
                return new RedisStats(calls, micros, Double.parseDouble(cpu.get("used_cpu_user"))
                        + Double.parseDouble(cpu.get("used_cpu_sys")));
            }
        }

        /** {@code key}'s number in a commandstats line ("calls=12,usec=34,..."). */
        private static long field(String line, String key) {
            int from = line.indexOf(key) + key.length();
            int to = line.indexOf(',', from);
            return Long.parseLong(line.substring(from, to < 0 ? line.length() : to));
        }

        RedisStats minus(RedisStats before) {
            Map<String, Long> delta = new LinkedHashMap<>();
            Map<String, Long> time = new LinkedHashMap<>();
            calls.forEach((name, n) -> {
                long d = n - before.calls.getOrDefault(name, 0L);
                if (d > 0 && !name.equals("info")) { // this class's own INFO calls
                    delta.put(name, d);
                    time.put(name, micros.get(name) - before.micros.getOrDefault(name, 0L));
                }
            });
            return new RedisStats(delta, time, cpuSeconds - before.cpuSeconds);
        }

        long total() {
            return calls.values().stream().mapToLong(Long::longValue).sum();
        }

        long count(String command) {
            return calls.getOrDefault(command, 0L);
        }
    }

    static Map<String, String> info(Jedis jedis, String section) {
        Map<String, String> values = new LinkedHashMap<>();
        for (String line : jedis.info(section).split("\r?\n")) {
            int colon = line.indexOf(':');
            if (colon > 0 && !line.startsWith("#")) {
                values.put(line.substring(0, colon), line.substring(colon + 1).trim());
            }
        }
        return values;
    }

    private final Bench.Scenarios settings;
    private final Table table;
    private Stage stage6;
    private Stage stage7;
    private boolean stored;
    private boolean noted;

    Reliable(Bench.Scenarios settings, Table table) {
        this.settings = settings;
        this.table = table;
    }

    /** One round of scenario 10: cross-node and same-node, stage 6 then stage 7 each; the mailbox memory once. */
    void round() throws Exception {
        start();
        if (!stored) {
            storage(); // first, into a Redis that holds nothing else yet: used_memory's steps depend on what is there
        }
        for (boolean cross : new boolean[] {true, false}) {
            String where = cross ? "cross-node" : "same-node";
            Run base = run(stage6, cross);
            Run value = run(stage7, cross);
            table.ratio("10. " + where + " relay, msgs/s: stage 7 (base: stage 6)", value.relay().msgsPerSecond(),
                    base.relay().msgsPerSecond(), "%.0f", ">= 0.5");
            for (double p : new double[] {50, 99}) {
                table.ratio("10. " + where + " latency p" + (int) p + ", us: stage 7 (base: stage 6)",
                        value.relay().p(p) / 1e3, base.relay().p(p) / 1e3, "%.0f", "-");
            }
            table.ratio("10. " + where + " node CPU per message, ns, whole node JVMs: stage 7 (base: stage 6)",
                    value.relay().serverCpuNanosPerMessage(), base.relay().serverCpuNanosPerMessage(), "%.0f", "-");
            double baseCommands = base.perMessage(base.redis().total());
            // Stage 6 delivers same-node messages without Redis: no ratio against (almost) nothing.
            double commandBase = baseCommands < 0.5 ? Double.NaN : baseCommands;
            table.ratio("10. " + where + " Redis commands per message: stage 7 (base: stage 6)",
                    value.perMessage(value.redis().total()), commandBase, "%.2f", "-");
            double baseTrips = roundTrips(base, false);
            table.ratio("10. " + where + " Redis round trips per message (derived): stage 7 (base: stage 6)",
                    roundTrips(value, true), baseTrips < 0.01 ? Double.NaN : baseTrips, "%.3f", "-");
            double baseRedisCpu = base.perMessage(base.redis().cpuSeconds() * 1e9);
            table.ratio("10. " + where + " redis-server CPU per message, ns: stage 7 (base: stage 6)",
                    value.perMessage(value.redis().cpuSeconds() * 1e9),
                    commandBase != commandBase ? Double.NaN : baseRedisCpu, "%.0f", "-");
            if (!noted) { // the first round only: notes are not medians
                table.note("10. " + where + ", Redis calls per message (first round): stage 6 " + top(base)
                        + "; stage 7 " + top(value) + "; Ack frames from stage 7's receivers per message "
                        + Table.fmt("%.3f", value.perMessage(value.acks())));
            }
        }
        noted = true;
    }

    /**
     * Round trips to Redis per message, from the command counts and the stages' code (Redis counts commands, not
     * round trips). Stage 6: a forwarder batch is an MGET and one pipeline of XADDs (2); the receiving node's
     * consumer, an XREADGROUP and, if it brought entries, one pipeline of XACK + XDEL (XREADGROUP + XACK). Stage 7: a
     * store batch is the client_msg_id claims, the MGET, and one pipeline of appends and notifications (3 per MGET);
     * the consumer as stage 6's; each pull of a mailbox one pipeline of GET + XRANGE (the XRANGE calls less the one in
     * every append script, one per INCR); each client Ack one ACKNOWLEDGE script (the acks the load generator sent).
     */
    static double roundTrips(Run run, boolean stage7) {
        RedisStats r = run.redis();
        double consumer = r.count("xreadgroup") + r.count("xack");
        double trips = stage7
                ? 3 * r.count("mget") + consumer + Math.max(0, r.count("xrange") - r.count("incr")) + run.acks()
                : 2 * r.count("mget") + consumer;
        return run.perMessage(trips);
    }

    /**
     * The six commands Redis ran most in {@code run}, calls per message, and the four it spent most time in, us per
     * message (commandstats' usec: an EVAL's time includes the commands its script ran, which are counted too).
     */
    private static String top(Run run) {
        String calls = run.redis().calls().entrySet().stream()
                .sorted(Map.Entry.<String, Long>comparingByValue(Comparator.reverseOrder()))
                .limit(6)
                .map(e -> e.getKey() + " " + Table.fmt("%.2f", run.perMessage(e.getValue())))
                .collect(Collectors.joining(", "));
        String time = run.redis().micros().entrySet().stream()
                .sorted(Map.Entry.<String, Long>comparingByValue(Comparator.reverseOrder()))
                .limit(4)
                .map(e -> e.getKey() + " " + Table.fmt("%.1f", run.perMessage(e.getValue())))
                .collect(Collectors.joining(", "));
        return Table.fmt("%.2f", run.perMessage(run.redis().total())) + " (" + (calls.isEmpty() ? "none" : calls)
                + "; us per message in: " + (time.isEmpty() ? "none" : time) + ")";
    }

    private void start() throws IOException, InterruptedException {
        if (stage6 != null) {
            return;
        }
        Path logs = Files.createTempDirectory("bench-reliable-");
        String shared = settings.stringOf("redis", null);
        stage6 = new Stage("stage 6", jar("stage6-jar", "stage6-graceful-shutdown"), false, shared, logs);
        stage7 = new Stage("stage 7", jar("stage7-jar", "stage7-reliable-delivery"), true, shared, logs);
    }

    /** {@code --<flag>}, else {@code <module>/target/<module>.jar} in this directory or one above it. */
    private Path jar(String flag, String module) {
        return jar(settings, flag, module);
    }

    static Path jar(Bench.Scenarios settings, String flag, String module) {
        String given = settings.stringOf(flag, null);
        if (given != null) {
            return Path.of(given);
        }
        for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
            Path jar = dir.resolve(module).resolve("target").resolve(module + ".jar");
            if (Files.isRegularFile(jar)) {
                return jar;
            }
        }
        throw new IllegalStateException("no " + module + ".jar: build it (./mvnw -q -pl " + module
                + " -am package -DskipTests) or name it with --" + flag);
    }

    /** One closed-loop run of scenario 3's load on {@code stage}, across its two nodes or on its first. */
    private Run run(Stage stage, boolean cross) {
        if (!stage.warm) {
            // A forked JVM starts cold: both paths once, unmeasured, before the first measured run.
            double seconds = settings.doubleOf("jvm-warmup", 5);
            System.out.println("  JVM warm-up of " + stage.name + "'s nodes: " + seconds + " s cross-node, "
                    + seconds + " s same-node");
            relay(stage, true, 0, seconds);
            relay(stage, false, 0, seconds);
            stage.warm = true;
        }
        return relay(stage, cross, settings.warmup(), settings.seconds());
    }

    private Run relay(Stage stage, boolean cross, double warmup, double seconds) {
        RedisStats before = RedisStats.of(stage.redisUri);
        List<Conn> senders = connect(stage.a, "s", stage.reliable);
        List<Conn> receivers = connect(cross ? stage.b : stage.a, "r", stage.reliable);
        List<Pair> pairs = IntStream.range(0, senders.size())
                .mapToObj(i -> new Pair(senders.get(i), receivers.get(i))).toList();
        LongSupplier cpu = cross ? () -> stage.a.cpuNanos() + stage.b.cpuNanos() : stage.a::cpuNanos;
        Result result;
        try {
            result = Relay.closedLoop((cross ? "cross-node" : "same-node") + " (" + stage.name + ", jar)", cpu,
                    pairs, settings.window(), settings.size(), warmup, seconds);
        } finally {
            senders.forEach(Conn::close);
            receivers.forEach(Conn::close);
        }
        long acks = receivers.stream().mapToLong(c -> c.acksSent).sum();
        return new Run(result, RedisStats.of(stage.redisUri).minus(before), acks);
    }

    private List<Conn> connect(Node node, String role, boolean reliable) {
        return settings.connect(node.address(), settings.pairs(), role, true, reliable);
    }

    /**
     * The Redis memory a stored message costs: {@code --stored} messages of {@code --size} bytes from one sender to
     * ten users who never log in, through stage 7's first node; {@code used_memory} before and after, divided by
     * the messages. Next to it, the message as stored (the encoded ChatMessage in a mailbox entry) as the baseline,
     * and {@code MEMORY USAGE} of one mailbox divided by its entries (the stream alone, without the idempotency keys).
     */
    private void storage() throws InterruptedException {
        stored = true;
        int count = settings.intOf("stored", 20_000);
        int size = settings.size();
        int users = 10;
        Conn sender = settings.connect(stage7.a.address(), 1, "ms", true, true).get(0);
        String prefix = sender.uid + "-to";
        List<Template> templates = IntStream.range(0, users)
                .mapToObj(i -> new Template(Load.chat(prefix + i, 0, size), true)).toList();
        try (Jedis jedis = new Jedis(URI.create(stage7.redisUri))) {
            long memory0 = Long.parseLong(info(jedis, "memory").get("used_memory"));
            long keys0 = jedis.dbSize();
            sender.sendAndAwaitAcks(templates, count, 256, 120);
            long memory = Long.parseLong(info(jedis, "memory").get("used_memory")) - memory0;
            long keys = jedis.dbSize() - keys0;
            String mailbox = "im:mbox:{" + prefix + "0}";
            long entries = jedis.xlen(mailbox);
            Long usage = jedis.memoryUsage(mailbox, 0);
            List<?> first = (List<?>) ((List<?>) jedis.sendCommand(redis.clients.jedis.Protocol.Command.XRANGE,
                    mailbox, "-", "+", "COUNT", "1")).get(0);
            List<?> fields = (List<?>) first.get(1);
            int encoded = 0;
            for (int i = 0; i + 1 < fields.size(); i += 2) {
                if (new String((byte[]) fields.get(i)).equals("m")) {
                    encoded = ((byte[]) fields.get(i + 1)).length;
                }
            }
            // What Redis accounts to the keys one message adds: its mailbox entry (the mailbox's usage per entry),
            // and the two idempotency records, keys of their own (im:got on the append, im:cmid on the claim).
            long got = jedis.memoryUsage(jedis.keys("im:got:{" + prefix + "0}:*").iterator().next(), 0);
            long claim = jedis.memoryUsage(jedis.keys("im:cmid:{" + sender.uid + "}:*").iterator().next(), 0);
            String what = count + " x " + size + " B";
            table.ratio("10. Redis memory per stored message (used_memory), bytes, " + what
                    + " (base: the message as stored)", (double) memory / count, encoded, "%.0f", "-");
            double perEntry = usage == null ? Double.NaN : (double) usage / entries;
            table.ratio("10. MEMORY USAGE of a mailbox per entry, bytes, " + what + " (base: the message as stored)",
                    perEntry, encoded, "%.0f", "-");
            table.ratio("10. MEMORY USAGE per stored message: mailbox entry + im:got + im:cmid key, bytes, " + what
                    + " (base: the message as stored)", perEntry + got + claim, encoded, "%.0f", "-");
            table.note("10. storing " + what + " for 10 offline users: " + Table.fmt("%.2f", (double) keys / count)
                    + " new keys per message (the mailbox entry, the im:got:{uid}:<msg_id> and im:cmid:{from}:<id>"
                    + " records, kept as long as retention, 7 days by default; MEMORY USAGE " + got + " B and " + claim
                    + " B, not counting their TTL entries); the message as stored is the"
                    + " ChatMessage without its seq, " + encoded + " B; its frame from the client "
                    + templateSize(templates.get(0)) + " B");
            System.out.printf(Locale.ROOT, "  stored %s: used_memory +%d B (%.0f B/msg), %d keys, mailbox %d entries"
                    + " of MEMORY USAGE %s B; stored message %d B%n", what, memory, (double) memory / count, keys,
                    entries, usage, encoded);
        } finally {
            sender.close();
        }
    }

    private static int templateSize(Template template) {
        io.netty.buffer.ByteBuf frame = template.frame(io.netty.buffer.UnpooledByteBufAllocator.DEFAULT, 0, 0);
        try {
            return frame.readableBytes();
        } finally {
            frame.release();
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    private static boolean accepts(int port) {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", port), 200);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    static String tail(Path log) {
        try {
            List<String> lines = Files.readAllLines(log);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 20), lines.size()));
        } catch (IOException e) {
            return "(no log: " + e + ")";
        }
    }

    @Override
    public void close() {
        List<Stage> stages = new ArrayList<>();
        if (stage6 != null) {
            stages.add(stage6);
        }
        if (stage7 != null) {
            stages.add(stage7);
        }
        stages.forEach(Stage::close);
    }
}
