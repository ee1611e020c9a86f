package com.example.im.bench;

import com.example.im.bench.Load.Conn;
import com.example.im.bench.Meter.Result;
import com.example.im.bench.Relay.Pair;
import com.example.im.protocol.Envelope;
import com.example.im.protocol.Ping;
import com.example.im.server.ChatServer;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.handler.timeout.IdleStateHandler;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.DoubleFunction;

/**
 * Scenario 9: traffic shaped like a real IM cluster's. {@code --users} logged-in users, half on each of two stage 6
 * nodes sharing one Redis; every message goes from a random user to a random other user (so about half cross from
 * one node to the other through Redis), and the instants they are sent form a Poisson process of total rate R:
 * exponential gaps, what many users who each send now and then, independently of each other, add up to. The pacer
 * is scenario 7's open loop ({@link Relay#openLoop}): a message is stamped with the instant it was due, so a
 * stalled server cannot hide its stall (coordinated omission).
 *
 * <p>Users that have written nothing for {@code --ping-ms} send a ping, as {@code ChatClient} does; without that,
 * at low rates a user stays silent longer than the node's 15 s reader-idle time and the node closes it as dead.
 *
 * <p>The scenario looks for the highest R whose p99 stays within {@value #P99_LIMIT_MS} ms ({@link #search}) and
 * reports it with the server's and the load generator's CPU per message at that rate (docs/benchmarks.md, "What the
 * numbers mean", 9.).
 */
final class Traffic {

    /** The latency a user still calls instant, and the bar each rate is held to. */
    static final double P99_LIMIT_MS = 50;
    /** Open files kept free for everything else the JVM opens while the users are connected. */
    private static final int SPARE_FILES = 200;
    /** Users logged in at a time, alternately on each node; each batch gets its heartbeat before the next. */
    private static final int BATCH = 250;

    private Traffic() {
    }

    /** One step of the search: a run at {@code rate}; {@code result} null when the pacer gave up (fell behind). */
    record Probe(double rate, boolean passed, Result result) {
    }

    /**
     * Finds the highest rate that passes in at most {@code steps} probes: from {@code start}, double while the rate
     * passes (halve while it fails); once one rate passed and one failed, bisect between the highest that passed
     * and the lowest that failed. Stops early when those two are within 2 % of each other (finer than this
     * machine's noise). Returns every probe in the order made.
     */
    static List<Probe> search(double start, int steps, DoubleFunction<Probe> probe) {
        List<Probe> tried = new ArrayList<>();
        double passed = Double.NaN;
        double failed = Double.NaN;
        double rate = start;
        for (int i = 0; i < steps; i++) {
            Probe p = probe.apply(rate);
            tried.add(p);
            if (p.passed()) {
                passed = Double.isNaN(passed) ? rate : Math.max(passed, rate);
            } else {
                failed = Double.isNaN(failed) ? rate : Math.min(failed, rate);
            }
            if (Double.isNaN(failed)) {
                rate = passed * 2;
            } else if (Double.isNaN(passed)) {
                rate = Math.max(1, Math.rint(failed / 2));
            } else if (failed / passed < 1.02) {
                break;
            } else {
                rate = Math.rint((passed + failed) / 2);
            }
        }
        return tried;
    }

    /** The highest rate that passed, if any did. */
    static Optional<Probe> best(List<Probe> tried) {
        return tried.stream().filter(Probe::passed).reduce((a, b) -> a.rate() >= b.rate() ? a : b);
    }

    /**
     * A Poisson process of {@code rate} messages per second, each from a random user to a random other user. The
     * same as every user sending on its own at {@code rate / users} per second: merged Poisson processes are one.
     */
    static Relay.Arrivals poisson(List<Conn> users, double rate, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        double meanGapNanos = 1e9 / rate;
        return new Relay.Arrivals() {
            @Override
            public Pair pair(long n) {
                int from = random.nextInt(users.size());
                int to = random.nextInt(users.size() - 1);
                return new Pair(users.get(from), users.get(to < from ? to : to + 1));
            }

            @Override
            public double gapNanos() {
                return -Math.log(1 - random.nextDouble()) * meanGapNanos; // 1 - u is in (0, 1]: never log(0)
            }
        };
    }

