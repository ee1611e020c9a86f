package com.example.im.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.example.im.auth.TestTokens;
import com.example.im.balance.RoundRobinBalancer;
import com.example.im.client.ChatClient;
import com.example.im.client.NodeLocator;
import com.example.im.client.Recorder;
import com.example.im.client.Shown;
import com.example.im.protocol.Envelope;
import com.example.im.server.ChatServer;
import com.example.im.server.ServerConfig;
import com.example.im.testkit.RedisExtension;
import com.example.im.testkit.ZooKeeperExtension;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * ZooKeeper itself loses a server: a 3-server ensemble keeps a quorum, so nodes and clients carry on
 * (docs/09-scale-out.md, "The ZooKeeper ensemble").
 */
class ZooKeeperEnsembleFailoverTest {

    @RegisterExtension
    final ZooKeeperExtension ensemble = ZooKeeperExtension.ensemble(3);

    @RegisterExtension
    final RedisExtension redis = new RedisExtension();

    @Test
    void nodesAndClientsKeepWorkingWhenOneZooKeeperServerIsDown() throws Exception {
        try (Cluster cluster = new Cluster(ensemble.connectString())) {
            cluster.startNode();
            cluster.startNode();
            NodeDirectory directory = cluster.directory(2);

            ensemble.stopServer(0);

            // A new client still finds a node and chats.
            Recorder recorder = new Recorder();
            ChatClient alice = cluster.client(directory, new RoundRobinBalancer(0), "alice", recorder);
            alice.send("alice", "quorum holds");
            await().until(() -> recorder.received("quorum holds"));

            // A new node still registers, and the directory still follows changes.
            ChatServer third = cluster.startNode();
            await().atMost(Duration.ofSeconds(20)).until(() -> directory.nodes().size() == 3);
            third.close();
            cluster.nodes.remove(third);
            await().atMost(Duration.ofSeconds(20)).until(() -> directory.nodes().size() == 2);

            ensemble.restartServer(0);
            assertThat(directory.nodes()).hasSize(2);
        }
    }

