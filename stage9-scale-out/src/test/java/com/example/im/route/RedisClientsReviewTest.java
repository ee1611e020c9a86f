package com.example.im.route;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.example.im.testkit.RedisClusterExtension;
import java.util.Arrays;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import redis.clients.jedis.ConnectionPoolConfig;
import redis.clients.jedis.DefaultJedisClientConfig;

/**
 * Review: a Redis Cluster has database 0 only (SELECT is refused). A {@code --redis} that names another database
 * for a cluster must be refused at start, in one sentence, not silently run on database 0, where another
 * deployment that was told it had database 1 to itself would share every key with it.
 */
class RedisClientsReviewTest {

    @RegisterExtension
    static final RedisClusterExtension redis = new RedisClusterExtension();

    @Test
    void aDatabaseIndexOnClusterSeedsIsRefused() {
        String withDb = Arrays.stream(redis.uri().split(",")).map(s -> s + "/1").collect(Collectors.joining(","));
        assertThatThrownBy(() -> RedisClients.open(withDb, DefaultJedisClientConfig.builder().build(),
                new ConnectionPoolConfig()).redis().close())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("database");
    }

    @Test
    void aDatabaseIndexOnOneSeedThatIsAClusterMemberIsRefused() {
        String one = redis.uri().split(",")[0] + "/2";
        assertThatThrownBy(() -> RedisClients.open(one, DefaultJedisClientConfig.builder().build(),
                new ConnectionPoolConfig()).redis().close())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("database");
    }
}