    /**
     * One open-loop run of Poisson traffic among {@code users} at {@code rate}; fails like every run (Meter), and
     * stops sending once more than a second's worth of messages is in flight: by then most messages of that second
     * are later than {@value #P99_LIMIT_MS} ms, the run cannot pass, and a bounded backlog drains in seconds.
     */
    static Result step(List<Conn> users, double rate, int size, double warmupSeconds, double seconds, long seed) {
        // Every user sends and receives: as a pair with itself, its chat frames are counted as deliveries and its
        // error frames fail the run, whoever the pair that sent them.
        List<Pair> listeners = users.stream().map(u -> new Pair(u, u)).toList();
        return Relay.openLoop(String.format(Locale.ROOT, "traffic at %.0f/s", rate), Bench.NODE_THREADS, listeners,
                rate, Math.max(1_000, (long) rate), poisson(users, rate, seed), size, warmupSeconds, seconds);
    }

    /** A run that failed because it fell behind (too fast for the nodes), not because of a fault. */
    static boolean fellBehind(IllegalStateException e) {
        return e.getMessage() != null && e.getMessage().contains(Relay.CANNOT_SUSTAIN);
    }

    static void run(Bench.Scenarios s, Table table) throws InterruptedException {
        int asked = s.intOf("users", 10_000);
        int steps = s.intOf("steps", 8);
        double startRate = s.doubleOf("start-rate", 1000);
        long pingMillis = s.intOf("ping-ms", 5000);
        long began = System.nanoTime();
        try (ChatServer a = ChatServer.start(s.nodeConfig()); ChatServer b = ChatServer.start(s.nodeConfig())) {
            int count = fitting(asked);
            if (count < asked) {
                table.note("9. asked for " + asked + " users; " + count + " fit in one JVM's open-file limit ("
                        + Idle.nofileLimit() + "): each user is two sockets here, its own and the node's");
            }
            LongAdder pings = new LongAdder();
            List<Conn> users = new ArrayList<>(count);
            try {
                int[] left = {count - count / 2, count / 2}; // still to connect to a, to b
                for (int i = 0; left[0] + left[1] > 0; i++) {
                    int n = Math.min(BATCH, left[i % 2]);
                    left[i % 2] -= n;
                    List<Conn> batch = s.connect((i % 2 == 0 ? a : b).localAddress(), n, "t" + i + "-", true);
                    // From login on, not once all are in: 10 000 logins can outlast the node's reader-idle time.
                    batch.forEach(u -> u.channel.pipeline().addLast(new Pinger(pingMillis, pings)));
                    users.addAll(batch);
                }
                System.out.printf(Locale.ROOT, "  %d users logged in, half on each node, in %.1f s; a user silent "
                        + "for %d ms pings%n", count, (System.nanoTime() - began) / 1e9, pingMillis);
                // The users' connections and sessions, tens of megabytes made in a burst, are still young: the first
                // young collection of the search would copy them all inside a measured window (seen: a 611 ms
                // pause on 2 busy cores). A full collection now moves them out of the way.
                System.gc();
                long[] seed = {0};
                List<Probe> tried = search(startRate, steps, rate -> probe(s, users, rate, ++seed[0], pings));
                rows(table, count, tried, s);
            } finally {
                logOut(users, a, b);
            }
        }
        System.out.printf(Locale.ROOT, "  traffic scenario: %.0f s%n", (System.nanoTime() - began) / 1e9);
    }

    private static Probe probe(Bench.Scenarios s, List<Conn> users, double rate, long seed, LongAdder pings) {
        long pings0 = pings.sum();
        long t0 = System.nanoTime();
        Probe probe;
        try {
            Result r = step(users, rate, s.size(), s.warmup(), s.seconds(), seed);
            boolean passed = r.latency().getTotalCount() > 0 && r.p(99) <= P99_LIMIT_MS * 1e6;
            probe = new Probe(rate, passed, r);
        } catch (IllegalStateException e) {
            if (!fellBehind(e)) {
                throw e; // a lost message, an error frame, a dropped user: a fault, not a rate too high
            }
            System.out.println("  " + e.getMessage());
            awaitQuiet(users);
            probe = new Probe(rate, false, null);
        }
        double pingRate = (pings.sum() - pings0) / ((System.nanoTime() - t0) / 1e9);
        String verdict = probe.result() == null ? "fell behind" : String.format(Locale.ROOT, "p99 %.2f ms, %s",
                probe.result().p(99) / 1e6, probe.passed() ? "within " + (int) P99_LIMIT_MS + " ms" : "too slow");
        System.out.printf(Locale.ROOT, "  -> %.0f msgs/s: %s (users also sent %.0f pings/s)%n", rate, verdict,
                pingRate);
        return probe;
    }