    /**
     * The ensemble's leader is killed while two users on two nodes chat without pause (through Redis, reliable
     * delivery). The ensemble elects another leader; meanwhile every write waits, and every client of the dead
     * server moves to another one — within the session timeout, so no node loses its session: no znode vanishes,
     * so no node takes another's inbox over, and new clients find both nodes. Every acknowledged message is shown
     * once, in order.
     */
    @Test
    void messagesKeepFlowingAndNodesStayRegisteredWhenTheLeaderIsKilledUnderTraffic() throws Exception {
        ServerConfig config = ServerConfig.forTests().withZooKeeper(ensemble.connectString(), Cluster.REFRESH_MS)
                .withRedis(redis.uri(), 30_000, 30_000);
        try (Cluster cluster = new Cluster(ensemble.connectString(), config)) {
            ChatServer a = cluster.startNode();
            ChatServer b = cluster.startNode();
            NodeDirectory before = cluster.directory(2);
            long sessionA = sessionId(a);
            long sessionB = sessionId(b);
            Recorder aliceSeen = new Recorder();
            Recorder bobSeen = new Recorder();
            ChatClient alice = cluster.track(ChatClient.connect(
                    TestTokens.client("127.0.0.1", a.localAddress().getPort()).withBackoff(20, 200),
                    NodeLocator.fixed("127.0.0.1", a.localAddress().getPort()), "alice", aliceSeen));
            ChatClient bob = cluster.track(ChatClient.connect(
                    TestTokens.client("127.0.0.1", b.localAddress().getPort()).withBackoff(20, 200),
                    NodeLocator.fixed("127.0.0.1", b.localAddress().getPort()), "bob", bobSeen));
            await().until(() -> aliceSeen.count(Envelope.BodyCase.LOGIN_ACK) == 1
                    && bobSeen.count(Envelope.BodyCase.LOGIN_ACK) == 1);

            List<String> toBob = new CopyOnWriteArrayList<>();
            List<String> toAlice = new CopyOnWriteArrayList<>();
            AtomicBoolean sending = new AtomicBoolean(true);
            Thread traffic = new Thread(() -> {
                for (int i = 0; sending.get(); i++) {
                    if (alice.send("bob", "a" + i)) {
                        toBob.add("a" + i);
                    }
                    if (bob.send("alice", "b" + i)) {
                        toAlice.add("b" + i);
                    }
                    LockSupport.parkNanos(5_000_000); // pacing, not a wait for an event
                }
            }, "alice-and-bob");
            traffic.start();
            try {
                await().atMost(Duration.ofSeconds(20)).until(() -> Shown.of(bobSeen).size() >= 20);

                int leader = leaderIndex();
                ensemble.stopServer(leader);
                int shownAtKill = Shown.of(bobSeen).size();

                // Traffic goes on across the election; then a fresh client (a new ZooKeeper session, made after
                // the kill) still finds both nodes, and logs in on whichever it is given.
                await().atMost(Duration.ofSeconds(30)).until(() -> Shown.of(bobSeen).size() >= shownAtKill + 100
                        && Shown.of(aliceSeen).size() >= shownAtKill + 100);
                NodeDirectory after = cluster.track(new NodeDirectory(Registry.curator(ensemble.connectString(),
                        10_000)));
                assertThat(after.awaitInitialized(20, TimeUnit.SECONDS)).as("a new client reads the node list")
                        .isTrue();
                await().atMost(Duration.ofSeconds(20)).until(() -> after.nodes().size() == 2);
                Recorder carolSeen = new Recorder();
                ChatClient carol = cluster.client(after, new RoundRobinBalancer(0), "carol", carolSeen);
                carol.send("bob", "carol after the election");
                await().atMost(Duration.ofSeconds(20)).until(() -> bobSeen.received("carol after the election"));
            } finally {
                sending.set(false);
                traffic.join(10_000);
            }
            assertThat(traffic.isAlive()).isFalse();

            await().atMost(Duration.ofSeconds(30)).until(() -> alice.unacknowledged() == 0
                    && bob.unacknowledged() == 0);
            await().atMost(Duration.ofSeconds(30)).until(() -> Shown.of(bobSeen).stream()
                    .filter(m -> m.getFromUid().equals("alice")).count() >= toBob.size()
                    && Shown.of(aliceSeen).size() >= toAlice.size());
            assertThat(aliceSeen.frames).as("no send was refused").noneMatch(Envelope::hasError);
            assertThat(bobSeen.frames).as("no send was refused").noneMatch(Envelope::hasError);
            // Bob's mailbox also holds carol's message: alice's in order, and no hole in all he was shown.
            assertThat(Shown.of(bobSeen).stream().filter(m -> m.getFromUid().equals("alice"))
                    .map(m -> m.getContent()).toList()).as("what bob was shown from alice")
                    .containsExactlyElementsOf(toBob);
            Shown.assertConsecutive("bob", Shown.of(bobSeen));
            Shown.assertExactlyOnceInOrder("alice", Shown.of(aliceSeen), toAlice);

            // No ZooKeeper session was lost: the same sessions own the same znodes, and nobody saw a node leave.
            assertThat(sessionId(a)).as("node a's ZooKeeper session").isEqualTo(sessionA);
            assertThat(sessionId(b)).as("node b's ZooKeeper session").isEqualTo(sessionB);
            assertThat(before.nodes()).hasSize(2);
            for (ChatServer node : List.of(a, b)) {
                assertThat(node.registration().curator().checkExists().forPath(node.registration().path())
                        .getEphemeralOwner()).as("owner of %s", node.nodeId()).isEqualTo(sessionId(node));
                assertThat(node.metrics().events()).as("%s saw no node leave", node.nodeId())
                        .noneMatch(e -> e.type().equals("left") || e.type().equals("takeover"));
            }
        }
    }

    private static long sessionId(ChatServer node) throws Exception {
        return node.registration().curator().getZookeeperClient().getZooKeeper().getSessionId();
    }

    /**
     * Which server of the ensemble leads now: the {@code srvr} four-letter command (allowed by ZooKeeper's default
     * whitelist) says "Mode: leader". Servers are numbered as in the connect string, as
     * {@link ZooKeeperExtension#stopServer} numbers them.
     */
    private int leaderIndex() {
        String[] servers = ensemble.connectString().split(",");
        assertThat(servers).hasSize(ensemble.size());
        int[] found = {-1};
        await().atMost(Duration.ofSeconds(20)).until(() -> {
            found[0] = IntStream.range(0, servers.length).filter(i -> "leader".equals(mode(servers[i])))
                    .findFirst().orElse(-1);
            return found[0] >= 0;
        });
        return found[0];
    }

    private static String mode(String hostPort) {
        int colon = hostPort.lastIndexOf(':');
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress(hostPort.substring(0, colon),
                    Integer.parseInt(hostPort.substring(colon + 1))), 2_000);
            socket.setSoTimeout(2_000);
            OutputStream out = socket.getOutputStream();
            out.write("srvr".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = socket.getInputStream();
            String reply = new String(in.readAllBytes(), StandardCharsets.US_ASCII);
            return reply.lines().filter(l -> l.startsWith("Mode: ")).map(l -> l.substring(6).trim()).findFirst()
                    .orElse("?");
        } catch (IOException e) {
            return "down";
        }
    }
}
