package com.example.im.checker.naive;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.example.im.checker.WireClient;
import com.example.im.checker.wire.ChatMessage;
import com.example.im.checker.wire.Envelope;
import com.example.im.checker.wire.ErrorCode;
import com.example.im.checker.wire.Ping;
import com.example.im.embedded.EmbeddedRedis;
import com.example.im.embedded.EmbeddedZooKeeper;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.retry.RetryOneTime;
import org.apache.zookeeper.data.Stat;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import redis.clients.jedis.RedisClient;

/** Two naive nodes in this JVM on a real ZooKeeper and a real Redis, driven by blocking wire clients. */
@Timeout(60)
class NaiveNodeTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    private static EmbeddedZooKeeper zk;
    private static EmbeddedRedis redisServer;
    private static RedisClient redis;
    private static CuratorFramework curator;
    private static NaiveNode node1;
    private static NaiveNode node2;

    @BeforeAll
    static void startCluster() throws Exception {
        zk = EmbeddedZooKeeper.start(-1);
        redisServer = EmbeddedRedis.start();
        redis = RedisClient.create(redisServer.uri());
        curator = CuratorFrameworkFactory.newClient(zk.connectString(), new RetryOneTime(100));
        curator.start();
        node1 = startNode("n1");
        node2 = startNode("n2");
    }

    private static NaiveNode startNode(String id) throws Exception {
        // The stages' flags the naive node does not use must be accepted too.
        return NaiveNode.start(new String[] {"--port", "0", "--node-id", id, "--zk", zk.connectString(),
                "--redis", redisServer.uri(), "--zk-session-timeout-ms", "5000", "--session-ttl-ms", "30000",
                "--load-refresh-ms", "100", "--shutdown-timeout-ms", "1000", "--undeliverable-ms", "500"});
    }

    @AfterAll
    static void stopCluster() throws Exception {
        for (AutoCloseable c : new AutoCloseable[] {node1, node2, curator, redis, redisServer, zk}) {
            if (c != null) {
                c.close();
            }
        }
    }

    @Test
    void aMessageToAUserOnTheOtherNodeGoesThroughRedisAndArrives() throws Exception {
        try (WireClient alice = WireClient.login(node1.port(), "alice"); WireClient bob = WireClient.login(node2.port(), "bob")) {
            // The article's session: uid -> node id, no TTL.
            assertThat(redis.get("chat:user:session:alice")).isEqualTo("n1");
            assertThat(redis.get("chat:user:session:bob")).isEqualTo("n2");
            assertThat(redis.ttl("chat:user:session:bob")).isEqualTo(-1L);

            alice.send(chat().setToUid("bob").setContent("hi bob"));

            Envelope ack = alice.next();
            assertThat(ack.hasSendAck()).as("%s", ack).isTrue();
            assertThat(ack.getSendAck().getSentUidsList()).containsExactly("bob");
            assertThat(ack.getSendAck().getOfflineUidsList()).isEmpty();
            Envelope received = bob.next();
            assertThat(received.hasChat()).as("%s", received).isTrue();
            ChatMessage message = received.getChat();
            assertThat(message.getFromUid()).isEqualTo("alice");
            assertThat(message.getToUid()).isEqualTo("bob");
            assertThat(message.getContent()).isEqualTo("hi bob");
            assertThat(message.getMsgId()).isEqualTo(ack.getSendAck().getMsgId()).startsWith("n1-");
            assertThat(message.getTimestamp()).isPositive();
        }
    }

    @Test
    void aGroupMessageReachesLocalAndRemoteMembersAndReportsTheOfflineOnes() throws Exception {
        try (WireClient carol = WireClient.login(node1.port(), "carol"); WireClient dave = WireClient.login(node1.port(), "dave");
                WireClient erin = WireClient.login(node2.port(), "erin")) {
            carol.send(chat().addAllToUidList(List.of("dave", "erin", "ghost-1", "carol", "erin"))
                    .setContent("hello all"));

            Envelope ack = carol.next();
            assertThat(ack.hasSendAck()).as("%s", ack).isTrue();
            assertThat(ack.getSendAck().getSentUidsList()).containsExactly("dave", "erin");
            assertThat(ack.getSendAck().getOfflineUidsList()).containsExactly("ghost-1");
            for (WireClient member : List.of(dave, erin)) {
                Envelope received = member.next();
                assertThat(received.hasChat()).as("%s", received).isTrue();
                assertThat(received.getChat().getFromUid()).isEqualTo("carol");
                assertThat(received.getChat().getContent()).isEqualTo("hello all");
                assertThat(received.getChat().getMsgId()).isEqualTo(ack.getSendAck().getMsgId());
                assertThat(received.getChat().getToUidListList()).contains("dave", "erin");
            }
        }
    }

    @Test
    void bothNodesAreRegisteredAsEphemeralZnodesWithTheStagesJson() throws Exception {
        for (NaiveNode node : List.of(node1, node2)) {
            Stat stat = new Stat();
            byte[] data = curator.getData().storingStatIn(stat).forPath("/im/servers/" + node.nodeId());
            assertThat(stat.getEphemeralOwner()).as("ephemeral").isNotZero();
            assertThat(JSON.readValue(data, Map.class)).isEqualTo(Map.of("nodeId", node.nodeId(),
                    "host", "127.0.0.1", "port", node.port(), "connections", 0));
        }
    }

    @Test
    void aStoppedNodesZnodeGoes() throws Exception {
        NaiveNode node3 = startNode("n3");
        assertThat(curator.checkExists().forPath("/im/servers/n3")).isNotNull();
        node3.close();
        await().atMost(Duration.ofSeconds(10))
                .until(() -> curator.checkExists().forPath("/im/servers/n3") == null);
    }

    @Test
    void aNodeRegistersAgainAfterItsZooKeeperSessionExpired() throws Exception {
        try (NaiveNode node4 = startNode("n4")) {
            long before = curator.checkExists().forPath("/im/servers/n4").getEphemeralOwner();
            node4.curator().getZookeeperClient().getZooKeeper().getTestable().injectSessionExpiration();
            await().atMost(Duration.ofSeconds(20)).until(() -> {
                Stat stat = curator.checkExists().forPath("/im/servers/n4");
                return stat != null && stat.getEphemeralOwner() != before;
            });
            assertThat(curator.checkExists().forPath("/im/servers/n4").getEphemeralOwner())
                    .isEqualTo(node4.curator().getZookeeperClient().getZooKeeper().getSessionId());
        }
    }

    @Test
    void aPrivateMessageToAnUnknownUserIsRefusedAsOffline() throws Exception {
        try (WireClient frank = WireClient.login(node1.port(), "frank")) {
            frank.send(chat().setToUid("nobody-here").setContent("anyone?"));
            Envelope reply = frank.next();
            assertThat(reply.hasError()).as("%s", reply).isTrue();
            assertThat(reply.getError().getCode()).isEqualTo(ErrorCode.OFFLINE);
        }
    }

    @Test
    void aChatBeforeLoginIsRefused() throws Exception {
        try (WireClient anonymous = WireClient.connect(node2.port())) {
            anonymous.send(chat().setToUid("bob").setContent("who am I"));
            Envelope reply = anonymous.next();
            assertThat(reply.hasError()).as("%s", reply).isTrue();
            assertThat(reply.getError().getCode()).isEqualTo(ErrorCode.NOT_LOGGED_IN);
        }
    }

    @Test
    void aPingIsAnsweredWithItsTimestamp() throws Exception {
        try (WireClient client = WireClient.connect(node1.port())) {
            client.send(Envelope.newBuilder().setPing(Ping.newBuilder().setSentAt(123_456_789L)).build());
            Envelope reply = client.next();
            assertThat(reply.hasPong()).as("%s", reply).isTrue();
            assertThat(reply.getPong().getPingSentAt()).isEqualTo(123_456_789L);
        }
    }

    private static ChatMessage.Builder chat() {
        return ChatMessage.newBuilder();
    }
}
