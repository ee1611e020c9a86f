package com.example.im.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.example.im.balance.RoundRobinBalancer;
import com.example.im.client.ChatClient;
import com.example.im.client.ClientConfig;
import com.example.im.client.Recorder;
import com.example.im.protocol.ChatMessage;
import com.example.im.protocol.Envelope;
import com.example.im.protocol.ErrorCode;
import com.example.im.registry.NodeDirectory;
import com.example.im.registry.NodeInfo;
import com.example.im.registry.Registry;
import com.example.im.registry.ZkNodeLocator;
import com.example.im.testkit.RawSocketClient;
import com.example.im.testkit.StageCluster;
import com.example.im.testkit.StageNode;
import com.example.im.testkit.ZooKeeperExtension;
import com.example.im.testkit.scenario.ChatDriver;
import com.example.im.testkit.scenario.GroupChatScenarios;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.curator.framework.CuratorFramework;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The packaged jar as its users run it — fresh JVMs from {@code java -jar target/stage4-zk-cluster.jar}, registered
 * in a real ZooKeeper — tested only from outside over the network. Where the nodes run follows {@code -Dim.infra}
 * (testkit's {@link StageCluster}: forked processes, or containers on one network with the ZooKeeper container).
 * <ul>
 *   <li>{@link Scenarios}, {@link BadInput}: one node, users all on it: the shared scenarios and the bad-input cases;
 *   <li>{@link Cluster}: two nodes register the address clients dial; a client fails over when its node is stopped
 *       ({@code docker stop}: SIGTERM, the znode goes at once) or killed (SIGKILL: the znode stays until the node's
 *       ZooKeeper session expires). Users on different nodes cannot chat yet (OFFLINE), which stage 5 fixes.
 * </ul>
 */
class StageJarIT {

    // Ordered: the nodes stop before their ZooKeeper (without it, a node's graceful stop waits for it in vain).
    @RegisterExtension
    @Order(1)
    static final ZooKeeperExtension zk = new ZooKeeperExtension();

    @RegisterExtension
    @Order(2)
    static final StageCluster oneNode = new StageCluster(zk, null);

    private static StageNode server;

    @BeforeAll
    static void startNode() {
        server = oneNode.startNode("scenarios");
    }

    @Nested
    class Scenarios extends GroupChatScenarios {

        @Override
        protected ChatDriver driver() {
            return new ProtobufChatDriver(server.address(), ServerConfig.DEFAULT_MAX_FRAME);
        }
    }

    @Nested
    class BadInput extends BadInputCases {

        @Override
        protected InetSocketAddress address() {
            return server.address();
        }

        /** From outside, a session is gone once a message to its uid is refused as offline. */
        @Override
        protected void assertSessionGone(String uid) {
            try (RawSocketClient prober = RawSocketClient.connect(server.address())) {
                WireFrames.write(prober, WireFrames.login("prober-" + uid));
                assertThat(WireFrames.read(prober).getLoginAck().getUid()).isEqualTo("prober-" + uid);
                await().until(() -> {
                    WireFrames.write(prober, Envelope.newBuilder()
                            .setChat(ChatMessage.newBuilder().setToUid(uid).setContent("still there?")).build());
                    Envelope reply = WireFrames.read(prober);
                    return reply.hasError() && reply.getError().getCode() == ErrorCode.OFFLINE;
                });
            }
        }
    }

    /** Two nodes in a ZooKeeper of each test's own, and clients that find them through it, as ChatConsole does. */
    @Nested
    class Cluster {

        /** Short, so that a killed node's znode goes within the test's bound (ZooKeeper may raise it to 2 ticks). */
        static final String SESSION_TIMEOUT_MS = "4000";

        @RegisterExtension
        @Order(1)
        final ZooKeeperExtension clusterZk = new ZooKeeperExtension();

        @RegisterExtension
        @Order(2)
        final StageCluster nodes = new StageCluster(clusterZk, null);

        private final List<AutoCloseable> closeables = new ArrayList<>();
        private CuratorFramework observer;
        private NodeDirectory directory;
        private StageNode node1;
        private StageNode node2;

        @BeforeEach
        void startTwoNodes() throws InterruptedException {
            node1 = nodes.startNode("node-1", "--zk-session-timeout-ms", SESSION_TIMEOUT_MS);
            node2 = nodes.startNode("node-2", "--zk-session-timeout-ms", SESSION_TIMEOUT_MS);
            observer = Registry.curator(clusterZk.connectString(), 10_000);
            closeables.add(observer);
            directory = new NodeDirectory(Registry.curator(clusterZk.connectString(), 10_000));
            closeables.add(directory);
            assertThat(directory.awaitInitialized(10, TimeUnit.SECONDS)).isTrue();
            await().atMost(Duration.ofSeconds(20)).until(() -> directory.nodes().size() == 2);
        }

        @AfterEach
        void close() throws Exception {
            for (int i = closeables.size() - 1; i >= 0; i--) {
                closeables.get(i).close();
            }
        }

        private boolean registered(StageNode node) throws Exception {
            return observer.checkExists().forPath(Registry.nodePath(node.nodeId())) != null;
        }

        /** A client that finds a node through ZooKeeper (round robin from {@code start}) and logs in as uid. */
        private ChatClient client(String uid, int start, Recorder recorder) throws InterruptedException {
            ClientConfig config = ClientConfig.of("127.0.0.1", 0).withBackoff(20, 200);
            ChatClient client = ChatClient.connect(config,
                    new ZkNodeLocator(directory, new RoundRobinBalancer(start)), uid, recorder);
            closeables.add(client);
            await().atMost(Duration.ofSeconds(10)).until(() -> recorder.count(Envelope.BodyCase.LOGIN_ACK) >= 1);
            return client;
        }

        private static boolean isAt(ChatClient client, StageNode node) {
            InetSocketAddress at = client.address();
            return at != null && at.getPort() == node.address().getPort()
                    && at.getHostString().equals(node.address().getHostString());
        }

        @Test
        void bothNodesRegisterTheAddressClientsDialAndUsersOnDifferentNodesCannotChatYet() throws Exception {
            for (StageNode node : List.of(node1, node2)) {
                NodeInfo info = NodeInfo.fromJson(observer.getData().forPath(Registry.nodePath(node.nodeId())));
                // In a container the node binds 0.0.0.0:7001; what it registers must be what the test dials.
                assertThat(info.host()).as(node.description()).isEqualTo(node.address().getHostString());
                assertThat(info.port()).as(node.description()).isEqualTo(node.address().getPort());
            }
            assertThat(directory.nodes()).extracting(NodeInfo::nodeId).containsExactlyInAnyOrder("node-1", "node-2");

            Recorder alice = new Recorder();
            Recorder bob = new Recorder();
            ChatClient aliceClient = client("alice", 0, alice);
            ChatClient bobClient = client("bob", 1, bob);
            assertThat(List.of(aliceClient, bobClient)).as("round robin put them on different nodes")
                    .anyMatch(c -> isAt(c, node1)).anyMatch(c -> isAt(c, node2));
            aliceClient.send("alice", "note to self");
            await().until(() -> alice.received("note to self"));
            aliceClient.send("bob", "hi bob");
            await().until(() -> alice.frames.stream().anyMatch(f -> f.hasError()
                    && f.getError().getCode() == ErrorCode.OFFLINE));
            assertThat(bob.received("hi bob")).as("stage 4 does not forward between nodes").isFalse();
        }

        @Test
        void aStoppedNodeLeavesZooKeeperAtOnceAndItsClientLogsInOnTheOther() throws Exception {
            Recorder recorder = new Recorder();
            ChatClient client = client("carol", 0, recorder);
            StageNode home = isAt(client, node1) ? node1 : node2;
            StageNode other = home == node1 ? node2 : node1;

            home.stop(); // SIGTERM: the shutdown hook deletes the znode, closes the session, then the JVM exits
            assertThat(registered(home)).as("znode of a node stopped gracefully").isFalse();
            assertThat(registered(other)).isTrue();

            await().atMost(Duration.ofSeconds(10)).until(() -> isAt(client, other)
                    && recorder.count(Envelope.BodyCase.LOGIN_ACK) == 2);
            client.send("carol", "moved");
            await().until(() -> recorder.received("moved"));
        }

        @Test
        void aKilledNodeStaysListedUntilItsSessionExpiresAndItsClientLogsInOnTheOther() throws Exception {
            Recorder recorder = new Recorder();
            ChatClient client = client("dave", 0, recorder);
            StageNode home = isAt(client, node1) ? node1 : node2;
            StageNode other = home == node1 ? node2 : node1;

            long killed = System.nanoTime();
            home.kill(); // SIGKILL: nothing runs; ZooKeeper learns of it only when the session times out
            assertThat(registered(home)).as("znode of a crashed node, before its session timeout").isTrue();

            // The client does not wait for ZooKeeper: the locator skips the address it just lost.
            await().atMost(Duration.ofSeconds(10)).until(() -> isAt(client, other)
                    && recorder.count(Envelope.BodyCase.LOGIN_ACK) == 2);
            await().atMost(Duration.ofSeconds(30)).until(() -> !registered(home));
            long listedMillis = (System.nanoTime() - killed) / 1_000_000;
            System.out.printf("a killed node stayed listed for %d ms (session timeout %s ms)%n", listedMillis,
                    SESSION_TIMEOUT_MS);
            assertThat(registered(other)).isTrue();
            client.send("dave", "moved");
            await().until(() -> recorder.received("moved"));
        }
    }
}
