package com.example.im.bench;

import com.example.im.bench.Load.Conn;
import com.example.im.config.Flags;
import com.example.im.protocol.Envelope;
import com.example.im.protocol.Ping;
import com.example.im.protocol.Replies;
import com.example.im.protocol.Varint32FrameDecoder;
import com.example.im.server.ChatServer;
import com.example.im.server.ServerConfig;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.handler.codec.protobuf.ProtobufDecoder;
import io.netty.handler.codec.protobuf.ProtobufEncoder;
import io.netty.handler.codec.protobuf.ProtobufVarint32LengthFieldPrepender;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.handler.timeout.IdleStateHandler;
import io.netty.util.concurrent.GlobalEventExecutor;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Scenario 6: how many idle, heart-beating connections one node holds, and the heap each costs. The node runs in
 * its own JVM (so its heap and its open-file limit are its own) and the connections come from load processes of at
 * most {@code --per-process} connections each, each from its own source address 127.0.0.(10+i): one address has
 * about 28 000 ephemeral ports, and one process may open at most {@code ulimit -n} files (20 000 on these machines).
 * The baseline is a bare Netty node — framing, protobuf, an idle timer and ping/pong, nothing else — measured with
 * the same load in the same run.
 *
 * <p>Processes talk over stdin/stdout lines: the node prints {@code READY port}, answers {@code measure} with
 * {@code HEAP bytes sessions}; a load process prints {@code CONNECTED ok failed firstError}, answers
 * {@code stats} with {@code STATS open pings pongs}.
 */
final class Idle {

    private Idle() {
    }

    /** One child JVM and the protocol lines it printed. */
    private static final class Child implements AutoCloseable {
        final String name;
        final Process process;
        final BlockingQueue<String> replies = new LinkedBlockingQueue<>();
        final List<String> log = new ArrayList<>();
        final AtomicReference<String> emfile = new AtomicReference<>();

        Child(String name, List<String> args) throws IOException {
            this.name = name;
            List<String> command = new ArrayList<>();
            command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
            command.add("-cp");
            command.add(System.getProperty("java.class.path"));
            command.add("-Dorg.slf4j.simpleLogger.defaultLogLevel=warn");
            command.add(Bench.class.getName());
            command.addAll(args);
            process = new ProcessBuilder(command).redirectErrorStream(true).start();
            Thread reader = new Thread(() -> {
                try (BufferedReader in = new BufferedReader(new InputStreamReader(process.getInputStream(),
                        StandardCharsets.UTF_8))) {
                    for (String line = in.readLine(); line != null; line = in.readLine()) {
                        if (line.matches("^(READY|HEAP|CONNECTED|STATS) .*")) {
                            replies.add(line);
                        } else {
                            if (line.contains("Too many open files")) {
                                emfile.compareAndSet(null, line.trim());
                            }
                            synchronized (log) {
                                if (log.size() < 20) {
                                    log.add(line);
                                }
                            }
                        }
                    }
                } catch (IOException e) {
                    // the process ended
                }
                replies.add("EXIT");
            }, name + "-output");
            reader.setDaemon(true);
            reader.start();
        }

        String[] ask(String command, long timeoutSeconds) throws InterruptedException {
            if (command != null) {
                try {
                    process.outputWriter().write(command + "\n");
                    process.outputWriter().flush();
                } catch (IOException e) {
                    throw new IllegalStateException(name + " is gone: " + output(), e);
                }
            }
            String reply = replies.poll(timeoutSeconds, TimeUnit.SECONDS);
            if (reply == null || reply.equals("EXIT")) {
                throw new IllegalStateException(name + (reply == null ? " did not answer '" + command + "' in "
                        + timeoutSeconds + " s" : " exited") + "; its output: " + output());
            }
            return reply.split(" ", -1);
        }

        String output() {
            synchronized (log) {
                return String.join(" | ", log);
            }
        }

