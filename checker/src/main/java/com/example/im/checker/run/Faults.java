package com.example.im.checker.run;

import com.example.im.checker.analysis.Promise;
import com.example.im.checker.history.Event;
import com.example.im.checker.history.History;
import com.example.im.embedded.net.FaultProxy;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.Set;

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

    Faults(Cluster cluster, Stage stage, History history, Random random) {
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
                requireRedis(fault);
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
                requireRedis(fault);
                start(fault, "redis", "SIGSTOP for 5 s: connections stay open, nothing is answered");
                Signals.send("STOP", cluster.redisPid());
                try {
                    Thread.sleep(5_000);
                } finally {
                    Signals.send("CONT", cluster.redisPid());
                }
                end(fault, "redis", "SIGCONT");
            }
            case "zk-restart" -> {
                start(fault, "zk", "ZooKeeper stops and starts again after 3 s (its data kept)");
                cluster.zkStop();
                Thread.sleep(3_000);
                cluster.zkStart();
                end(fault, "zk", "serving again");
            }
            case "net" -> {
                Node node = anyNode();
                boolean toRedis = cluster.hasRedis() && random.nextBoolean();
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

    private void requireRedis(String fault) {
        if (!cluster.hasRedis()) {
            throw new IllegalArgumentException(fault + ": this stage uses no Redis");
        }
    }
}
