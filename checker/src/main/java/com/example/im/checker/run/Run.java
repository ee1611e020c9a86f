package com.example.im.checker.run;

import com.example.im.checker.history.Event;
import com.example.im.checker.history.History;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

/** One checker run: the cluster up, every client logged in, traffic and faults, a quiet end, the history. */
public final class Run {

    /** How long the traffic goes on after the last fault was undone. */
    static final long TAIL_MILLIS = 2_000;

    /**
     * @param settleSeconds after the traffic stops, how long to wait at most for the last replies and deliveries
     */
    public record Settings(Stage stage, int nodes, int clients, int rate, long seconds, List<String> faults,
                           long seed, Path dir, long settleSeconds) {
        public Settings {
            if (nodes < 1 || clients < 2 || rate < 1 || seconds < 1) {
                throw new IllegalArgumentException("need --nodes >= 1, --clients >= 2, --rate >= 1, --seconds >= 1");
            }
            if (settleSeconds < 0) {
                throw new IllegalArgumentException("need --settle-seconds >= 0, got " + settleSeconds);
            }
            for (String fault : faults) {
                if (!Faults.KNOWN.contains(fault)) {
                    throw new IllegalArgumentException("unknown fault '" + fault + "' (known: "
                            + String.join(", ", new java.util.TreeSet<>(Faults.KNOWN)) + ")");
                }
                if (fault.startsWith("redis") && !stage.usesRedis()) {
                    throw new IllegalArgumentException("fault " + fault + ": " + stage.name() + " uses no Redis");
                }
                // Refused before anything starts: a fault that cannot act on the stage's Redis tests nothing.
                if (stage.redisCluster() && (fault.equals("redis-restart") || fault.equals("redis-pause"))) {
                    throw new IllegalArgumentException("fault " + fault + ": " + stage.name() + " runs on a Redis"
                            + " Cluster (redis = cluster in its promise), and " + fault + " acts on one redis-server;"
                            + " the cluster's fault is redis-master-kill");
                }
                if (fault.equals("redis-master-kill") && stage.usesRedis() && !stage.redisCluster()) {
                    throw new IllegalArgumentException("fault redis-master-kill: " + stage.name() + " runs on one"
                            + " redis-server, not a Redis Cluster (its promise has no redis = cluster); its Redis"
                            + " faults are redis-restart and redis-pause");
                }
            }
        }
    }

    /** The end of a run: this long without a new event (and nothing in flight) means the stage has delivered all it
     *  will. Long enough for a retried inbox entry (stages 5-6 retry every second) to arrive. */
    static final long QUIET_SECONDS = 5;
    /**
     * The same for a reliable stage (stage 7): three of its resend and mailbox-comparison periods (5 s each). What it
     * delivers late it delivers through those timers, and after a failover its first pushes to a moved user were seen
     * to wait seconds; a run that stopped listening 5 s after the last event would call those messages lost.
     */
    static final long QUIET_SECONDS_RELIABLE = 15;

    private Run() {
    }

    public static List<Event> execute(Settings s) throws Exception {
        Files.createDirectories(s.dir());
        try (History history = new History(s.dir().resolve("history.jsonl"))) {
            history.add(Event.run(history.now(), "stage=" + s.stage().name() + " nodes=" + s.nodes() + " clients="
                    + s.clients() + " rate=" + s.rate() + " seconds=" + s.seconds() + " faults=" + s.faults()
                    + " seed=" + s.seed()));
            Random random = new Random(s.seed());
            List<Faults.Planned> plan = Faults.plan(s.faults(), s.seconds() * 1000, random);
            try (Cluster cluster = new Cluster(s.stage(), s.nodes(), s.dir());
                 Directory directory = new Directory(cluster.zkConnect())) {
                System.out.println("checker: " + cluster.describe() + "; " + s.nodes() + " nodes of " + s.stage().name()
                        + " (logs in " + s.dir() + ")");
                EventLoopGroup group = new MultiThreadIoEventLoopGroup(2, NioIoHandler.newFactory());
                List<CheckClient> clients = new ArrayList<>();
                try {
                    for (int i = 0; i < s.clients(); i++) {
                        clients.add(new CheckClient(String.format("c%02d", i), directory, group, history, s.seed(),
                                s.stage().reliableClient(), s.stage().auth()));
                    }
                    awaitRegistrations(directory, s.nodes());
                    clients.forEach(CheckClient::start);
                    awaitLogins(clients);
                    traffic(s, cluster, history, clients, plan, random);
                    settle(s, history, clients);
                } finally {
                    clients.forEach(CheckClient::stop);
                    group.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
                }
            }
            return history.events();
        }
    }

