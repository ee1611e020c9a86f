package com.example.im.route;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.example.im.protocol.ChatMessage;
import com.example.im.server.ChatServer;
import com.example.im.testkit.RedisClusterExtension;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import redis.clients.jedis.AbstractPipeline;
import redis.clients.jedis.ConnectionPoolConfig;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.Response;
import redis.clients.jedis.StreamEntryID;
import redis.clients.jedis.UnifiedJedis;
import redis.clients.jedis.exceptions.JedisClusterOperationException;
import redis.clients.jedis.exceptions.JedisDataException;
import redis.clients.jedis.params.XAddParams;
import redis.clients.jedis.params.XReadGroupParams;
import redis.clients.jedis.util.JedisClusterCRC16;

/**
 * Every script and multi-key command of the stage's Redis code, run against a real Redis Cluster (3 masters x 1
 * replica) with users whose keys are on different slots and different masters (docs/09-scale-out.md, "Slots and hash
 * tags"). A script or command that crossed slots fails here three ways: Jedis refuses keys of two slots before
 * sending ("same slot"), Redis answers CROSSSLOT (and counts it in {@code INFO errorstats}, checked after each test
 * on every node), or the result asserted is missing.
 */
class CrossSlotTest {

    @RegisterExtension
    static final RedisClusterExtension redis = new RedisClusterExtension();

    private static UnifiedJedis client;

    @BeforeAll
    static void connect() {
        RedisClients.Opened opened = RedisClients.open(redis.uri(),
                DefaultJedisClientConfig.builder().socketTimeoutMillis(5_000).build(), new ConnectionPoolConfig());
        assertThat(opened.cluster()).as("RedisClients sees a cluster").isTrue();
        client = opened.redis();
    }

    @AfterAll
    static void disconnect() {
        client.close();
    }

    /** {@code count} uids whose mailbox and session keys are each on another master than the others'. */
    private static List<String> usersOnDistinctMasters(int count) {
        List<String> users = new ArrayList<>();
        Set<Integer> masters = new HashSet<>();
        String prefix = "u" + System.nanoTime() + "-"; // users of their own for each test
        for (int i = 0; users.size() < count && i < 10_000; i++) {
            String uid = prefix + i;
            int master = redis.cluster().masterOf(MailboxStore.mailboxKey(uid));
            if (redis.cluster().masterOf(RedisKeys.session(uid)) != master && masters.add(master)) {
                users.add(uid);
            }
        }
        assertThat(users).hasSize(count);
        for (int i = 0; i < users.size(); i++) {
            for (int j = i + 1; j < users.size(); j++) {
                assertThat(JedisClusterCRC16.getSlot(MailboxStore.mailboxKey(users.get(i))))
                        .isNotEqualTo(JedisClusterCRC16.getSlot(MailboxStore.mailboxKey(users.get(j))));
            }
        }
        return users;
    }

    /** No node of the cluster ever answered CROSSSLOT (Redis counts every error reply by its first word). */
    @AfterEach
    void noCrossSlotErrorAnywhere() {
        for (int port : redis.cluster().ports()) {
            try (Jedis node = new Jedis("127.0.0.1", port)) {
                assertThat(node.info("errorstats")).as("errors of the Redis node on port " + port)
                        .doesNotContain("errorstat_CROSSSLOT");
            }
        }
    }

    @Test
    void theCrossSlotDetectorDetects() {
        List<String> spread = usersOnDistinctMasters(3);
        // What a script over two users' keys does on one node: refused with CROSSSLOT, and counted. (The error
        // count is reset after, so that the check after this test looks at the stage's code only.)
        int port = redis.cluster().masterOf(MailboxStore.mailboxKey(spread.get(0)));
        try (Jedis node = new Jedis("127.0.0.1", port)) {
            assertThatThrownBy(() -> node.eval("return 1", List.of(MailboxStore.mailboxKey(spread.get(0)),
                    MailboxStore.mailboxKey(spread.get(1))), List.of()))
                    .isInstanceOf(JedisDataException.class).hasMessageContaining("CROSSSLOT");
            assertThat(node.info("errorstats")).contains("errorstat_CROSSSLOT");
            node.configResetStat();
        }
        // and through the cluster client, Jedis refuses before sending
        assertThatThrownBy(() -> client.eval("return 1", List.of(MailboxStore.mailboxKey(spread.get(0)),
                MailboxStore.mailboxKey(spread.get(1))), List.of()))
                .isInstanceOf(JedisClusterOperationException.class).hasMessageContaining("multiple hash slots");
    }

