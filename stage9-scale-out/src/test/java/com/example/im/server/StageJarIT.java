package com.example.im.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.example.im.auth.TestTokens;
import com.example.im.balance.LoadBalancer;
import com.example.im.balance.RoundRobinBalancer;
import com.example.im.client.ChatClient;
import com.example.im.client.ClientConfig;
import com.example.im.client.Recorder;
import com.example.im.protocol.ChatMessage;
import com.example.im.protocol.Envelope;
import com.example.im.registry.NodeDirectory;
import com.example.im.registry.NodeInfo;
import com.example.im.registry.Registry;
import com.example.im.registry.ZkNodeLocator;
import com.example.im.testkit.RawSocketClient;
import com.example.im.testkit.RedisExtension;
import com.example.im.testkit.StageCluster;
import com.example.im.testkit.StageNode;
import com.example.im.testkit.ZooKeeperExtension;
import com.example.im.testkit.scenario.ChatDriver;
import com.example.im.testkit.scenario.GroupChatScenarios;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.apache.curator.framework.CuratorFramework;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The packaged jar as its users run it — fresh JVMs from {@code java -cp target/stage9-scale-out.jar
 * com.example.im.server.ChatServer}, registered in a real ZooKeeper and sharing a real Redis — tested only from
 * outside over the network. Where the
 * nodes run follows {@code -Dim.infra} (testkit's {@link StageCluster}: forked processes, or containers on one
 * network with the ZooKeeper and Redis containers).
 * <ul>
 *   <li>{@link Scenarios}, {@link BadInput}: two nodes, the scenarios' users spread over both (every "alice to bob"
 *       crosses nodes through Redis), and the bad-input cases;
 *   <li>{@link Cluster}: a conversation and a group across nodes; a node stopped ({@code docker stop}: SIGTERM)
 *       while messages for its user are coming in: the graceful shutdown tells the user to go (GO_AWAY), the node
 *       leaves ZooKeeper, and every message arrives on the user's new node, none refused; a node killed (SIGKILL):
 *       the survivor takes its inbox over and the messages queued there for its user arrive (the shape of
 *       {@code ForkedNodeTest}, with every node a black box).
 * </ul>
 */
class StageJarIT {

    /** The jar's Main-Class starts a demo of two nodes (ClusterDemo); a node is this class, as the checker runs it. */
    static final String NODE = "com.example.im.server.ChatServer";

    /** The checker's flags for this stage (checker.promise): short timeouts, so failover fits the tests' bounds. */
    static final String[] FLAGS = {"--zk-session-timeout-ms", "4000", "--session-ttl-ms", "6000",
        "--load-refresh-ms", "500", "--undeliverable-ms", "10000", "--shutdown-timeout-ms", "8000",
        "--http-port", "0", "--auth-key", TestTokens.KEY_BASE64};

    // Ordered: the nodes stop before their ZooKeeper and Redis (a node's graceful stop needs them).
    @RegisterExtension
    @Order(1)
    static final ZooKeeperExtension zk = new ZooKeeperExtension();

    @RegisterExtension
    @Order(2)
    static final RedisExtension redis = new RedisExtension();

    @RegisterExtension
    @Order(3)
    static final StageCluster twoNodes = new StageCluster(zk, redis, NODE);

    private static StageNode nodeA;
    private static StageNode nodeB;

    @BeforeAll
    static void startNodes() {
        nodeA = twoNodes.startNode("scenarios-a", FLAGS);
        nodeB = twoNodes.startNode("scenarios-b", FLAGS);
    }

    @Nested
    class Scenarios extends GroupChatScenarios {

        @Override
        protected boolean storesMessagesForOfflineUsers() {
            return true; // stage 7: mailboxes
        }

        @Override
        protected ChatDriver driver() {
            return new ProtobufChatDriver(List.of(nodeA.address(), nodeB.address()), ServerConfig.DEFAULT_MAX_FRAME);
        }
    }

    @Nested
    class BadInput extends BadInputCases {

        @Override
        protected InetSocketAddress address() {
            return nodeA.address();
        }

        /**
         * From outside, a session is gone once a message to its uid is acknowledged as offline (stage 7: stored for
         * the next login; stage 6 refused it with OFFLINE).
         */
        @Override
        protected void assertSessionGone(String uid) {
            try (RawSocketClient prober = RawSocketClient.connect(nodeA.address())) {
                WireFrames.write(prober, WireFrames.login("prober-" + uid));
                assertThat(WireFrames.read(prober).getLoginAck().getUid()).isEqualTo("prober-" + uid);
                await().until(() -> {
                    WireFrames.write(prober, Envelope.newBuilder()
                            .setChat(ChatMessage.newBuilder().setToUid(uid).setContent("still there?")).build());
                    Envelope reply = WireFrames.read(prober);
                    return reply.hasSendAck() && reply.getSendAck().getOfflineUidsList().contains(uid);
                });
            }
        }
    }

    /** Two nodes in a ZooKeeper and a Redis of each test's own, and clients that find them through ZooKeeper. */
    @Nested
    class Cluster {

        @RegisterExtension
        @Order(1)
        final ZooKeeperExtension clusterZk = new ZooKeeperExtension();

        @RegisterExtension
        @Order(2)
        final RedisExtension clusterRedis = new RedisExtension();

        @RegisterExtension
        @Order(3)
        final StageCluster nodes = new StageCluster(clusterZk, clusterRedis, NODE);

        private final List<AutoCloseable> closeables = new ArrayList<>();
        private CuratorFramework observer;
        private NodeDirectory directory;
        private StageNode node1;
        private StageNode node2;

