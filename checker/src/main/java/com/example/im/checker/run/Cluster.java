package com.example.im.checker.run;

import com.example.im.embedded.EmbeddedRedis;
import com.example.im.embedded.EmbeddedRedisCluster;
import com.example.im.embedded.EmbeddedZooKeeper;
import com.example.im.embedded.net.FaultProxy;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The checked cluster: a real ZooKeeper (curator-test, in this JVM) and a real Redis (redis-server, a process), and
 * the stage's nodes as processes of their own, each reaching ZooKeeper and Redis through proxies of its own. With
 * {@code redis = cluster} (stage 9) Redis is a Redis Cluster of {@link #CLUSTER_MASTERS} masters with one replica
 * each, and the nodes reach it directly (a cluster client dials the address every cluster node announces).
 */
final class Cluster implements AutoCloseable {

    static final int CLUSTER_MASTERS = 3;
    static final int CLUSTER_REPLICAS = 1;
    /** cluster-node-timeout: how long a master may be unreachable before its replica takes over. */
    static final int CLUSTER_NODE_TIMEOUT_MS = 2_000;

    private final EmbeddedZooKeeper zk;
    private final int redisPort;
    private EmbeddedRedis redis;
    /** Instead of {@link #redis} when the promise asks for {@code redis = appendonly-always}. */
    private DurableRedis durable;
    /** Instead of both when the promise asks for {@code redis = cluster} (stage 9). */
    private EmbeddedRedisCluster redisCluster;
    private final Path redisDir;
    final List<Node> nodes = new ArrayList<>();

    Cluster(Stage stage, int count, Path dir) throws Exception {
        // Registered before anything starts: a checker stopped by Ctrl-C or a CI timeout while the nodes are still
        // starting must not leave them (nor redis-server, in a session of its own) running.
        Runtime.getRuntime().addShutdownHook(cleanup);
        try {
            zk = EmbeddedZooKeeper.start(-1);
            // The AOF lives in the report directory: one run's, reused by every restart of the run.
            redisDir = dir.resolve("redis-data");
            synchronized (this) {
                if (stage.usesRedis() && stage.redisCluster()) {
                    redisCluster = EmbeddedRedisCluster.start(CLUSTER_MASTERS, CLUSTER_REPLICAS,
                            CLUSTER_NODE_TIMEOUT_MS);
                } else if (stage.usesRedis() && stage.redisAof()) {
                    deleteAof(redisDir);
                    durable = DurableRedis.start(EmbeddedRedis.freePort(), redisDir);
                } else {
                    redis = stage.usesRedis() ? EmbeddedRedis.start() : null;
                }
            }
            redisPort = durable != null ? durable.port() : redis == null ? 0 : redis.port();
            int zkPort = Integer.parseInt(zk.connectString().substring(zk.connectString().lastIndexOf(':') + 1));
            // Every proxy first (each binds port 0), then the nodes' ports: a node port probed before a later
            // proxy's bind could be handed to that proxy by the kernel (the node's port is free until its JVM binds
            // it), and a client of the node would then reach ZooKeeper through the proxy (seen once in CI).
            List<FaultProxy[]> proxies = new ArrayList<>();
            for (int i = 1; i <= count; i++) {
                String id = "n" + i;
                FaultProxy zkProxy = FaultProxy.start(id + "-zk", new InetSocketAddress("127.0.0.1", zkPort));
                // A node of a stage without Redis gets a proxy anyway (to nowhere it will dial), to keep one shape.
                FaultProxy redisProxy = FaultProxy.start(id + "-redis",
                        new InetSocketAddress("127.0.0.1", redisPort == 0 ? 1 : redisPort));
                proxies.add(new FaultProxy[] {zkProxy, redisProxy});
            }
            for (int i = 1; i <= count; i++) {
                String id = "n" + i;
                FaultProxy[] pair = proxies.get(i - 1);
                Node node = new Node(id, EmbeddedRedis.freePort(), stage, pair[0], pair[1],
                        redisCluster == null ? null : redisCluster.uri(), dir.resolve("node-" + id + ".log"));
                synchronized (this) {
                    nodes.add(node);
                }
            }
            for (Node node : List.copyOf(nodes)) {
                node.start();
            }
        } catch (Exception e) {
            close();
            throw e;
        }
    }

    String zkConnect() {
        return zk.connectString();
    }

    synchronized String describe() {
        return "ZooKeeper " + zk.version() + " at " + zk.connectString()
                + (redisCluster != null ? ", " + redisCluster.description()
                : durable != null ? ", " + durable.description() : redis == null ? "" : ", " + redis.description());
    }

    /** Redis as the nodes' proxies reach it, for a test that looks at what the nodes left there. */
    String redisUri() {
        return "redis://127.0.0.1:" + redisPort;
    }

    synchronized boolean hasRedis() {
        return redis != null || durable != null || redisCluster != null;
    }

    /** The Redis Cluster of {@code redis = cluster}, or null when Redis is one server (or none). */
    synchronized EmbeddedRedisCluster redisCluster() {
        return redisCluster;
    }

    /** True when Redis keeps an AOF (fsync always) and a restart reloads it. */
    synchronized boolean redisDurable() {
        return durable != null;
    }

    synchronized long redisPid() {
        return durable != null ? durable.pid() : redis.pid();
    }

    /**
     * Without persistence: Redis stops and comes back empty on the same port, as a failover to an empty replica or a
     * restart without AOF/RDB does. With the AOF: Redis is killed (SIGKILL, a crash) and comes back from its file.
     */
    void redisStop() {
        EmbeddedRedis r;
        DurableRedis d;
        synchronized (this) {
            r = redis;
            d = durable;
        }
        if (d != null) {
            d.kill();
        } else {
            r.close();
        }
    }

    /** Refused once the cluster is closed: a fault still running at Ctrl-C must not start a Redis nobody stops. */
    synchronized void redisStart() {
        if (closed.get()) {
            throw new IllegalStateException("the cluster is closed: Redis is not started again");
        }
        if (durable != null) {
            durable = DurableRedis.start(redisPort, redisDir); // the same directory: it loads the AOF
        } else {
            redis = EmbeddedRedis.startOn(redisPort);
        }
    }

    /** A report directory used before holds an older run's AOF: a new run starts empty. */
    private static void deleteAof(Path dir) throws java.io.IOException {
        if (java.nio.file.Files.isDirectory(dir)) {
            try (var files = java.nio.file.Files.walk(dir)) {
                for (Path p : files.sorted(java.util.Comparator.reverseOrder()).toList()) {
                    java.nio.file.Files.delete(p);
                }
            }
        }
    }

    void zkStop() throws Exception {
        zk.stop();
    }

    void zkStart() throws Exception {
        zk.restart();
    }

    private final java.util.concurrent.atomic.AtomicBoolean closed = new java.util.concurrent.atomic.AtomicBoolean();
    private final Thread cleanup = new Thread(this::close, "checker-cleanup");

    /** Stops everything; a second call (the shutdown hook after a normal end) does nothing. */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        if (Thread.currentThread() != cleanup) {
            try {
                Runtime.getRuntime().removeShutdownHook(cleanup);
            } catch (IllegalStateException shuttingDown) {
                // the hook is running or about to: close() is idempotent
            }
        }
        List<Node> all;
        synchronized (this) {
            all = List.copyOf(nodes);
        }
        for (Node node : all) {
            try {
                node.close();
            } catch (Exception e) {
                System.err.println("checker: stopping node " + node.id + ": " + e);
            }
        }
        EmbeddedRedis r;
        DurableRedis d;
        EmbeddedRedisCluster c;
        synchronized (this) {
            r = redis;
            d = durable;
            c = redisCluster;
        }
        if (c != null) {
            c.close();
        }
        if (r != null) {
            Signals.sendQuietly("CONT", r.pid());
            r.close();
        }
        if (d != null) {
            d.close();
        }
        try {
            if (zk != null) {
                zk.close();
            }
        } catch (Exception e) {
            System.err.println("checker: stopping ZooKeeper: " + e);
        }
    }
}
