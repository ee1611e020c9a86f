package com.example.im.shutdown;

import static org.awaitility.Awaitility.await;

import com.example.im.balance.LoadBalancer;
import com.example.im.balance.RoundRobinBalancer;
import com.example.im.client.ChatClient;
import com.example.im.client.ClientConfig;
import com.example.im.client.NodeLocator;
import com.example.im.client.Recorder;
import com.example.im.protocol.Envelope;
import com.example.im.registry.Cluster;
import com.example.im.registry.NodeDirectory;
import com.example.im.registry.NodeInfo;
import com.example.im.registry.Registry;
import com.example.im.registry.ZkNodeLocator;
import com.example.im.server.ChatServer;
import com.example.im.server.ServerConfig;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import redis.clients.jedis.RedisClient;

/**
 * A full cluster for stage-6 tests: nodes in ZooKeeper and Redis (short timings), clients that find them through
 * ZooKeeper. Nodes and clean-up are stage 4's {@link Cluster}; this adds Redis and the users' view.
 */
final class Cluster6 implements AutoCloseable {

    /** Short timings so that tests see expiries quickly; the logic is the production one. */
    static final int ZK_SESSION_MS = 2_000;
    static final long SESSION_TTL_MS = 3_000;

    final String zk;
    final String redis;
    private final Cluster cluster;
    NodeDirectory directory;

    private final long undeliverableMillis;

    Cluster6(String zk, String redis) {
        this(zk, redis, 30_000);
    }

    /** Nodes that give a message up after {@code undeliverableMillis} (a test that must see a give-up shortens it). */
    Cluster6(String zk, String redis, long undeliverableMillis) {
        this.zk = zk;
        this.redis = redis;
        this.undeliverableMillis = undeliverableMillis;
        this.cluster = new Cluster(zk, config());
    }

    ServerConfig config() {
        return ServerConfig.forTests().withZooKeeper(zk, 200).withRedis(redis, SESSION_TTL_MS, undeliverableMillis)
                .withZkSessionTimeout(ZK_SESSION_MS);
    }

    ChatServer startNode() throws InterruptedException {
        return cluster.startNode();
    }

    /** A node with the id {@code nodeId} instead of its address (closed with the cluster). */
    ChatServer startNode(String nodeId) throws InterruptedException {
        return cluster.track(ChatServer.start(config().withNodeId(nodeId)));
    }

    NodeDirectory directory() throws InterruptedException {
        if (directory == null) {
            directory = cluster.track(new NodeDirectory(Registry.curator(zk, 10_000)));
            directory.awaitInitialized(10, TimeUnit.SECONDS);
        }
        return directory;
    }

    void awaitNodes(int count) throws InterruptedException {
        NodeDirectory d = directory();
        await().until(() -> d.nodes().size() == count);
    }

    /**
     * Waits until the directory lists exactly {@code nodeIds}: a count alone can be met by a node an earlier test
     * killed, whose ZooKeeper session has not expired yet.
     */
    void awaitListed(String... nodeIds) throws InterruptedException {
        NodeDirectory d = directory();
        await().atMost(java.time.Duration.ofSeconds(30)).until(() -> d.nodes().stream().map(NodeInfo::nodeId)
                .collect(java.util.stream.Collectors.toSet()).equals(Set.of(nodeIds)));
    }

    /** Prefers node {@code first} while it is listed, otherwise round-robin: puts a user where a test wants it. */
    static LoadBalancer preferring(String first) {
        RoundRobinBalancer others = new RoundRobinBalancer(0);
        return new LoadBalancer() {
            @Override
            public NodeInfo choose(String uid, List<NodeInfo> nodes) {
                return nodes.stream().filter(n -> n.nodeId().equals(first)).findFirst()
                        .orElseGet(() -> others.choose(uid, nodes));
            }

            @Override
            public String name() {
                return "preferring " + first;
            }
        };
    }

    /** A reconnecting client found through ZooKeeper, logged in as {@code uid}. */
    User login(String uid, LoadBalancer balancer) throws InterruptedException {
        Recorder seen = new Recorder();
        ClientConfig config = ClientConfig.of("127.0.0.1", 0).withBackoff(50, 500);
        ChatClient client = cluster.track(ChatClient.connect(config, new ZkNodeLocator(directory(), balancer), uid,
                seen));
        await().until(() -> seen.count(Envelope.BodyCase.LOGIN_ACK) >= 1);
        return new User(uid, client, seen);
    }

    /** A client found through {@code locator} with its own settings (slow reconnects ...), logged in as {@code uid}. */
    User login(String uid, NodeLocator locator, ClientConfig config) throws InterruptedException {
        Recorder seen = new Recorder();
        ChatClient client = cluster.track(ChatClient.connect(config, locator, uid, seen));
        await().until(() -> seen.count(Envelope.BodyCase.LOGIN_ACK) >= 1);
        return new User(uid, client, seen);
    }

    record User(String uid, ChatClient client, Recorder seen) {

        long logins() {
            return seen.count(Envelope.BodyCase.LOGIN_ACK);
        }

        /** Distinct message texts received. */
        Set<String> texts() {
            return Set.copyOf(seen.frames.stream().filter(Envelope::hasChat)
                    .map(f -> f.getChat().getContent()).toList());
        }
    }

    RedisClient inspect() {
        return cluster.track(RedisClient.create(java.net.URI.create(redis)));
    }

    /** The session values in Redis that name {@code nodeId}. */
    static List<String> sessionsOf(RedisClient inspect, String nodeId) {
        List<String> found = new ArrayList<>();
        for (String key : inspect.keys("im:session:*")) {
            String value = inspect.get(key);
            if (value != null && value.endsWith("@" + nodeId)) {
                found.add(key);
            }
        }
        return found;
    }

    ChatServer nodeOf(String uid) {
        return cluster.nodeOf(uid);
    }

    @Override
    public void close() throws Exception {
        cluster.close();
    }
}
