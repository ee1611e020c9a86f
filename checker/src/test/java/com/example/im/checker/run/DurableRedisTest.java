package com.example.im.checker.run;

import static org.assertj.core.api.Assertions.assertThat;

import com.example.im.embedded.EmbeddedRedis;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import redis.clients.jedis.RedisClient;

/** The redis-server of {@code redis = appendonly-always}: what it acknowledged survives a SIGKILL and a restart. */
class DurableRedisTest {

    @Test
    void anAcknowledgedWriteSurvivesAKillAndARestartFromTheSameDirectory(@TempDir Path dir) {
        int port = EmbeddedRedis.freePort();
        DurableRedis redis = DurableRedis.start(port, dir);
        try {
            try (RedisClient jedis = RedisClient.create("redis://127.0.0.1:" + port)) {
                assertThat(jedis.configGet("appendfsync")).containsEntry("appendfsync", "always");
                jedis.set("k", "acknowledged");
                jedis.incr("n");
            }
            redis.kill(); // SIGKILL: no shutdown save
            redis = DurableRedis.start(port, dir);
            try (RedisClient jedis = RedisClient.create("redis://127.0.0.1:" + port)) {
                assertThat(jedis.get("k")).isEqualTo("acknowledged");
                assertThat(jedis.get("n")).isEqualTo("1");
            }
        } finally {
            redis.close();
        }
    }
}
