package com.example.im.route;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.example.im.server.SessionMap;
import com.example.im.testkit.RedisExtension;
import java.net.URI;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import redis.clients.jedis.RedisClient;

/** A takeover consumer on its own, against a real Redis: the corners a cluster test rarely reaches. */
class TakeoverConsumerTest {

    @RegisterExtension
    static final RedisExtension redis = new RedisExtension();

    private static long calls(RedisClient r, String command) {
        for (String line : r.info("commandstats").split("\\r?\\n")) {
            if (line.startsWith("cmdstat_" + command + ":")) {
                return Long.parseLong(line.replaceAll("^[^:]*:calls=(\\d+),.*", "$1")); // not failed_calls=...
            }
        }
        return 0;
    }

    @Test
    void aTakeoverWhoseOwnerIsBackOnAnInboxRedisLostStopsInsteadOfSpinning() throws Exception {
        try (RedisClient r = RedisClient.create(URI.create(redis.uri()))) {
            // X is registered again (its takeover must hand back and stop), and its inbox is gone (Redis restarted).
            InboxConsumer takeover = new InboxConsumer(r, "S", "X", new SessionMap(), new SessionStore(r, 3_000), 256,
                    30_000, 500, node -> InboxConsumer.Presence.REGISTERED);
            long before = calls(r, "xpending");
            takeover.start();

            await().atMost(Duration.ofSeconds(5)).until(takeover::isStopped);
            assertThat(calls(r, "xpending") - before).as("no XPENDING loop on the missing group").isLessThan(10);
        }
    }
}
