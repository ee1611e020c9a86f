package com.example.im.checker.run;

import com.example.im.checker.analysis.Promise;
import com.example.im.checker.history.Event;
import com.example.im.checker.history.History;
import com.example.im.embedded.EmbeddedRedisCluster;
import com.example.im.embedded.net.FaultProxy;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * The fault injector: each fault named on the command line once, in an order and at times drawn from the seed, one
 * after another (never two at once, so every bad message can be attributed to the fault it happened under). Every
 * fault is logged in the history with its start and its end; "end" is when the injector undid it (the node is back
 * and listening, Redis answers again, the proxy passes again), not when the cluster has recovered — how long that
 * took is what the report shows.
 */
final class Faults {

    /** The faults this injector knows: the names a promise file may use (one list, in {@link Promise}). */
    static final Set<String> KNOWN = Set.copyOf(Promise.KNOWN_FAULTS);
    /** How long a supervisor (systemd, Kubernetes) takes to start a node that died. */
    static final long SUPERVISOR_DELAY_MS = 3_000;
    static final long WARM_UP_MS = 5_000;

    record Planned(String fault, long atMillis) {
    }

    private final Cluster cluster;
    private final Stage stage;
    private final History history;
    private final Random random;
    /** The clients' user ids: redis-master-kill picks a master that holds some of their mailboxes. */
    private final List<String> uids;

    Faults(Cluster cluster, Stage stage, History history, Random random) {
        this(cluster, stage, history, random, List.of());
    }

    Faults(Cluster cluster, Stage stage, History history, Random random, List<String> uids) {
        this.uids = List.copyOf(uids);
        this.cluster = cluster;
        this.stage = stage;
        this.history = history;
        this.random = random;
    }

    /** Spreads the faults over the run: one slot each after a warm-up, starting in the first third of its slot. */
    static List<Planned> plan(List<String> faults, long runMillis, Random random) {
        List<String> order = new ArrayList<>(faults);
        Collections.shuffle(order, random);
        List<Planned> plan = new ArrayList<>();
        if (order.isEmpty()) {
            return plan;
        }
        long slot = Math.max(1, (runMillis - WARM_UP_MS) / order.size());
        for (int i = 0; i < order.size(); i++) {
            plan.add(new Planned(order.get(i), WARM_UP_MS + i * slot + (long) (random.nextDouble() * slot / 3)));
        }
        return plan;
    }

    /** Runs the plan on this thread; returns when the last fault has been undone. */
    void run(List<Planned> plan, long runStartedAt) throws Exception {
        for (Planned p : plan) {
            long wait = p.atMillis() - (history.now() - runStartedAt);
            if (wait > 0) {
                Thread.sleep(wait);
            }
            inject(p.fault());
        }
    }

    private Node anyNode() {
        return cluster.nodes.get(random.nextInt(cluster.nodes.size()));
    }

    private void start(String fault, String target, String text) {
        history.add(Event.fault(history.now(), fault, target, "start", text));
        System.out.printf("checker: %6.1f s  %s %s: %s%n", history.now() / 1000.0, fault, target, text);
    }

    private void end(String fault, String target, String text) {
        history.add(Event.fault(history.now(), fault, target, "end", text));
        System.out.printf("checker: %6.1f s  %s %s ended: %s%n", history.now() / 1000.0, fault, target, text);
    }

    private void inject(String fault) throws Exception {
        switch (fault) {
            case "kill9" -> {
                Node node = anyNode();
                start(fault, node.id, "kill -9 (no shutdown hook); a supervisor starts it again after "
                        + SUPERVISOR_DELAY_MS + " ms");
                node.kill9();
                Thread.sleep(SUPERVISOR_DELAY_MS);
                node.start();
                end(fault, node.id, "started again on the same port");
            }
            case "sigterm", "restart" -> {
                Node node = anyNode();
                long bound = stage.shutdownTimeoutMillis() + 10_000;
                start(fault, node.id, "SIGTERM (graceful shutdown), then started again"
                        + (fault.equals("restart") ? " at once" : " after " + SUPERVISOR_DELAY_MS + " ms"));
                boolean exited = node.sigterm(bound);
                if (fault.equals("sigterm")) {
                    Thread.sleep(SUPERVISOR_DELAY_MS);
                }
                node.start();
                end(fault, node.id, (exited ? "exited" : "did not exit within " + bound + " ms and was killed")
                        + ", started again");
            }
            case "pause" -> {
                Node node = anyNode();
                long pause = stage.zkSessionTimeoutMillis() + 3_000;
                start(fault, node.id, "SIGSTOP for " + pause + " ms, longer than its ZooKeeper session ("
                        + stage.zkSessionTimeoutMillis() + " ms): a stop-the-world GC pause");
                node.signal("STOP");
                try {
                    Thread.sleep(pause);
                } finally {
                    node.signal("CONT");
                }
                end(fault, node.id, "SIGCONT");
            }
            case "redis-restart" -> {
                requireOneRedis(fault);
                boolean durable = cluster.redisDurable();
                start(fault, "redis", durable
                        ? "Redis is killed (SIGKILL) and starts again from its AOF (fsync always) after 1 s"
                        : "Redis stops and starts again empty on the same port after 1 s");
                cluster.redisStop();
                Thread.sleep(1_000);
                cluster.redisStart();
                end(fault, "redis", durable ? "answering again, AOF loaded" : "answering again, empty");
            }
            case "redis-pause" -> {
                requireOneRedis(fault);
                start(fault, "redis", "SIGSTOP for 5 s: connections stay open, nothing is answered");
                Signals.send("STOP", cluster.redisPid());
                try {
                    Thread.sleep(5_000);
                } finally {
                    Signals.send("CONT", cluster.redisPid());
                }
                end(fault, "redis", "SIGCONT");
            }
            case "redis-master-kill" -> masterKill(fault);
            case "zk-restart" -> {
                start(fault, "zk", "ZooKeeper stops and starts again after 3 s (its data kept)");
                cluster.zkStop();
                Thread.sleep(3_000);
                cluster.zkStart();
                end(fault, "zk", "serving again");
            }
            case "net" -> {
                Node node = anyNode();
                // On a Redis Cluster a node dials every cluster node directly, not through its Redis proxy: the
                // network fault there is the ZooKeeper side only (redis-master-kill is the cluster's fault).
                boolean toRedis = cluster.hasRedis() && cluster.redisCluster() == null && random.nextBoolean();
                FaultProxy proxy = toRedis ? node.redisProxy : node.zkProxy;
                String mode;
                switch (random.nextInt(3)) {
                    case 0 -> proxy.delay(300);
                    case 1 -> proxy.blackhole();
                    default -> proxy.drop();
                }
                mode = proxy.mode();
                start(fault, node.id, mode + " between " + node.id + " and " + (toRedis ? "Redis" : "ZooKeeper")
                        + " for 5 s");
                try {
                    Thread.sleep(5_000);
                } finally {
                    proxy.pass();
                }
                end(fault, node.id, "the network passes again");
            }
            default -> throw new IllegalArgumentException("unknown fault " + fault + " (known: " + KNOWN + ")");
        }
    }