    @Test
    void sessionsClaimLookupRenewAndReleaseAcrossMasters() {
        List<String> spread = usersOnDistinctMasters(3);
        SessionStore sessions = new SessionStore(client, 30_000);
        Map<String, SessionRef> refs = new LinkedHashMap<>();
        for (String uid : spread) {
            SessionRef ref = new SessionRef("s-" + uid, "node-x");
            sessions.claim(uid, ref);
            refs.put(uid, ref);
        }
        List<String> asked = new ArrayList<>(spread);
        asked.add("nobody-" + System.nanoTime());
        assertThat(sessions.lookup(asked)).isEqualTo(refs); // one batched lookup over three masters
        assertThat(sessions.lookup(spread.get(1))).isEqualTo(refs.get(spread.get(1)));
        assertThat(sessions.renew(refs)).allSatisfy((uid, r) -> assertThat(r).isEqualTo(SessionStore.Renewal.RENEWED));
        assertThat(sessions.reassert(spread.get(2), refs.get(spread.get(2)))).as("there is one").isFalse();
        assertThat(sessions.releaseIfOwned(spread.get(0), refs.get(spread.get(0)))).isTrue();
        assertThat(sessions.lookup(asked)).doesNotContainKey(spread.get(0)).hasSize(2);
    }

    @Test
    void mailboxAppendReadAckAndClaimMsgIdAcrossMasters() {
        List<String> spread = usersOnDistinctMasters(3);
        MailboxStore mailboxes = new MailboxStore(client, new MailboxStore.Retention(1_000, 3_600_000));
        String from = spread.get(0);
        String msgId = mailboxes.claimMsgId(from, "c-1", "m-" + System.nanoTime());
        assertThat(mailboxes.claimMsgId(from, "c-1", "another")).isEqualTo(msgId);
        for (String uid : spread) {
            long first = mailboxes.append(uid, message(from, uid, msgId, "one"));
            assertThat(mailboxes.append(uid, message(from, uid, msgId, "one"))).as("a retry").isEqualTo(first);
            // the APPEND script with several messages: 3 + n keys, all of one user's slot
            Response<Object> batch;
            try (AbstractPipeline pipeline = client.pipelined()) {
                batch = mailboxes.append(pipeline, uid, List.of(message(from, uid, msgId + "-2", "two"),
                        message(from, uid, msgId + "-3", "three")));
                pipeline.sync();
            }
            assertThat(MailboxStore.seqs(batch.get())).containsExactly(first + 1, first + 2);
            MailboxStore.Page page = mailboxes.read(uid, 0, 10);
            assertThat(page.messages()).extracting(ChatMessage::getContent).containsExactly("one", "two", "three");
            assertThat(page.latest()).isEqualTo(first + 2);
            assertThat(mailboxes.acknowledge(uid, first + 1)).isEqualTo(first + 1);
            assertThat(mailboxes.acknowledge(uid, first)).as("never back").isEqualTo(first + 1);
            assertThat(mailboxes.acknowledged(uid)).isEqualTo(first + 1);
        }
        assertThat(mailboxes.latest(spread)).hasSize(3).allSatisfy((uid, seq) -> assertThat(seq).isPositive());
    }

