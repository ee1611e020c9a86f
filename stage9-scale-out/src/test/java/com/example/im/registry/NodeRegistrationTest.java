package com.example.im.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.example.im.protocol.ChatMessage;
import com.example.im.protocol.Envelope;
import com.example.im.server.ChatServer;
import com.example.im.server.WireFrames;
import com.example.im.testkit.RawSocketClient;
import com.example.im.testkit.ZooKeeperExtension;
import java.time.Duration;
import java.util.List;
import org.apache.curator.framework.CuratorFramework;
import org.apache.zookeeper.data.Stat;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** A node's ephemeral znode against a real ZooKeeper (testkit): appears, refreshes, disappears, comes back. */
class NodeRegistrationTest {

    @RegisterExtension
    final ZooKeeperExtension zk = new ZooKeeperExtension();

    private Cluster cluster;
    private CuratorFramework observer;

    @BeforeEach
    void setUp() {
        cluster = new Cluster(zk.connectString());
        observer = cluster.observer();
    }

    @AfterEach
    void tearDown() throws Exception {
        cluster.close();
    }

    private NodeInfo read(ChatServer node) throws Exception {
        return NodeInfo.fromJson(observer.getData().forPath(Registry.nodePath(node.nodeId())));
    }

    private static void login(RawSocketClient client, String uid) {
        WireFrames.write(client, WireFrames.login(uid));
        assertThat(WireFrames.read(client).getLoginAck().getUid()).isEqualTo(uid);
    }

    @Test
    void aStartingNodeAppearsWithTheAddressClientsShouldDial() throws Exception {
        ChatServer node = cluster.startNode();
        assertThat(observer.getChildren().forPath(Registry.SERVERS_PATH)).containsExactly(node.nodeId());
        NodeInfo info = read(node);
        assertThat(info.host()).isEqualTo("127.0.0.1");
        assertThat(info.port()).isEqualTo(node.localAddress().getPort());
        assertThat(info.nodeId()).isEqualTo("127.0.0.1:" + node.localAddress().getPort());
        Stat stat = observer.checkExists().forPath(Registry.nodePath(node.nodeId()));
        assertThat(stat.getEphemeralOwner()).as("ephemeral: owned by the node's session").isNotZero();
    }

    @Test
    void aClosedNodeDisappears() throws Exception {
        ChatServer node = cluster.startNode();
        String path = Registry.nodePath(node.nodeId());
        node.close();
        cluster.nodes.remove(node);
        assertThat(observer.checkExists().forPath(path)).isNull();
    }

    @Test
    void theConnectionCountIsRefreshedPeriodically() throws Exception {
        ChatServer node = cluster.startNode();
        assertThat(read(node).connections()).isZero();
        try (RawSocketClient a = RawSocketClient.connect(node.localAddress());
             RawSocketClient b = RawSocketClient.connect(node.localAddress())) {
            login(a, "alice");
            login(b, "bob");
            await().until(() -> read(node).connections() == 2);
        }
        await().until(() -> read(node).connections() == 0);
    }

    @Test
    void aNodeWhoseSessionExpiresRegistersAgainByItself() throws Exception {
        ChatServer node = cluster.startNode();
        String path = Registry.nodePath(node.nodeId());
        long owner = observer.checkExists().forPath(path).getEphemeralOwner();

        // What a long partition or GC pause does: ZooKeeper ends the session and deletes its ephemeral znodes.
        node.registration().curator().getZookeeperClient().getZooKeeper().getTestable().injectSessionExpiration();

        await().atMost(Duration.ofSeconds(20)).until(() -> {
            Stat stat = observer.checkExists().forPath(path);
            return stat != null && stat.getEphemeralOwner() != owner;
        });
        assertThat(read(node).port()).isEqualTo(node.localAddress().getPort());
    }

    @Test
    void aNodeThatLosesZooKeeperKeepsServingAndRegistersAgainWhenItIsBack() throws Exception {
        ChatServer node = cluster.startNode();
        String path = Registry.nodePath(node.nodeId());

        zk.stopServer(0);
        // Clients already on the node keep chatting: ZooKeeper is only for finding nodes.
        try (RawSocketClient alice = RawSocketClient.connect(node.localAddress())) {
            login(alice, "alice");
            WireFrames.write(alice, Envelope.newBuilder()
                    .setChat(ChatMessage.newBuilder().setToUid("alice").setContent("note to self")).build());
            assertThat(List.of(WireFrames.read(alice), WireFrames.read(alice)))
                    .anyMatch(f -> f.hasChat() && f.getChat().getContent().equals("note to self"));
        }

        zk.restartServer(0);
        await().atMost(Duration.ofSeconds(30)).until(() -> observer.checkExists().forPath(path) != null);
    }

    @Test
    void aConnectionCountThatChangedBeforeTheFirstRegistrationIsPublishedOnceZooKeeperAnswers() throws Exception {
        zk.stopServer(0);
        java.util.concurrent.atomic.AtomicInteger connections = new java.util.concurrent.atomic.AtomicInteger();
        NodeInfo me = new NodeInfo("early-node", "127.0.0.1", 7999, 0);
        try (NodeRegistration registration = new NodeRegistration(Registry.curator(zk.connectString(), 10_000), me,
                connections::get)) {
            connections.set(5);
            registration.refresh(); // ZooKeeper is away: the znode does not exist yet, the write fails
            zk.restartServer(0);
            await().atMost(Duration.ofSeconds(20)).until(() -> {
                registration.refresh(); // what the node's timer does every few seconds
                byte[] data = observer.checkExists().forPath(Registry.nodePath("early-node")) == null ? null
                        : observer.getData().forPath(Registry.nodePath("early-node"));
                return data != null && NodeInfo.fromJson(data).connections() == 5;
            });
        }
    }
}
