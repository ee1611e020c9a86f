package com.example.im.route;

import static org.assertj.core.api.Assertions.assertThat;

import com.example.im.protocol.ChatMessage;
import com.example.im.testkit.RedisExtension;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import redis.clients.jedis.AbstractPipeline;
import redis.clients.jedis.RedisClient;
import redis.clients.jedis.Response;
import redis.clients.jedis.params.XTrimParams;
import redis.clients.jedis.util.JedisClusterCRC16;

/** The mailbox against a real Redis: sequences, idempotent appends, reads, trimming, the acknowledged cursor. */
class MailboxStoreTest {

    @RegisterExtension
    final RedisExtension server = new RedisExtension();

    private RedisClient redis;
    private MailboxStore store;

    @BeforeEach
    void setUp() {
        redis = RedisClient.create(server.uri());
        store = new MailboxStore(redis, new MailboxStore.Retention(1_000, 3_600_000));
    }

    @AfterEach
    void tearDown() {
        redis.close();
    }

    private static ChatMessage message(String msgId, String content) {
        return ChatMessage.newBuilder().setMsgId(msgId).setFromUid("alice").setToUid("bob").setContent(content)
                .setTimestamp(1L).build();
    }

    /** Where {@code uid}'s sequence started: its first message is start + 1 (Redis' clock in microseconds). */
    private long start(String uid) {
        return Long.parseLong(redis.get(MailboxStore.startKey(uid)));
    }

    @Test
    void eachRecipientNumbersItsMessagesConsecutivelyAndAReadReturnsThemInOrderWithTheirSeq() {
        long one = store.append("bob", message("m-1", "one"));
        long b = start("bob");
        assertThat(one).isEqualTo(b + 1);
        assertThat(store.append("bob", message("m-2", "two"))).isEqualTo(b + 2);
        long carol = store.append("carol", message("m-2", "two"));
        assertThat(carol).as("carol's own sequence").isEqualTo(start("carol") + 1);
        assertThat(store.append("bob", message("m-3", "three"))).isEqualTo(b + 3);

        MailboxStore.Page page = store.read("bob", 0, 10);
        assertThat(page.messages()).extracting(ChatMessage::getSeq).containsExactly(b + 1, b + 2, b + 3);
        assertThat(page.messages()).extracting(ChatMessage::getContent).containsExactly("one", "two", "three");
        assertThat(page.latest()).isEqualTo(b + 3);
        assertThat(page.trimmed()).as("a reader with nothing yet: nothing below the start was ever a message")
                .isFalse();
        assertThat(store.read("bob", b + 1, 1).messages()).extracting(ChatMessage::getSeq).containsExactly(b + 2);
        assertThat(store.read("bob", b + 3, 10).messages()).isEmpty();
        assertThat(store.latest(List.of("bob", "carol", "nobody")))
                .containsExactly(Map.entry("bob", b + 3), Map.entry("carol", carol), Map.entry("nobody", 0L));
    }

    @Test
    void aMailboxRedisLostStartsAboveEverySeqItGaveAndAReaderBehindIsToldOfTheLoss() {
        store.append("bob", message("m-1", "before"));
        long before = store.append("bob", message("m-2", "before"));
        redis.flushAll(); // what a restart without persistence leaves
        long after = store.append("bob", message("m-3", "after"));
        // Starting at 1 again, "after" would get a seq the client already has, and be dropped as a duplicate.
        assertThat(after).isGreaterThan(before);
        MailboxStore.Page page = store.read("bob", before, 10);
        assertThat(page.messages()).extracting(ChatMessage::getContent).containsExactly("after");
        assertThat(page.trimmed()).as("messages after the reader's last may have been lost with the mailbox").isTrue();
        assertThat(page.trimmedFrom()).isEqualTo(before + 1);
        assertThat(page.trimmedTo()).isEqualTo(after - 1);
    }

    @Test
    void aBatchOfMessagesToOneUserIsAppendedByOneScriptInOrderAndARepeatInsideItKeepsItsFirstSeq() {
        long first = store.append("bob", message("m-0", "before"));
        Response<Object> reply;
        try (AbstractPipeline pipeline = redis.pipelined()) {
            reply = store.append(pipeline, "bob", List.of(message("m-1", "one"), message("m-0", "before"),
                    message("m-2", "two"), message("m-1", "one")));
            pipeline.sync();
        }
        assertThat(MailboxStore.seqs(reply.get())).containsExactly(first + 1, first, first + 2, first + 1);
        assertThat(store.read("bob", 0, 10).messages()).extracting(ChatMessage::getContent)
                .containsExactly("before", "one", "two");
    }

    @Test
    void theSameMsgIdAppendedAgainGetsItsFirstSeqAndIsStoredOnce() {
        long first = store.append("bob", message("m-1", "once"));
        assertThat(store.append("bob", message("m-1", "once"))).isEqualTo(first);
        assertThat(store.append("bob", message("m-2", "next"))).isEqualTo(first + 1);
        assertThat(redis.xlen(MailboxStore.mailboxKey("bob"))).isEqualTo(2);
    }

