package com.example.im.route;

import static org.assertj.core.api.Assertions.assertThat;

import com.example.im.testkit.RedisExtension;
import java.net.URI;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import redis.clients.jedis.RedisClient;

/** A Redis too old for the stage is refused when the node starts, with a message that says what to do. */
class RedisVersionTest {

    @RegisterExtension
    final RedisExtension redis = new RedisExtension();

    private static String info(String version) {
        return "# Server\r\nredis_version:" + version + "\r\nredis_mode:standalone\r\n";
    }

    @Test
    void versionsFromTheMinimumOnAreAccepted() {
        assertThat(RedisVersion.problem(info("6.2.0"))).isNull();
        assertThat(RedisVersion.problem(info("7.0.15"))).isNull();
        assertThat(RedisVersion.problem(info("10.0.1"))).isNull();
    }

    @Test
    void olderVersionsAreRefusedWithWhatToInstall() {
        // 5.0 is what embedded-redis bundles for Windows; 6.0 lacks XAUTOCLAIM and SET ... GET.
        assertThat(RedisVersion.problem(info("5.0.14"))).contains("5.0", "6.2 or newer", "XAUTOCLAIM");
        assertThat(RedisVersion.problem(info("6.0.16"))).contains("6.0", "6.2 or newer");
    }

    @Test
    void theRealServerPassesTheCheck() {
        try (RedisClient client = RedisClient.create(URI.create(redis.uri()))) {
            RedisVersion.check(client, redis.uri()); // would throw for a server older than 6.2
            assertThat(RedisVersion.problem(client.info("server"))).isNull();
        }
    }

    @Test
    void aServerThatDoesNotAnswerIsNotCheckedAndDoesNotStopTheNode() {
        try (RedisClient client = RedisClient.create(URI.create("redis://127.0.0.1:1"))) {
            RedisVersion.check(client, "redis://127.0.0.1:1"); // logs, does not throw
        }
    }
}