        @Override
        public void close() {
            try {
                process.outputWriter().write("quit\n");
                process.outputWriter().flush();
            } catch (IOException e) {
                // already gone
            }
            try {
                if (!process.waitFor(10, TimeUnit.SECONDS)) {
                    process.destroyForcibly();
                }
            } catch (InterruptedException e) {
                process.destroyForcibly();
                Thread.currentThread().interrupt();
            }
        }
    }

    record Outcome(String kind, int held, long bytesPerConnection, String stoppedBecause) {
    }

    static void run(Bench.Scenarios settings, Table table) throws Exception {
        int connections = settings.intOf("connections", 2000);
        int perProcess = settings.intOf("per-process", 9000);
        int pingMillis = settings.intOf("ping-ms", 5000);
        double hold = settings.doubleOf("hold-seconds", 12);
        Outcome bare = measure("bare", settings.redisUri(), connections, perProcess, pingMillis, hold);
        Outcome node = measure("stage6", settings.redisUri(), connections, perProcess, pingMillis, hold);
        table.ratio("6. idle heart-beating connections held by one node (base: bare Netty), of " + connections
                + " asked", node.held(), bare.held(), "%.0f", ">= 18000");
        table.ratio("6. heap per idle connection, bytes (base: bare Netty)", node.bytesPerConnection(),
                bare.bytesPerConnection(), "%.0f", "<= 4096");
        for (Outcome o : List.of(bare, node)) {
            if (o.stoppedBecause() != null) {
                table.note("6. " + o.kind() + " node stopped at " + o.held() + " connections: " + o.stoppedBecause());
            }
        }
    }

    private static Outcome measure(String kind, String redisUri, int connections, int perProcess, int pingMillis,
                                   double holdSeconds) throws Exception {
        List<Child> loads = new ArrayList<>();
        try (Child node = new Child(kind + "-node", List.of("idle-node", "--kind", kind, "--redis", redisUri,
                "--reader-idle-ms", Integer.toString(3 * pingMillis)))) {
            int port = Integer.parseInt(node.ask(null, 60)[1]);
            long before = Long.parseLong(node.ask("measure", 60)[1]);
            int processes = (connections + perProcess - 1) / perProcess;
            for (int i = 0; i < processes; i++) {
                int count = Math.min(perProcess, connections - i * perProcess);
                loads.add(new Child(kind + "-load" + i, List.of("idle-load", "--port", Integer.toString(port),
                        "--source", "127.0.0." + (10 + i), "--count", Integer.toString(count), "--prefix",
                        kind + i + "-", "--ping-ms", Integer.toString(pingMillis))));
            }
            int held = 0;
            String stopped = null;
            for (Child load : loads) {
                String[] reply = load.ask(null, 600);
                System.out.println("  " + load.name + ": " + String.join(" ", reply));
                held += Integer.parseInt(reply[1]);
                if (Integer.parseInt(reply[2]) > 0 && stopped == null) {
                    stopped = reply[2] + " connection(s) of " + load.name + " failed, first: " + reply[3];
                }
            }
            System.out.printf("  %s node: %d connections logged in; holding them %.1f s (ping every %d ms)%n",
                    kind, held, holdSeconds, pingMillis);
            Meter.sleep(holdSeconds);
            String[] heap = node.ask("measure", 120);
            System.out.println("  " + node.name + ": " + String.join(" ", heap)
                    + " (heap bytes, sessions, open files)");
            long after = Long.parseLong(heap[1]);
            int sessions = Integer.parseInt(heap[2]);
            long open = 0;
            long pongs = 0;
            for (Child load : loads) {
                String[] stats = load.ask("stats", 60);
                open += Long.parseLong(stats[1]);
                pongs += Long.parseLong(stats[3]);
            }
            if (open != held || sessions != held) {
                throw new IllegalStateException(kind + ": " + held + " connections logged in, but after "
                        + holdSeconds + " s " + open + " are open and the node counts " + sessions
                        + " (heartbeats not keeping them alive?) node output: " + node.output());
            }
            if (held > 0 && pongs == 0) {
                throw new IllegalStateException(kind + ": no pong for any ping in " + holdSeconds + " s");
            }
            if (node.emfile.get() != null && stopped != null) {
                stopped += "; the node logged: " + node.emfile.get()
                        + " (open-file limit " + nofileLimit() + " per process)";
            }
            long perConnection = held == 0 ? 0 : (after - before) / held;
            System.out.printf("  %s node: heap %d -> %d bytes = %d bytes per connection; %d pongs%n", kind, before,
                    after, perConnection, pongs);
            return new Outcome(kind, held, perConnection, stopped);
        } finally {
            loads.forEach(Child::close);
        }
    }