    @Test
    void aGroupMessageIsStoredInMailboxesOnEveryMasterAndRoutedToTheMembersNodes() throws Exception {
        List<String> spread = usersOnDistinctMasters(3);
        SessionStore sessions = new SessionStore(client, 30_000);
        MailboxStore mailboxes = new MailboxStore(client, new MailboxStore.Retention(1_000, 3_600_000));
        // two members online on "elsewhere" (their sessions on other masters than their mailboxes), one offline
        String elsewhere = "elsewhere-" + System.nanoTime();
        // a live node's inbox exists (it made it with its consumer group); pushes do not create one
        client.xgroupCreate(RedisKeys.inbox(elsewhere), RedisKeys.GROUP, new StreamEntryID(0, 0), true);
        sessions.claim(spread.get(0), new SessionRef("s0", elsewhere));
        sessions.claim(spread.get(1), new SessionRef("s1", elsewhere));
        try (Forwarder forwarder = new Forwarder(client, sessions, 64, mailboxes, "here").waitForReplicas(1, 2_000)) {
            ChatMessage group = ChatMessage.newBuilder().setMsgId("g-" + System.nanoTime()).setFromUid("sam")
                    .addAllToUidList(spread).setContent("to all").setClientMsgId("g-1")
                    .setTimestamp(System.currentTimeMillis()).build();
            CompletableFuture<Forwarder.Stored> stored = new CompletableFuture<>();
            forwarder.store(group, spread, Runnable::run, stored::complete);
            Forwarder.Stored result = stored.get(10, TimeUnit.SECONDS);
            assertThat(result.failure()).isNull();
            assertThat(result.seqs()).containsOnlyKeys(spread);
            assertThat(result.owners()).containsOnlyKeys(spread.get(0), spread.get(1))
                    .containsValues(elsewhere);
            for (String uid : spread) {
                assertThat(mailboxes.read(uid, result.seqs().get(uid) - 1, 1).messages())
                        .extracting(ChatMessage::getContent).containsExactly("to all");
            }

            CompletableFuture<Forwarder.Outcome> routed = new CompletableFuture<>();
            forwarder.route(group, spread, Runnable::run, routed::complete);
            Forwarder.Outcome outcome = routed.get(10, TimeUnit.SECONDS);
            assertThat(outcome.failure()).isNull();
            assertThat(outcome.queued()).containsExactlyInAnyOrder(spread.get(0), spread.get(1));
            assertThat(outcome.offline()).containsExactly(spread.get(2));
            assertThat(client.xlen(RedisKeys.inbox(elsewhere))).isPositive();
        }
    }

    @Test
    void anInboxConsumedToTheEndIsDeletedAndForgottenAndAGhostIsForgotten() {
        String owner = "gone-" + System.nanoTime();
        String inbox = RedisKeys.inbox(owner);
        StreamEntryID id = client.xadd(inbox, XAddParams.xAddParams(), Map.of("e", "x"));
        client.xgroupCreate(inbox, RedisKeys.GROUP, new StreamEntryID(0, 0), false);
        client.sadd(RedisKeys.INBOXES, owner);
        // not consumed yet: neither deleted nor forgotten
        assertThat(InboxConsumer.deleteIfConsumed(client, owner)).isFalse();
        assertThat(InboxConsumer.forget(client, owner)).isFalse();
        assertThat(client.sismember(RedisKeys.INBOXES, owner)).isTrue();
        // read but not acknowledged: still not
        assertThat(client.xreadGroup(RedisKeys.GROUP, "c", XReadGroupParams.xReadGroupParams().count(10),
                Map.of(inbox, StreamEntryID.XREADGROUP_UNDELIVERED_ENTRY))).isNotEmpty();
        assertThat(InboxConsumer.deleteIfConsumed(client, owner)).isFalse();
        // consumed and acknowledged: deleted, and out of im:inboxes (another slot)
        client.xack(inbox, RedisKeys.GROUP, id);
        assertThat(InboxConsumer.deleteIfConsumed(client, owner)).isTrue();
        assertThat(client.exists(inbox)).isFalse();
        assertThat(client.sismember(RedisKeys.INBOXES, owner)).isFalse();

        String ghost = "ghost-" + System.nanoTime();
        client.sadd(RedisKeys.INBOXES, ghost);
        assertThat(InboxConsumer.forget(client, ghost)).isTrue();
        assertThat(client.sismember(RedisKeys.INBOXES, ghost)).isFalse();
    }

    @Test
    void aNodeOnTheClusterReportsItsInboxLagAndDeletesItsInboxWhenItLeaves() throws Exception {
        ChatServer node = ChatServer.start(new Nodes(redis.uri(), 30_000).config());
        String nodeId = node.nodeId();
        try {
            await().atMost(Duration.ofSeconds(10)).until(() -> client.sismember(RedisKeys.INBOXES, nodeId));
            assertThat(node.routing().inboxLag()).isZero();
        } finally {
            node.close(); // graceful: its drained inbox is deleted and forgotten
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> !client.exists(RedisKeys.inbox(nodeId))
                && !client.sismember(RedisKeys.INBOXES, nodeId));
    }

    private static ChatMessage message(String from, String to, String msgId, String text) {
        return ChatMessage.newBuilder().setMsgId(msgId).setFromUid(from).setToUid(to).setContent(text)
                .setTimestamp(System.currentTimeMillis()).build();
    }
}
