package com.example.im.route;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.example.im.protocol.ChatMessage;
import com.example.im.testkit.RedisExtension;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import redis.clients.jedis.RedisClient;

/** Review of stage 7's retention by age: a real Redis, its clock. */
class MailboxRetentionReviewTest {

    @RegisterExtension
    final RedisExtension server = new RedisExtension();

    private RedisClient redis;

    @BeforeEach
    void setUp() {
        redis = RedisClient.create(server.uri());
    }

    @AfterEach
    void tearDown() {
        redis.close();
    }

    private static ChatMessage message(String msgId) {
        return ChatMessage.newBuilder().setMsgId(msgId).setFromUid("alice").setToUid("bob").setContent(msgId)
                .setTimestamp(1L).build();
    }

    private long redisMillis() {
        return (Long) redis.eval("local t = redis.call('TIME') return t[1] * 1000 + math.floor(t[2] / 1000)");
    }

    /**
     * More than 64 expired entries at the head of a mailbox (a user who got many messages, then none for longer than
     * the retention): the next appends must still trim them, 64 at a time, not stall because the first 64 entries
     * hold no young one. Before the fix nothing was trimmed at all: the expired messages stayed (and were pushed)
     * while their idempotency records had expired, so a late retry was stored a second time.
     */
    @Test
    void moreThanSixtyFourExpiredEntriesAreStillTrimmedByAge() {
        MailboxStore brief = new MailboxStore(redis, new MailboxStore.Retention(10_000, 300));
        for (int i = 1; i <= 100; i++) {
            brief.append("bob", message("old-" + i));
        }
        long start = redisMillis();
        await().until(() -> redisMillis() - start > 400);
        brief.append("bob", message("new-1"));
        brief.append("bob", message("new-2"));

        long b = Long.parseLong(redis.get(MailboxStore.startKey("bob")));
        MailboxStore.Page page = brief.read("bob", 0, 200);
        assertThat(page.messages()).extracting(ChatMessage::getSeq).containsExactly(b + 101, b + 102);
        assertThat(page.trimmedFrom()).isEqualTo(b + 1);
        assertThat(page.trimmedTo()).isEqualTo(b + 100);
    }

    /**
     * A mailbox is trimmed by age only when something is appended to it. One that gets nothing more (a user who
     * never logs in again, a uid nobody owns: any valid uid is a recipient) kept its last 10,000 messages in Redis
     * for ever. Now the stream expires once its newest entry is older than the retention; the counter stays, so a
     * read afterwards reports everything as trimmed, and the next append continues the sequence.
     */
    @Test
    void aMailboxNobodyAppendsToAnyMoreIsGoneAfterTheRetentionAndReportedAsTrimmed() {
        MailboxStore brief = new MailboxStore(redis, new MailboxStore.Retention(10_000, 300));
        for (int i = 1; i <= 3; i++) {
            brief.append("ghost", message("m-" + i));
        }
        await().atMost(java.time.Duration.ofSeconds(5))
                .until(() -> !redis.exists(MailboxStore.mailboxKey("ghost")));

        long b = Long.parseLong(redis.get(MailboxStore.startKey("ghost")));
        MailboxStore.Page page = brief.read("ghost", 0, 10);
        assertThat(page.messages()).isEmpty();
        assertThat(page.trimmedFrom()).isEqualTo(b + 1);
        assertThat(page.trimmedTo()).isEqualTo(b + 3);
        assertThat(brief.append("ghost", message("m-4"))).isEqualTo(b + 4);
        assertThat(brief.read("ghost", b + 3, 10).messages()).extracting(ChatMessage::getSeq).containsExactly(b + 4);
    }
}