    static String nofileLimit() {
        try {
            return Files.readAllLines(Path.of("/proc/self/limits")).stream()
                    .filter(l -> l.startsWith("Max open files"))
                    .map(l -> l.replaceAll("\\s+", " ").replace("Max open files ", "").replace(" files", "")
                            .trim().replace(" ", " soft / ") + " hard")
                    .findFirst().orElse("unknown");
        } catch (IOException e) {
            return "unknown";
        }
    }

    // ---- the node process -------------------------------------------------------------------------------------

    static void nodeMain(String[] args) throws Exception {
        Flags flags = Flags.parse(args, Set.of("kind", "redis", "reader-idle-ms"));
        long readerIdle = flags.getLong("reader-idle-ms", 15_000);
        AutoCloseable server;
        int port;
        java.util.function.IntSupplier sessions;
        if (flags.get("kind", "stage6").equals("bare")) {
            BareNode bare = new BareNode(readerIdle);
            server = bare;
            port = bare.port();
            sessions = bare.channels::size;
        } else {
            ChatServer node = ChatServer.start(ServerConfig.forTests().withReaderIdleMillis(readerIdle)
                    .withRedis(flags.get("redis", null), ServerConfig.DEFAULT_SESSION_TTL_MILLIS,
                            ServerConfig.DEFAULT_UNDELIVERABLE_MILLIS));
            server = node;
            port = node.localAddress().getPort();
            sessions = () -> node.sessions().size();
        }
        PrintStream out = System.out;
        out.println("READY " + port);
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        for (String line = in.readLine(); line != null && !line.equals("quit"); line = in.readLine()) {
            if (line.equals("measure")) {
                out.println("HEAP " + usedHeapAfterGc() + " " + sessions.getAsInt() + " " + openFiles());
            }
        }
        server.close();
        System.exit(0);
    }

    private static long openFiles() {
        String[] fds = new java.io.File("/proc/self/fd").list();
        return fds == null ? -1 : fds.length;
    }

    private static long usedHeapAfterGc() {
        long used = Long.MAX_VALUE;
        for (int i = 0; i < 3; i++) { // a few rounds: the least is what is really reachable
            System.gc();
            used = Math.min(used, ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed());
        }
        return used;
    }

    /** The baseline: what any Netty server holding heart-beating protobuf connections needs, and nothing more. */
    static final class BareNode implements AutoCloseable {
        final ChannelGroup channels = new DefaultChannelGroup(GlobalEventExecutor.INSTANCE);
        private final LoopbackServer server;

        BareNode(long readerIdleMillis) {
            ChannelHandler handler = new BareHandler();
            server = new LoopbackServer("bare", p -> p.addLast(new Varint32FrameDecoder(64 * 1024),
                    new ProtobufDecoder(Envelope.getDefaultInstance()),
                    new IdleStateHandler(readerIdleMillis, 0, 0, TimeUnit.MILLISECONDS),
                    new ProtobufVarint32LengthFieldPrepender(), new ProtobufEncoder(), handler));
        }

        int port() {
            return server.address().getPort();
        }