    private static void rows(Table table, int users, List<Probe> tried, Bench.Scenarios s) {
        Optional<Probe> best = best(tried);
        Result r = best.map(Probe::result).orElse(null);
        double nan = Double.NaN;
        table.ratio("9. real traffic, " + users + " users on 2 nodes: highest rate with p99 <= "
                + (int) P99_LIMIT_MS + " ms, msgs/s", best.map(Probe::rate).orElse(nan), nan, "%.0f", "-");
        table.ratio("9. real traffic: p99 at that rate, ms", r == null ? nan : r.p(99) / 1e6, nan, "%.2f",
                "<= " + (int) P99_LIMIT_MS + " ms");
        table.ratio("9. real traffic: server CPU per message at that rate, ns",
                r == null ? nan : r.serverCpuNanosPerMessage(), nan, "%.0f", "-");
        if (r != null) {
            s.loadCpuRow("9. real traffic", r);
        }
        if (best.isEmpty()) {
            table.note("9. no rate tried met p99 <= " + (int) P99_LIMIT_MS + " ms (lowest tried: "
                    + (long) tried.stream().mapToDouble(Probe::rate).min().orElse(nan) + " msgs/s)");
        } else if (tried.stream().noneMatch(p -> !p.passed() && p.rate() > best.get().rate())) {
            table.note("9. every rate tried met p99 <= " + (int) P99_LIMIT_MS + " ms: the highest is at least "
                    + (long) best.get().rate() + " msgs/s (more --steps or a higher --start-rate would find it)");
        }
    }

    /**
     * Closes every user's connection and waits until the nodes have noticed: a node shut down while it still has
     * clients waits (up to its shutdown timeout) for them to log in elsewhere, which these never will.
     */
    static void logOut(List<Conn> users, ChatServer... nodes) {
        users.forEach(Conn::close);
        users.forEach(u -> u.channel.closeFuture().awaitUninterruptibly(10, TimeUnit.SECONDS));
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (java.util.Arrays.stream(nodes).anyMatch(n -> n.sessions().size() > 0)
                && System.nanoTime() < deadline) {
            Meter.sleep(0.05);
        }
    }

    /** The most users (two open files each) this JVM can still connect, in hundreds, at most {@code asked}. */
    private static int fitting(int asked) {
        if (ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.UnixOperatingSystemMXBean os) {
            long spare = os.getMaxFileDescriptorCount() - os.getOpenFileDescriptorCount() - SPARE_FILES;
            return (int) Math.max(2, Math.min(asked, spare / 2 / 100 * 100));
        }
        return asked;
    }

    /**
     * After a run the pacer gave up on, messages are still on their way, and the next run would count them as its
     * own: wait until no chat frame has arrived for a second.
     */
    private static void awaitQuiet(List<Conn> users) {
        LongAdder chats = new LongAdder();
        users.forEach(u -> u.onFrame = frame -> {
            if (frame.hasChat()) {
                chats.increment();
            }
        });
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        for (long last = -1, now = chats.sum(); now != last; last = now, now = chats.sum()) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("traffic: users still receiving a run's messages 60 s after it");
            }
            Meter.sleep(1);
        }
    }

    /**
     * ChatClient's heartbeat (docs/03-heartbeat.md): a user that has written nothing for {@code pingMillis} pings,
     * here up to a fifth of that later again. Real users' clocks are independent; without the jitter, every pause
     * of this one JVM (a GC, a busy core) would line the timers of all its users up into one burst of thousands of
     * pings every interval, a load no real population makes.
     */
    private static final class Pinger extends IdleStateHandler {
        private final LongAdder pings;
        private final long jitterMillis;

        Pinger(long pingMillis, LongAdder pings) {
            super(0, pingMillis, 0, TimeUnit.MILLISECONDS);
            this.pings = pings;
            this.jitterMillis = Math.max(1, pingMillis / 5);
        }

        @Override
        protected void channelIdle(ChannelHandlerContext ctx, IdleStateEvent event) {
            ctx.executor().schedule(() -> {
                pings.increment();
                // From the tail, through the encoder (and through this handler, which notes the write).
                ctx.channel().writeAndFlush(Envelope.newBuilder()
                        .setPing(Ping.newBuilder().setSentAt(System.currentTimeMillis())).build(),
                        ctx.channel().voidPromise());
            }, ThreadLocalRandom.current().nextLong(jitterMillis), TimeUnit.MILLISECONDS);
        }
    }
}