    /**
     * redis-master-kill (stage 9, {@code redis = cluster}): SIGKILL to one master of the Redis Cluster, drawn from the
     * seed among the masters that hold at least one client's mailbox ({@code im:*:{uid}}: a user's keys share the
     * slot of "uid"). Then, bounded, until the cluster is ok again on every surviving node with every slot served
     * (phase "failover": how long that took since the kill, and which replica took over), and the killed process
     * started again with its node file, so that it rejoins as the new master's replica and a later kill still finds
     * a replica behind every master (phase "rejoined"). The fault ends there.
     */
    private void masterKill(String fault) {
        EmbeddedRedisCluster redis = cluster.redisCluster();
        if (redis == null) {
            throw new IllegalArgumentException(fault + ": this stage's Redis is one server, not a Redis Cluster");
        }
        List<Integer> before = redis.masterPorts();
        java.util.Map<Integer, Integer> mailboxes = new java.util.TreeMap<>();
        for (String uid : uids) {
            mailboxes.merge(redis.masterOf("{" + uid + "}"), 1, Integer::sum);
        }
        List<Integer> candidates = mailboxes.isEmpty() ? before : List.copyOf(mailboxes.keySet());
        int port = candidates.get(random.nextInt(candidates.size()));
        String target = "redis:" + port;
        start(fault, target, "SIGKILL to master 127.0.0.1:" + port + " (mailboxes of "
                + mailboxes.getOrDefault(port, 0) + " of " + uids.size() + " clients; masters " + before
                + "); its replica takes over after the node timeout (" + redis.nodeTimeoutMillis() + " ms)");
        long pid = redis.killMaster(port);
        Duration window = redis.awaitFailover();
        List<Integer> promoted = new ArrayList<>(redis.masterPorts());
        promoted.removeAll(before);
        String promotedText = promoted.isEmpty() ? "no new master (?)" : promoted.stream()
                .map(p -> "127.0.0.1:" + p).collect(Collectors.joining(", "));
        step(fault, target, "failover", "cluster ok again " + window.toMillis() + " ms after the kill of pid " + pid
                + "; the replica " + promotedText + " took over the slots of 127.0.0.1:" + port);
        long restartAt = System.nanoTime();
        redis.restart(port);
        long rejoinMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - restartAt);
        step(fault, target, "rejoined", "127.0.0.1:" + port + " started again and in sync as a replica of "
                + promotedText + " after " + rejoinMillis + " ms");
        end(fault, target, "failover " + window.toMillis() + " ms to " + promotedText + "; 127.0.0.1:" + port
                + " rejoined as its replica");
    }

    private void step(String fault, String target, String phase, String text) {
        history.add(Event.fault(history.now(), fault, target, phase, text));
        System.out.printf("checker: %6.1f s  %s %s %s: %s%n", history.now() / 1000.0, fault, target, phase, text);
    }

    /** redis-restart and redis-pause act on one redis-server: not on a Redis Cluster, nor on a stage without Redis. */
    private void requireOneRedis(String fault) {
        if (!cluster.hasRedis()) {
            throw new IllegalArgumentException(fault + ": this stage uses no Redis");
        }
        if (cluster.redisCluster() != null) {
            throw new IllegalArgumentException(fault + ": this stage runs on a Redis Cluster; its fault is "
                    + "redis-master-kill");
        }
    }
}