        @ChannelHandler.Sharable
        private final class BareHandler extends SimpleChannelInboundHandler<Envelope> {
            @Override
            protected void channelRead0(ChannelHandlerContext ctx, Envelope frame) {
                if (frame.hasLogin()) {
                    channels.add(ctx.channel());
                    ctx.writeAndFlush(Replies.loggedIn(frame.getLogin().getUid()));
                } else if (frame.hasPing()) {
                    ctx.writeAndFlush(Replies.pong(frame.getPing().getSentAt()));
                }
            }

            @Override
            public void userEventTriggered(ChannelHandlerContext ctx, Object event) {
                if (event instanceof IdleStateEvent) {
                    ctx.close();
                }
            }
        }

        @Override
        public void close() {
            server.close();
        }
    }

    /** Pings every {@code pingMillis}, first at a random point in the interval, as real clients spread out. */
    private static void heartbeat(Conn conn, long pingMillis, AtomicLong pings, AtomicLong pongs) {
        conn.onFrame = frame -> {
            if (frame.hasPong()) {
                pongs.incrementAndGet();
            }
        };
        conn.channel.eventLoop().scheduleAtFixedRate(() -> {
            pings.incrementAndGet();
            conn.send(Envelope.newBuilder().setPing(Ping.newBuilder().setSentAt(System.currentTimeMillis())).build());
        }, ThreadLocalRandom.current().nextLong(pingMillis), pingMillis, TimeUnit.MILLISECONDS);
    }

    // ---- a load process ---------------------------------------------------------------------------------------

    static void loadMain(String[] args) throws Exception {
        Flags flags = Flags.parse(args, Set.of("port", "source", "count", "prefix", "ping-ms"));
        InetSocketAddress server = new InetSocketAddress("127.0.0.1", flags.getInt("port", 0));
        InetSocketAddress source = new InetSocketAddress(flags.get("source", "127.0.0.10"), 0);
        int count = flags.getInt("count", 100);
        String prefix = flags.get("prefix", "idle-");
        long pingMillis = flags.getLong("ping-ms", 5000);
        AtomicLong pings = new AtomicLong();
        AtomicLong pongs = new AtomicLong();
        List<Conn> held = new ArrayList<>();
        int failed = 0;
        String firstError = "-";
        try (Load load = new Load(1)) {
            Semaphore slots = new Semaphore(256);
            List<Conn> started = new ArrayList<>();
            for (int i = 0; i < count && failed < 50; i++) {
                slots.acquireUninterruptibly();
                Conn conn = load.connectOne(server, source, prefix + i, true);
                conn.ready.orTimeout(10, TimeUnit.SECONDS).whenComplete((c, e) -> {
                    slots.release();
                    if (e == null) {
                        heartbeat(conn, pingMillis, pings, pongs); // from login on, not once all are connected
                    }
                });
                started.add(conn);
                if (i % 256 == 255) { // count failures as we go, so a full node stops the load early
                    failed = (int) started.stream().filter(c -> c.ready.isCompletedExceptionally()).count();
                }
            }
            for (Conn conn : started) {
                try {
                    conn.ready.join();
                    held.add(conn);
                } catch (RuntimeException e) {
                    if (firstError.equals("-")) {
                        Throwable cause = e.getCause() != null ? e.getCause() : e;
                        firstError = cause.getClass().getSimpleName() + ": " + cause.getMessage();
                    }
                    conn.close();
                }
            }
            failed = started.size() - held.size();
            PrintStream out = System.out;
            out.println("CONNECTED " + held.size() + " " + failed + " " + firstError.replace('\n', ' '));
            BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
            for (String line = in.readLine(); line != null && !line.equals("quit"); line = in.readLine()) {
                if (line.equals("stats")) {
                    long open = held.stream().filter(c -> c.channel.isActive()).count();
                    out.println("STATS " + open + " " + pings.get() + " " + pongs.get());
                }
            }
        }
        System.exit(0);
    }
}