    /**
     * A node listens before it registers in ZooKeeper, and the directory is read every 250 ms: clients started at
     * once could all pick the first node to appear, and a run with every client on one node forwards nothing
     * between nodes.
     */
    private static void awaitRegistrations(Directory directory, int nodes) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (directory.nodes().size() < nodes) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("only " + directory.nodes().size() + " of " + nodes + " nodes"
                        + " registered in ZooKeeper within 30 s: see the node logs");
            }
            Thread.sleep(50);
        }
    }

    private static void awaitLogins(List<CheckClient> clients) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (clients.stream().anyMatch(c -> !c.idle())) {
            if (System.nanoTime() > deadline) {
                long in = clients.stream().filter(CheckClient::idle).count();
                throw new IllegalStateException("only " + in + " of " + clients.size() + " clients logged in within"
                        + " 30 s: the cluster did not come up; see the node logs");
            }
            Thread.sleep(50);
        }
    }

    private static void traffic(Settings s, Cluster cluster, History history, List<CheckClient> clients,
                                List<Faults.Planned> plan, Random random) throws Exception {
        Workload workload = new Workload(clients, s.rate(), new Random(random.nextLong()));
        Faults faults = new Faults(cluster, s.stage(), history, new Random(random.nextLong()),
                clients.stream().map(c -> c.uid).toList());
        long started = history.now();
        AtomicReference<Exception> failed = new AtomicReference<>();
        Thread injector = new Thread(() -> {
            try {
                faults.run(plan, started);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (Exception e) {
                failed.set(e);
                workload.stop();
            }
        }, "checker-faults");
        injector.start();
        workload.run(s.seconds() * 1000);
        // Faults run one after another and can slip past --seconds. The traffic goes on until the last one has been
        // undone (its node back, its proxy passing) and for TAIL_MILLIS after, so that every fault is tested under
        // load and the recovery is seen; a fault the traffic did not span fails the verdict (Promise.judge).
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        boolean overran = injector.isAlive();
        while (injector.isAlive() && System.nanoTime() < deadline) {
            workload.run(100);
        }
        if (overran && !injector.isAlive() && failed.get() == null) {
            System.out.println("checker: the faults outlasted --seconds " + s.seconds() + "; the traffic went on until"
                    + " the last one was undone");
            workload.run(TAIL_MILLIS);
        }
        if (injector.isAlive()) {
            injector.interrupt();
            throw new IllegalStateException("a fault did not finish within 120 s after the traffic stopped");
        }
        if (failed.get() != null) {
            throw new IllegalStateException("the fault injector failed: " + failed.get(), failed.get());
        }
    }

    /**
     * Waits for every reply and for deliveries to stop arriving ({@link #QUIET_SECONDS} s of quiet, or
     * {@link #QUIET_SECONDS_RELIABLE} for a reliable stage), bounded by --settle-seconds.
     */
    private static void settle(Settings s, History history, List<CheckClient> clients) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(s.settleSeconds());
        int size = history.size();
        long quietSince = System.nanoTime();
        while (System.nanoTime() < deadline) {
            Thread.sleep(100);
            int now = history.size();
            if (now != size) {
                size = now;
                quietSince = System.nanoTime();
            }
            boolean inFlight = clients.stream().anyMatch(CheckClient::inFlight);
            long quiet = s.stage().reliableClient() ? QUIET_SECONDS_RELIABLE : QUIET_SECONDS;
            if (!inFlight && System.nanoTime() - quietSince > TimeUnit.SECONDS.toNanos(quiet)) {
                return;
            }
        }
    }
}
