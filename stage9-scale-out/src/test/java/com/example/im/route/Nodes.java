package com.example.im.route;

import static org.awaitility.Awaitility.await;

import com.example.im.auth.TestTokens;
import com.example.im.client.ChatClient;
import com.example.im.client.ClientConfig;
import com.example.im.client.NodeLocator;
import com.example.im.client.Recorder;
import com.example.im.protocol.Envelope;
import com.example.im.server.ChatServer;
import com.example.im.server.ServerConfig;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import redis.clients.jedis.RedisClient;

/** Nodes sharing one test Redis (no ZooKeeper: clients are pointed at a node), and clients on them. */
final class Nodes implements AutoCloseable {

    /** A logged-in client and everything it received. */
    record User(String uid, ChatClient client, Recorder seen) {

        void send(String to, String text) {
            client.send(to, text);
        }

        boolean received(String text) {
            return seen.received(text);
        }

        long copiesOf(String text) {
            return seen.frames.stream().filter(f -> f.hasChat() && f.getChat().getContent().equals(text)).count();
        }

        /** The replies (acks and errors) received so far, in order. */
        List<Envelope> replies() {
            return seen.frames.stream().filter(f -> f.hasSendAck() || f.hasError()).toList();
        }
    }

    private final String redisUri;
    private final long sessionTtlMillis;
    final List<ChatServer> started = new ArrayList<>();
    private final List<AutoCloseable> others = new ArrayList<>();

    Nodes(String redisUri, long sessionTtlMillis) {
        this.redisUri = redisUri;
        this.sessionTtlMillis = sessionTtlMillis;
    }

    /** The configuration the nodes start with (a test may adjust it and pass it to {@link #start(ServerConfig)}). */
    ServerConfig config() {
        return ServerConfig.forTests().withRedis(redisUri, sessionTtlMillis, 30_000);
    }

    ChatServer start() throws InterruptedException {
        return start(config());
    }

    ChatServer start(String nodeId) throws InterruptedException {
        return start(config().withNodeId(nodeId));
    }

    ChatServer start(ServerConfig config) throws InterruptedException {
        ChatServer node = ChatServer.start(config);
        started.add(node);
        return node;
    }

    /** A client on {@code node}, logged in as {@code uid} (no reconnect: tests decide where users go). */
    User login(ChatServer node, String uid) throws InterruptedException {
        Recorder seen = new Recorder();
        return login(node, uid, seen, seen);
    }

    /** The same, with {@code listener} in front of the recorder (a client that does something slow, say). */
    User login(ChatServer node, String uid, Recorder seen, ChatClient.Listener listener) throws InterruptedException {
        ClientConfig config = TestTokens.client("127.0.0.1", node.localAddress().getPort()).withReconnect(false);
        ChatClient client = ChatClient.connect(config,
                NodeLocator.fixed("127.0.0.1", node.localAddress().getPort()), uid, listener);
        others.add(client);
        // Polled often: a test that logs in a hundred users must not spend a default poll interval on each.
        await().pollInterval(Duration.ofMillis(10)).until(() -> seen.count(Envelope.BodyCase.LOGIN_ACK) == 1);
        return new User(uid, client, seen);
    }

    /** A plain Redis client of the test's own, to look at the keys. */
    RedisClient redis() {
        RedisClient client = RedisClient.create(java.net.URI.create(redisUri));
        others.add(client);
        return client;
    }

    @Override
    public void close() throws Exception {
        for (int i = others.size() - 1; i >= 0; i--) {
            others.get(i).close();
        }
        started.forEach(node -> {
            try {
                node.close();
            } catch (RuntimeException e) {
                // a halted node is already stopped
            }
        });
    }
}
