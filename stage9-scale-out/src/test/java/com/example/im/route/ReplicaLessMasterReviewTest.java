package com.example.im.route;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.example.im.protocol.ChatMessage;
import com.example.im.protocol.Envelope;
import com.example.im.protocol.ErrorCode;
import com.example.im.server.ChatServer;
import com.example.im.server.WireFrames;
import com.example.im.testkit.RawSocketClient;
import com.example.im.testkit.RedisClusterExtension;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import redis.clients.jedis.ConnectionPoolConfig;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.UnifiedJedis;
import redis.clients.jedis.util.JedisClusterCRC16;

/**
 * Review: one master of a Redis Cluster without a replica (its replica died, or a failover left the promoted one
 * alone) must cost the users of that master their pushes, not everybody's. The replicated read waits up to
 * {@code --redis-wait-ms} for a replica that is not there, on the push lane the user shares with a quarter of the
 * node's users; without a fast refusal, a healthy user behind a dozen such reads waits a dozen seconds for a
 * message that was acknowledged to its sender at once.
 */
class ReplicaLessMasterReviewTest {

    @RegisterExtension
    final RedisClusterExtension redis = new RedisClusterExtension(3, 1, 2000);

    private Nodes nodes;

    @BeforeEach
    void setUp() {
        nodes = new Nodes(redis.uri(), 30_000);
    }

    @AfterEach
    void tearDown() throws Exception {
        nodes.close();
    }

    /** A key in the slot of alice's client_msg_id records ({alice}). */
    private static String aliceRecords() {
        return MailboxStore.clientMsgIdKey("alice", "any");
    }

    /** A master that holds neither key's slot (the ports are random, and so is which master holds which slot). */
    private int masterHoldingNeither(String a, String b) {
        int first = redis.cluster().masterOf(a);
        int second = redis.cluster().masterOf(b);
        return redis.cluster().masterPorts().stream().filter(p -> p != first && p != second).findFirst()
                .orElseThrow();
    }

    /** The push lane of {@code uid} (Pusher: 4 lanes, by the uid's hash). */
    private static int lane(String uid) {
        return Math.floorMod(uid.hashCode(), 4);
    }

    @Test
    void aHealthyUsersPushDoesNotWaitBehindReadsOfAMasterWithoutReplica() throws Exception {
        ChatServer node = nodes.start();
        String carol = "carol";
        int healthy = redis.cluster().masterOf(MailboxStore.mailboxKey(carol));
        // Not the master of alice's client_msg_id records either: her send to carol must find its replicas.
        int alone = masterHoldingNeither(MailboxStore.mailboxKey(carol), aliceRecords());
        // A dozen users whose mailboxes are on the other master and whose pushes share carol's lane.
        List<String> stranded = new ArrayList<>();
        for (int i = 0; stranded.size() < 12; i++) {
            String uid = "u" + i;
            if (lane(uid) == lane(carol)
                    && redis.cluster().masterOfSlot(JedisClusterCRC16.getSlot(MailboxStore.mailboxKey(uid))) == alone) {
                stranded.add(uid);
            }
        }
        redis.cluster().replicasOf(alone).forEach(port -> redis.cluster().kill(port));
        // Each has a message in its mailbox that no replica has (appended without WAIT, as a refused send leaves it).
        try (UnifiedJedis direct = RedisClients.open(redis.uri(),
                DefaultJedisClientConfig.builder().build(),
                new ConnectionPoolConfig()).redis()) {
            MailboxStore store = new MailboxStore(direct, new MailboxStore.Retention(100, 600_000));
            for (String uid : stranded) {
                store.append(uid, ChatMessage.newBuilder().setMsgId("m-" + uid).setFromUid("zed").setToUid(uid)
                        .setContent("unreplicated").build());
            }
        }
        List<RawSocketClient> clients = new ArrayList<>();
        try (RawSocketClient carolClient = RawProtocol.rawLogin(node, carol, 0);
             RawSocketClient alice = RawProtocol.rawLogin(node, "alice", 0)) {
            for (String uid : stranded) {
                clients.add(RawProtocol.rawLogin(node, uid, 0)); // each login's first pull reads the mailbox
            }
            WireFrames.write(alice, RawProtocol.chat(carol, "hello carol", "c-1"));
            assertThat(RawProtocol.nextReply(alice).hasSendAck()).as("carol's master has its replica").isTrue();
            long sent = System.nanoTime();
            await().atMost(Duration.ofSeconds(40)).pollInterval(Duration.ofMillis(10))
                    .until(() -> carolClient.available() > 0);
            long tookMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - sent);
            assertThat(Duration.ofMillis(tookMillis))
                    .as("carol's push waited %d ms behind %d reads of a master without a replica", tookMillis,
                            stranded.size())
                    .isLessThan(Duration.ofSeconds(3));
            assertThat(RawProtocol.nextMessage(carolClient).getContent()).isEqualTo("hello carol");
        } finally {
            clients.forEach(RawSocketClient::close);
        }
    }

    /**
     * The same on the send side: a group message whose members' mailboxes are on a master without a replica is
     * refused after one WAIT of {@code --redis-wait-ms} on that server, not one per member's slot one after the other
     * (8 members: 8 s on the forwarder thread, and every sender of the node waiting behind it).
     */
    @Test
    void aStoreWaitsOnceForAServerWithoutReplicaNotOncePerSlot() throws Exception {
        ChatServer node = nodes.start();
        int alone = masterHoldingNeither(aliceRecords(), aliceRecords()); // her claim's WAIT must succeed
        List<String> members = new ArrayList<>();
        java.util.Set<Integer> slots = new java.util.HashSet<>();
        for (int i = 0; members.size() < 8; i++) {
            String uid = "m" + i;
            int slot = JedisClusterCRC16.getSlot(MailboxStore.mailboxKey(uid));
            if (redis.cluster().masterOfSlot(slot) == alone && slots.add(slot)) {
                members.add(uid);
            }
        }
        redis.cluster().replicasOf(alone).forEach(port -> redis.cluster().kill(port));
        try (RawSocketClient alice = RawProtocol.rawLogin(node, "alice", 0)) {
            long sent = System.nanoTime();
            WireFrames.write(alice, RawProtocol.group(members, "to eight slots of one server", "g-1"));
            Envelope answer = RawProtocol.nextReply(alice);
            long tookMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - sent);
            assertThat(answer.hasError()).as("refused: no replica has it: " + answer).isTrue();
            assertThat(answer.getError().getCode()).isEqualTo(ErrorCode.UNAVAILABLE);
            assertThat(Duration.ofMillis(tookMillis))
                    .as("the refusal took %d ms for %d slots on one server", tookMillis, members.size())
                    .isLessThan(Duration.ofSeconds(4));
        }
    }
}
