package com.example.im.testkit;

import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Nodes of a cluster stage (4 onward), each the stage's packaged jar run as a black box as {@link StageJar} runs one,
 * registered in the test's ZooKeeper (and using its Redis, from stage 5):
 *
 * <pre>{@code
 * @RegisterExtension
 * static final ZooKeeperExtension zk = new ZooKeeperExtension();
 * @RegisterExtension
 * final StageCluster cluster = new StageCluster(zk, null);
 * ... StageNode node = cluster.startNode("node-1", "--zk-session-timeout-ms", "2000"); node.kill(); ...
 * }</pre>
 *
 * <p>Each node runs with {@code --node-id <id> --zk <ZooKeeper> [--redis <Redis>]} and the test's extra flags. The
 * backend follows {@code -Dim.infra} (see {@link Infra}):
 * <ul>
 *   <li>{@code local}: forked {@code java -jar} processes on 127.0.0.1 and free ports, dialing the fixtures'
 *       addresses;
 *   <li>{@code containers}: containers of {@link Infra#JRE_IMAGE} on one network with the ZooKeeper and Redis
 *       containers, which they reach by network alias. Inside, a node binds 0.0.0.0:7001; it is published on a free
 *       port of 127.0.0.1 chosen before it starts, and registers that ({@code --advertise-host 127.0.0.1
 *       --advertise-port <port>}): neither its own loopback nor 0.0.0.0 would reach it from the test's clients.
 * </ul>
 *
 * <p>A field registration stops the nodes after each test, a static one after the class; each as {@code docker stop}
 * would (SIGTERM, then SIGKILL after {@link StageJar#STOP_TIMEOUT_SECONDS}).
 */
public final class StageCluster extends ServerExtension {

    private static final Logger log = LoggerFactory.getLogger(StageCluster.class);

    private final ZooKeeperExtension zk;
    private final RedisExtension redis;
    private final String mainClass;
    private final List<Node> nodes = new ArrayList<>();

    /** Nodes registered in {@code zk}, using {@code redis} (null: the stage has no Redis, as stage 4). */
    public StageCluster(ZooKeeperExtension zk, RedisExtension redis) {
        this(zk, redis, null);
    }

    /**
     * As above, each node run as {@code java -cp <jar> <mainClass>}: for a stage whose jar's Main-Class is not the
     * node (stage 6's starts a demo of two nodes).
     */
    public StageCluster(ZooKeeperExtension zk, RedisExtension redis, String mainClass) {
        this.zk = zk;
        this.redis = redis;
        this.mainClass = mainClass;
    }

    /** Starts a node and returns once it accepts connections (its registration may follow a moment later). */
    public synchronized StageNode startNode(String nodeId, String... extraArgs) {
        Path jar = StageJar.jarFromProperty();
        List<String> args = new ArrayList<>(List.of("--node-id", nodeId, "--zk", zk.nodeConnectString()));
        if (redis != null) {
            args.addAll(List.of("--redis", redis.nodeUri()));
        }
        StageJar.Handle handle;
        if (Infra.backend() == Infra.Backend.CONTAINERS) {
            int hostPort = FreePorts.next();
            args.addAll(List.of("--advertise-host", "127.0.0.1", "--advertise-port", Integer.toString(hostPort)));
            args.addAll(Arrays.asList(extraArgs));
            handle = ContainerStageJar.start(jar, mainClass, args, hostPort);
        } else {
            args.addAll(Arrays.asList(extraArgs));
            handle = LocalStageJar.start(jar, mainClass, args);
        }
        Node node = new Node(nodeId, handle);
        nodes.add(node);
        log.info("cluster node {} at {}:{}", nodeId, handle.host(), handle.port());
        return node;
    }

    @Override
    protected void start() {
        // Nodes start when the test asks for them.
    }

    @Override
    protected synchronized void stop() {
        RuntimeException failure = null;
        for (Node node : nodes) {
            try {
                node.stop();
            } catch (RuntimeException e) {
                failure = failure == null ? e : failure;
            }
        }
        nodes.clear();
        if (failure != null) {
            throw failure;
        }
    }

    private static final class Node implements StageNode {
        private final String nodeId;
        private final StageJar.Handle handle;
        private boolean gone;

        Node(String nodeId, StageJar.Handle handle) {
            this.nodeId = nodeId;
            this.handle = handle;
        }

        @Override
        public String nodeId() {
            return nodeId;
        }

        @Override
        public InetSocketAddress address() {
            return new InetSocketAddress(handle.host(), handle.port());
        }

        @Override
        public synchronized void stop() {
            if (!gone) {
                gone = true;
                handle.close();
            }
        }

        @Override
        public synchronized void kill() {
            if (!gone) {
                gone = true;
                handle.kill();
            }
        }

        @Override
        public String description() {
            return handle.description();
        }

        @Override
        public String toString() {
            return nodeId + " (" + handle.description() + ")";
        }
    }
}
