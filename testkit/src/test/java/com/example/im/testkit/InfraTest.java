package com.example.im.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import redis.clients.jedis.RedisClient;

class InfraTest {

    @Test
    void explicitSettingsAreHonouredAndUnknownOnesRejected() {
        assertThat(Infra.resolve("local")).isEqualTo(Infra.Backend.LOCAL);
        assertThat(Infra.resolve(" Containers ")).isEqualTo(Infra.Backend.CONTAINERS);
        assertThatThrownBy(() -> Infra.resolve("docker"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("auto, containers, local");
    }

    @Test
    void autoWithoutADockerEngineIsLocal() {
        // Whatever this machine has: with no engine auto is local; with one, containers only if the images are usable
        // (checked in ImageCheckTest and InfraDecisionTest); here the rule must at least not throw or hang.
        Infra.Backend backend = Infra.resolve("auto");
        if (!Infra.dockerAvailable()) {
            assertThat(backend).isEqualTo(Infra.Backend.LOCAL);
        }
    }

    @Test
    void theContainersBackendFailsClearlyWithoutDockerAndWorksWithIt() throws Exception {
        RedisExtension redis = new RedisExtension(Infra.Backend.CONTAINERS);
        ZooKeeperExtension zk = new ZooKeeperExtension(1, Infra.Backend.CONTAINERS);
        if (!Infra.dockerAvailable()) {
            // Never a skip, never a silent fall back to local servers.
            assertThatThrownBy(redis::start)
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("no Docker engine answered")
                    .hasMessageContaining("-Dim.infra=local");
            assertThatThrownBy(zk::start)
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("Cannot start ZooKeeper");
            return;
        }
        redis.start();
        try (RedisClient jedis = RedisClient.create(redis.host(), redis.port())) {
            assertThat(jedis.ping()).isEqualTo("PONG");
        } finally {
            redis.stop();
        }
        zk.start();
        try (var client = ZooKeeperExtensionTest.curator(zk.connectString())) {
            assertThat(client.checkExists().forPath("/zookeeper")).isNotNull();
        } finally {
            zk.stop();
        }
    }
}
