package com.example.im.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.RedisClusterClient;

class RedisClusterExtensionTest {

    @RegisterExtension
    static final RedisClusterExtension redis = new RedisClusterExtension();

    @Test
    void aClusterClientReachesEveryMasterThroughTheUri() {
        assertThat(redis.cluster().masterPorts()).hasSize(3);
        assertThat(redis.uri().split(",")).hasSize(6);
        try (RedisClusterClient jedis = RedisClusterClient.create(Arrays.stream(redis.uri().split(","))
                .map(u -> HostAndPort.from(u.substring("redis://".length()))).collect(Collectors.toSet()))) {
            for (int i = 0; i < 30; i++) {
                jedis.set("k" + i, "v" + i);
            }
            for (int i = 0; i < 30; i++) {
                assertThat(jedis.get("k" + i)).isEqualTo("v" + i);
            }
        }
    }
}
