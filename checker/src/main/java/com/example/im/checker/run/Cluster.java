package com.example.im.checker.run;

import com.example.im.embedded.EmbeddedRedis;
import com.example.im.embedded.EmbeddedZooKeeper;
import com.example.im.embedded.net.FaultProxy;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The checked cluster: a real ZooKeeper (curator-test, in this JVM) and a real Redis (redis-server, a process), and
 * the stage's nodes as processes of their own, each reaching ZooKeeper and Redis through proxies of its own.
 */
final class Cluster implements AutoCloseable {

    private final EmbeddedZooKeeper zk;
    private final int redisPort;
    private EmbeddedRedis redis;
    final List<Node> nodes = new ArrayList<>();

    Cluster(Stage stage, int count, Path dir) throws Exception {
        // Registered before anything starts: a checker stopped by Ctrl-C or a CI timeout while the nodes are still
        // starting must not leave them (nor redis-server, in a session of its own) running.
        Runtime.getRuntime().addShutdownHook(cleanup);
        try {
            zk = EmbeddedZooKeeper.start(-1);
            synchronized (this) {
                redis = stage.usesRedis() ? EmbeddedRedis.start() : null;
            }
            redisPort = redis == null ? 0 : redis.port();
            int zkPort = Integer.parseInt(zk.connectString().substring(zk.connectString().lastIndexOf(':') + 1));
            for (int i = 1; i <= count; i++) {
                String id = "n" + i;
                FaultProxy zkProxy = FaultProxy.start(id + "-zk", new InetSocketAddress("127.0.0.1", zkPort));
                // A node of a stage without Redis gets a proxy anyway (to nowhere it will dial), to keep one shape.
                FaultProxy redisProxy = FaultProxy.start(id + "-redis",
                        new InetSocketAddress("127.0.0.1", redis == null ? 1 : redisPort));
                Node node = new Node(id, EmbeddedRedis.freePort(), stage, zkProxy, redisProxy,
                        dir.resolve("node-" + id + ".log"));
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

    String describe() {
        return "ZooKeeper " + zk.version() + " at " + zk.connectString()
                + (redis == null ? "" : ", " + redis.description());
    }

    /** Redis as the nodes' proxies reach it, for a test that looks at what the nodes left there. */
    String redisUri() {
        return "redis://127.0.0.1:" + redisPort;
    }

    boolean hasRedis() {
        return redis != null;
    }

    synchronized long redisPid() {
        return redis.pid();
    }

    /** Redis stops and comes back empty on the same port (no persistence): what a failover to an empty replica or a
     *  restart without AOF/RDB does. */
    void redisStop() {
        EmbeddedRedis r;
        synchronized (this) {
            r = redis;
        }
        r.close();
    }

    /** Refused once the cluster is closed: a fault still running at Ctrl-C must not start a Redis nobody stops. */
    synchronized void redisStart() {
        if (closed.get()) {
            throw new IllegalStateException("the cluster is closed: Redis is not started again");
        }
        redis = EmbeddedRedis.startOn(redisPort);
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
        synchronized (this) {
            r = redis;
        }
        if (r != null) {
            Signals.sendQuietly("CONT", r.pid());
            r.close();
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
