package com.example.im.embedded;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.RedisClusterClient;

/** Real redis-server processes: the cluster forms, serves keys on every master, and survives losing one. */
class EmbeddedRedisClusterTest {

    @Test
    void formsServesEveryMasterAndFailsOverToAReplicaThatHasTheKey() {
        try (EmbeddedRedisCluster cluster = EmbeddedRedisCluster.start(3, 1)) {
            assertThat(cluster.ports()).hasSize(6);
            assertThat(cluster.masterPorts()).hasSize(3);
            assertThat(cluster.uri().split(",")).hasSize(6).allMatch(u -> u.startsWith("redis://127.0.0.1:"));
            assertThat(cluster.description()).startsWith("Redis Cluster 3 masters x 1 replica: redis-server ");

            // one key per master, found by its slot
            Map<Integer, String> keyOnMaster = new HashMap<>();
            for (int i = 0; keyOnMaster.size() < 3 && i < 10_000; i++) {
                keyOnMaster.putIfAbsent(cluster.masterOf("key" + i), "key" + i);
            }
            assertThat(keyOnMaster.keySet()).containsExactlyInAnyOrderElementsOf(cluster.masterPorts());

            Set<HostAndPort> seeds = Arrays.stream(cluster.uri().split(","))
                    .map(u -> HostAndPort.from(u.substring("redis://".length()))).collect(Collectors.toSet());
            try (RedisClusterClient client = RedisClusterClient.create(seeds)) {
                keyOnMaster.values().forEach(key -> assertThat(client.set(key, "v-" + key)).isEqualTo("OK"));
                keyOnMaster.values().forEach(key -> assertThat(client.get(key)).isEqualTo("v-" + key));
            }
            // each master really holds its key (not just some node that redirected)
            keyOnMaster.forEach((port, key) -> {
                try (Jedis jedis = new Jedis("127.0.0.1", port)) {
                    assertThat(jedis.get(key)).isEqualTo("v-" + key);
                    // the write reached the replica before the crash, as the stage's WAIT 1 makes sure
                    assertThat(jedis.waitReplicas(1, 2000)).isEqualTo(1);
                }
            });

            String key = keyOnMaster.values().iterator().next();
            int victim = cluster.masterOf(key);
            List<Integer> replicas = cluster.replicasOf(victim);
            assertThat(replicas).hasSize(1).doesNotContainAnyElementsOf(cluster.masterPorts());
            List<Integer> before = cluster.masterPorts();
            long pid = cluster.killMaster(victim);
            assertThat(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)).isFalse();
            Duration took = cluster.awaitFailover();

            int promoted = cluster.masterOf(key);
            assertThat(promoted).isNotEqualTo(victim).isNotIn(before).isEqualTo(replicas.get(0));
            assertThat(cluster.masterPorts()).hasSize(3).doesNotContain(victim);
            try (RedisClusterClient client = RedisClusterClient.create(seeds)) {
                for (String k : keyOnMaster.values()) {
                    assertThat(client.get(k)).isEqualTo("v-" + k);
                }
            }
            System.out.println("failover after SIGKILL took " + took.toMillis() + " ms (node timeout "
                    + cluster.nodeTimeoutMillis() + " ms)");

            // the crashed node comes back as the replica of the one that took its place
            cluster.restart(victim);
            try (Jedis jedis = new Jedis("127.0.0.1", victim)) {
                String replication = jedis.info("replication");
                assertThat(replication).contains("role:slave").contains("master_port:" + promoted);
            }
            assertThat(cluster.masterPorts()).doesNotContain(victim).contains(promoted);
            assertThat(cluster.replicasOf(promoted)).containsExactly(victim);
        }
    }
}
