package com.example.im.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.example.im.embedded.EmbeddedRedis;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import redis.clients.jedis.RedisClient;
import redis.clients.jedis.exceptions.JedisConnectionException;

class RedisExtensionTest {

    @RegisterExtension
    static final RedisExtension redis = new RedisExtension(Infra.Backend.LOCAL);

    @Test
    void localRedisIsARealServerOnLoopbackThatJedisUses() {
        try (RedisClient jedis = RedisClient.create(redis.host(), redis.port())) {
            jedis.set("greeting", "你好");
            assertThat(jedis.get("greeting")).isEqualTo("你好");
            assertThat(jedis.configGet("bind").values()).containsExactly("127.0.0.1");
            // Persistence is off: tests never write dump files or AOF logs.
            assertThat(jedis.configGet("save").values()).containsExactly("");
            assertThat(jedis.configGet("appendonly").values()).containsExactly("no");
        }
    }

    @Test
    void aServerCanBeStoppedAndRestartedEmptyOnTheSamePort() {
        RedisExtension own = new RedisExtension(Infra.Backend.LOCAL);
        own.start();
        try (RedisClient jedis = RedisClient.create(own.host(), own.port())) {
            jedis.set("k", "v");
            own.stopServer();
            assertThatThrownBy(jedis::ping).isInstanceOf(JedisConnectionException.class);
            own.restartServer();
            // The pool reconnects by itself; nothing survived (no persistence), as after a Redis crash.
            assertThat(jedis.ping()).isEqualTo("PONG");
            assertThat(jedis.get("k")).isNull();
        } finally {
            own.stop();
        }
    }

    @Test
    void theEmbeddedBinaryFallbackStartsARealServerToo() {
        // What a machine without redis-server on PATH gets.
        EmbeddedRedis embedded = EmbeddedRedis.startEmbedded(FreePorts.next());
        try (RedisClient jedis = RedisClient.create(embedded.host(), embedded.port())) {
            jedis.rpush("queue", "a", "b");
            assertThat(jedis.lrange("queue", 0, -1)).isEqualTo(List.of("a", "b"));
        } finally {
            embedded.close();
        }
    }
}
