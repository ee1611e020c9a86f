package com.example.im.registry;

import static org.awaitility.Awaitility.await;

import com.example.im.auth.TestTokens;
import com.example.im.balance.LoadBalancer;
import com.example.im.client.ChatClient;
import com.example.im.client.ClientConfig;
import com.example.im.client.Recorder;
import com.example.im.protocol.Envelope;
import com.example.im.server.ChatServer;
import com.example.im.server.ServerConfig;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.curator.framework.CuratorFramework;

/**
 * Real nodes registered in a test's ZooKeeper, and clients that find them through it. Closes all it made. Public so
 * that the shutdown tests build their Redis-backed cluster on it.
 */
public final class Cluster implements AutoCloseable {

    /** Short refresh so that tests see connection counts quickly; production default is 5 s. */
    static final long REFRESH_MS = 100;

    private final String zk;
    private final ServerConfig config;
    final List<ChatServer> nodes = new ArrayList<>();
    private final List<AutoCloseable> others = new ArrayList<>();

    Cluster(String zk) {
        this(zk, ServerConfig.forTests().withZooKeeper(zk, REFRESH_MS));
    }

    /** Nodes started with {@code config}, which must register in {@code zk}. */
    public Cluster(String zk, ServerConfig config) {
        this.zk = zk;
        this.config = config;
    }

    public ChatServer startNode() throws InterruptedException {
        ChatServer node = ChatServer.start(config);
        nodes.add(node);
        return node;
    }

    /** Closed with the cluster (before its nodes, in reverse order of tracking); returns {@code resource}. */
    public <T extends AutoCloseable> T track(T resource) {
        others.add(resource);
        return resource;
    }

    /** A Curator client of the test's own, to look at ZooKeeper from outside. */
    CuratorFramework observer() {
        return track(Registry.curator(zk, 10_000));
    }

    /** A directory that has seen {@code expected} nodes. */
    NodeDirectory directory(int expected) throws InterruptedException {
        NodeDirectory directory = track(new NodeDirectory(Registry.curator(zk, 10_000)));
        directory.awaitInitialized(10, TimeUnit.SECONDS);
        await().until(() -> directory.nodes().size() == expected);
        return directory;
    }

    /** A client that finds its node through ZooKeeper with {@code balancer}, logs in as {@code uid}, waits for it. */
    ChatClient client(NodeDirectory directory, LoadBalancer balancer, String uid, Recorder recorder)
            throws InterruptedException {
        ClientConfig config = TestTokens.client("127.0.0.1", 0).withBackoff(20, 200);
        ChatClient client = track(ChatClient.connect(config, new ZkNodeLocator(directory, balancer), uid, recorder));
        await().until(() -> recorder.count(Envelope.BodyCase.LOGIN_ACK) >= 1);
        return client;
    }

    /** The node whose SessionMap holds {@code uid}, or null. */
    public ChatServer nodeOf(String uid) {
        return nodes.stream().filter(n -> n.sessions().find(uid) != null).findFirst().orElse(null);
    }

    @Override
    public void close() throws Exception {
        for (int i = others.size() - 1; i >= 0; i--) {
            others.get(i).close();
        }
        nodes.forEach(ChatServer::close);
    }
}