        @BeforeEach
        void startTwoNodes() throws InterruptedException {
            node1 = nodes.startNode("node-1", FLAGS);
            node2 = nodes.startNode("node-2", FLAGS);
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

        /** A client that finds {@code node} through ZooKeeper (another one once it is gone), logged in as uid. */
        private ChatClient login(String uid, StageNode node, Recorder recorder) throws InterruptedException {
            ClientConfig config = TestTokens.client("127.0.0.1", 0).withBackoff(20, 200);
            ChatClient client = ChatClient.connect(config, new ZkNodeLocator(directory, preferring(node.nodeId())),
                    uid, recorder);
            closeables.add(client);
            await().atMost(Duration.ofSeconds(10)).until(() -> recorder.count(Envelope.BodyCase.LOGIN_ACK) >= 1);
            assertThat(isAt(client, node)).as(uid + " on " + node.nodeId()).isTrue();
            return client;
        }

        private static LoadBalancer preferring(String nodeId) {
            RoundRobinBalancer others = new RoundRobinBalancer(0);
            return new LoadBalancer() {
                @Override
                public NodeInfo choose(String uid, List<NodeInfo> nodes) {
                    return nodes.stream().filter(n -> n.nodeId().equals(nodeId)).findFirst()
                            .orElseGet(() -> others.choose(uid, nodes));
                }

                @Override
                public String name() {
                    return "preferring " + nodeId;
                }
            };
        }

        private static boolean isAt(ChatClient client, StageNode node) {
            InetSocketAddress at = client.address();
            return at != null && at.getPort() == node.address().getPort()
                    && at.getHostString().equals(node.address().getHostString());
        }

        @Test
        void aConversationCrossesNodesBothWaysAndAGroupReachesMembersOnBoth() throws Exception {
            Recorder alice = new Recorder();
            Recorder bob = new Recorder();
            Recorder carol = new Recorder();
            ChatClient aliceClient = login("alice", node1, alice);
            ChatClient bobClient = login("bob", node2, bob);
            login("carol", node1, carol);

            aliceClient.send("bob", "hello from node 1");
            await().until(() -> bob.received("hello from node 1"));
            bobClient.send("alice", "hello from node 2");
            await().until(() -> alice.received("hello from node 2"));

            bobClient.sendGroup(List.of("alice", "carol", "dave"), "team meeting");
            await().until(() -> alice.received("team meeting") && carol.received("team meeting"));
            await().until(() -> bob.count(Envelope.BodyCase.SEND_ACK) == 2);
            Envelope groupAck = bob.frames.stream().filter(Envelope::hasSendAck).reduce((x, y) -> y).orElseThrow();
            assertThat(groupAck.getSendAck().getSentUidsList()).containsExactlyInAnyOrder("alice", "carol");
            assertThat(groupAck.getSendAck().getOfflineUidsList()).containsExactly("dave");
        }

        private static Set<String> texts(String prefix, int count) {
            return IntStream.range(0, count).mapToObj(i -> prefix + i).collect(Collectors.toSet());
        }

        private static Set<String> received(Recorder recorder) {
            return recorder.frames.stream().filter(Envelope::hasChat).map(f -> f.getChat().getContent())
                    .collect(Collectors.toSet());
        }

        @Test
        void aStoppedNodeSendsItsUsersAwayAndNoMessageForThemIsLost() throws Exception {
            Recorder alice = new Recorder();
            Recorder sam = new Recorder();
            ChatClient aliceClient = login("alice", node1, alice);
            ChatClient samClient = login("sam", node2, sam);

            int count = 100;
            Thread sender = new Thread(() -> IntStream.range(0, count).forEach(i -> samClient.send("alice", "t" + i)));
            sender.start();
            node1.stop(); // SIGTERM: the graceful shutdown, within --shutdown-timeout-ms and the docker stop bound
            sender.join();

            assertThat(registered(node1)).as("znode of a node stopped gracefully").isFalse();
            // Told to go (GO_AWAY, which the client turns into an immediate reconnect), not cut off.
            await().until(() -> alice.events.stream().anyMatch(e -> e.startsWith("the node is shutting down")));
            await().atMost(Duration.ofSeconds(15)).until(() -> isAt(aliceClient, node2)
                    && alice.count(Envelope.BodyCase.LOGIN_ACK) == 2);
            await().atMost(Duration.ofSeconds(30)).until(() -> received(alice).containsAll(texts("t", count)));
            assertThat(sam.frames).as("no message refused").noneMatch(Envelope::hasError);
        }

        @Test
        void aKilledNodesInboxIsTakenOverAndTheMessagesQueuedThereArrive() throws Exception {
            Recorder alice = new Recorder();
            Recorder sam = new Recorder();
            ChatClient aliceClient = login("alice", node1, alice);
            ChatClient samClient = login("sam", node2, sam);

            node1.kill(); // SIGKILL: alice's session in Redis still names node 1 until she logs in again
            int count = 50;
            IntStream.range(0, count).forEach(i -> samClient.send("alice", "k" + i));

            await().atMost(Duration.ofSeconds(15)).until(() -> isAt(aliceClient, node2)
                    && alice.count(Envelope.BodyCase.LOGIN_ACK) == 2);
            await().atMost(Duration.ofSeconds(30)).until(() -> received(alice).containsAll(texts("k", count)));
            await().atMost(Duration.ofSeconds(10)).until(() -> sam.count(Envelope.BodyCase.SEND_ACK) == count);
            assertThat(sam.frames).as("every message to a user on the dead node is accepted")
                    .noneMatch(Envelope::hasError);
        }
    }
}