    @Test
    void concurrentRetriesOfOneMessageStoreItOnceWithOneSeq() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<Callable<Long>> retries = new ArrayList<>();
            IntStream.range(0, 32).forEach(i -> retries.add(() -> store.append("bob", message("m-race", "x"))));
            List<Long> seqs = new ArrayList<>();
            for (Future<Long> f : pool.invokeAll(retries)) {
                seqs.add(f.get());
            }
            assertThat(seqs).containsOnly(start("bob") + 1);
            assertThat(redis.xlen(MailboxStore.mailboxKey("bob"))).isEqualTo(1);
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void aClientMsgIdKeepsTheMsgIdItGotFirst() {
        assertThat(store.claimMsgId("alice", "c-1", "m-1")).isEqualTo("m-1");
        assertThat(store.claimMsgId("alice", "c-1", "m-9")).as("a retry").isEqualTo("m-1");
        assertThat(store.claimMsgId("dave", "c-1", "m-5")).as("another sender's c-1").isEqualTo("m-5");
    }

    @Test
    void retentionByCountTrimsTheOldestAndAReadBehindItReportsTheTrimmedRange() {
        MailboxStore small = new MailboxStore(redis, new MailboxStore.Retention(3, 3_600_000));
        for (int i = 1; i <= 5; i++) {
            small.append("bob", message("m-" + i, "n" + i));
        }
        long b = start("bob");
        MailboxStore.Page page = small.read("bob", 0, 10);
        assertThat(page.messages()).extracting(ChatMessage::getSeq).containsExactly(b + 3, b + 4, b + 5);
        assertThat(page.trimmed()).isTrue();
        assertThat(page.trimmedFrom()).isEqualTo(b + 1);
        assertThat(page.trimmedTo()).isEqualTo(b + 2);
        assertThat(small.read("bob", b + 2, 10).trimmed()).as("a reader at the edge lost nothing").isFalse();
    }

    @Test
    void retentionByAgeTrimsWhatIsOlderThanTheBoundAtTheNextAppend() throws Exception {
        MailboxStore brief = new MailboxStore(redis, new MailboxStore.Retention(1_000, 200));
        brief.append("bob", message("m-1", "old"));
        brief.append("bob", message("m-2", "old too"));
        // Redis' clock decides the age; wait on it, not on this JVM's.
        long start = redisMillis();
        org.awaitility.Awaitility.await().until(() -> redisMillis() - start > 250);
        brief.append("bob", message("m-3", "new"));

        long b = start("bob");
        MailboxStore.Page page = brief.read("bob", 0, 10);
        assertThat(page.messages()).extracting(ChatMessage::getSeq).containsExactly(b + 3);
        assertThat(page.trimmedFrom()).isEqualTo(b + 1);
        assertThat(page.trimmedTo()).isEqualTo(b + 2);
        // The idempotency records expire with the messages they stand for.
        assertThat(redis.pttl(MailboxStore.receivedKey("bob", "m-3"))).isBetween(1L, 200L);
    }

    @Test
    void everythingTrimmedIsReportedAsARangeUpToTheLatest() {
        MailboxStore one = new MailboxStore(redis, new MailboxStore.Retention(1, 3_600_000));
        one.append("bob", message("m-1", "a"));
        one.append("bob", message("m-2", "b"));
        long b = start("bob");
        MailboxStore.Page page = one.read("bob", 0, 10);
        assertThat(page.messages()).extracting(ChatMessage::getSeq).containsExactly(b + 2);
        redis.xtrim(MailboxStore.mailboxKey("bob"), XTrimParams.xTrimParams().maxLen(0));
        MailboxStore.Page empty = one.read("bob", 0, 10);
        assertThat(empty.messages()).isEmpty();
        assertThat(empty.trimmedFrom()).isEqualTo(b + 1);
        assertThat(empty.trimmedTo()).isEqualTo(b + 2);
    }

    @Test
    void anAppendRedisRefusesLeavesNoHoleInTheSequence() {
        redis.set(MailboxStore.mailboxKey("bob"), "not a stream");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> store.append("bob", message("m-1", "refused")))
                .hasMessageContaining("WRONGTYPE");
        // A script is not rolled back on an error: had the counter moved first, its first seq would be a hole that a
        // reader reports as trimmed.
        assertThat(redis.get(MailboxStore.seqKey("bob"))).isNull();
        redis.del(MailboxStore.mailboxKey("bob"));
        assertThat(store.append("bob", message("m-1", "accepted"))).isEqualTo(start("bob") + 1);
        assertThat(store.read("bob", 0, 10).trimmed()).isFalse();
    }

    @Test
    void theAcknowledgedCursorOnlyMovesForward() {
        assertThat(store.acknowledged("bob")).isZero();
        assertThat(store.acknowledge("bob", 5)).isEqualTo(5);
        assertThat(store.acknowledge("bob", 3)).as("a late ack").isEqualTo(5);
        assertThat(store.acknowledged("bob")).isEqualTo(5);
    }

    @Test
    void allKeysOfOneUserShareAHashSlotSoEveryScriptRunsOnRedisCluster() {
        // The slot of a key with a hash tag is the slot of the tag: Redis Cluster accepts a script over these keys.
        int slot = JedisClusterCRC16.getSlot("{bob}");
        for (String key : List.of(MailboxStore.seqKey("bob"), MailboxStore.startKey("bob"), MailboxStore.mailboxKey("bob"),
                MailboxStore.receivedKey("bob", "m-1"), MailboxStore.ackKey("bob"))) {
            assertThat(JedisClusterCRC16.getSlot(key)).as(key).isEqualTo(slot);
        }
        assertThat(JedisClusterCRC16.getSlot(MailboxStore.clientMsgIdKey("bob", "c-1"))).isEqualTo(slot);
    }

    private long redisMillis() {
        return (Long) redis.eval("local t = redis.call('TIME') return t[1] * 1000 + math.floor(t[2] / 1000)");
    }
}
