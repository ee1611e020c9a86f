package com.example.im.route;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.example.im.protocol.ChatMessage;
import com.example.im.protocol.Delivery;
import com.example.im.protocol.InboxEntry;
import com.example.im.server.SessionMap;
import com.example.im.testkit.RedisExtension;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import redis.clients.jedis.RedisClient;
import redis.clients.jedis.StreamEntryID;
import redis.clients.jedis.params.XAddParams;
import redis.clients.jedis.params.XReadParams;

/** An inbox consumer following users who moved, when Redis accepts some of the pushes and refuses others. */
class ChaseTest {

    @RegisterExtension
    static final RedisExtension redis = new RedisExtension();

    @Test
    void aPushRefusedForOneMemberIsRetriedAloneWithoutRepeatingTheOthers() throws Exception {
        try (RedisClient r = RedisClient.create(URI.create(redis.uri()))) {
            SessionStore store = new SessionStore(r, 60_000);
            store.claim("u1", new SessionRef("s1", "N1"));
            store.claim("u2", new SessionRef("s2", "N2"));
            r.xgroupCreate(RedisKeys.inbox("N1"), RedisKeys.GROUP, new StreamEntryID(0, 0), true); // N1 is alive
            r.set(RedisKeys.inbox("N2"), "not a stream"); // every push to N2 gets WRONGTYPE
            ChatMessage message = ChatMessage.newBuilder().setMsgId("m1").setFromUid("sam").setContent("hi").build();
            r.xadd(RedisKeys.inbox("X").getBytes(StandardCharsets.UTF_8), XAddParams.xAddParams(),
                    Map.of(RedisKeys.FIELD, InboxEntry.newBuilder().setDelivery(Delivery.newBuilder()
                            .setMessage(message).addToUids("u1").addToUids("u2")).build().toByteArray()));

            // X's consumer (u1 and u2 moved away from X) retries every 200 ms.
            InboxConsumer x = new InboxConsumer(r, "X", new SessionMap(), store, 256, 30_000, 200);
            x.start();
            try {
                await().atMost(Duration.ofSeconds(5)).until(() -> r.xlen(RedisKeys.inbox("N1")) == 1);
                // Many retries later, u1 has still been sent one copy; the entry waits for u2 alone.
                await().during(Duration.ofMillis(1_500)).atMost(Duration.ofSeconds(5))
                        .until(() -> r.xlen(RedisKeys.inbox("N1")) == 1);
                var entries = r.xreadBinary(XReadParams.xReadParams().count(10),
                        Map.of(RedisKeys.inbox("X").getBytes(StandardCharsets.UTF_8), new StreamEntryID(0, 0)));
                InboxEntry waiting = InboxEntry.parseFrom(entries.get(0).getValue().get(0).getFields()
                        .get(RedisKeys.FIELD));
                assertThat(waiting.getDelivery().getToUidsList()).containsExactly("u2");
            } finally {
                x.close();
            }
        }
    }

    @Test
    void anInboxRedisRefusesIsRetriedWithBackoffNotInATightLoop() throws Exception {
        try (RedisClient r = RedisClient.create(URI.create(redis.uri()))) {
            r.set(RedisKeys.inbox("Y"), "not a stream"); // every read of Y's inbox gets WRONGTYPE
            long before = calls(r, "xgroup|create");
            InboxConsumer y = new InboxConsumer(r, "Y", new SessionMap(), new SessionStore(r, 60_000), 256,
                    30_000, 1_000);
            y.start();
            try {
                // Retried with a growing pause (0.1 s doubling to 2 s): a handful of attempts, not thousands.
                await().during(Duration.ofSeconds(2)).atMost(Duration.ofSeconds(5))
                        .until(() -> calls(r, "xgroup|create") - before < 20);
            } finally {
                y.close();
                r.del(RedisKeys.inbox("Y"));
            }
        }
    }

    private static long calls(RedisClient r, String command) {
        for (String line : r.info("commandstats").split("\\r?\\n")) {
            if (line.startsWith("cmdstat_" + command + ":")) {
                return Long.parseLong(line.replaceAll("^[^:]*:calls=(\\d+),.*", "$1")); // not failed_calls=...
            }
        }
        return 0;
    }
}
