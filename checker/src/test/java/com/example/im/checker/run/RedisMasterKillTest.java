package com.example.im.checker.run;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.example.im.checker.analysis.Analysis;
import com.example.im.checker.analysis.Promise;
import com.example.im.checker.analysis.Summary;
import com.example.im.checker.history.Event;
import com.example.im.checker.history.History;
import com.example.im.embedded.EmbeddedRedisCluster;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import redis.clients.jedis.Jedis;

/**
 * Stage 9's Redis backend in the checker: {@code redis = cluster} starts a real Redis Cluster (3 masters x 1 replica),
 * and the fault redis-master-kill kills a master that holds clients' mailboxes, waits for the failover, brings the
 * killed process back as a replica, and records each step; faults that cannot act on the stage's Redis are refused
 * before anything starts.
 */
class RedisMasterKillTest {

    private static Stage stage(String redis) {
        Map<String, String> promise = new HashMap<>(Map.of("main", "x.Main", "uses", "zk, redis"));
        if (redis != null) {
            promise.put("redis", redis);
        }
        return Stage.of("s", "s.jar", promise::get);
    }

    private static Run.Settings settings(Stage stage, String... faults) {
        return new Run.Settings(stage, 3, 4, 10, 10, List.of(faults), 1, Path.of("unused"), 0);
    }

    @Test
    void thePromiseChoosesARedisCluster() {
        Stage nine = stage("cluster");
        assertThat(nine.redisCluster()).isTrue();
        assertThat(nine.redisAof()).isFalse();
        assertThat(stage("appendonly-always").redisCluster()).isFalse();
        assertThat(stage(null).redisCluster()).isFalse();
        assertThatThrownBy(() -> stage("sentinel")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'cluster'");
        Map<String, String> noRedis = Map.of("main", "x.Main", "uses", "zk", "redis", "cluster");
        assertThatThrownBy(() -> Stage.of("s", "s.jar", noRedis::get)).hasMessageContaining("use no Redis");
        assertThat(Promise.parse("lost-acked = redis-master-kill").allowedFaults(
                com.example.im.checker.analysis.Outcome.LOST_ACKED)).containsExactly("redis-master-kill");
    }

    @Test
    void aFaultThatCannotActOnTheStagesRedisIsRefusedBeforeAnythingStarts() {
        assertThatThrownBy(() -> settings(stage("cluster"), "kill9", "redis-restart"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("fault redis-restart").hasMessageContaining("Redis Cluster")
                .hasMessageContaining("redis-master-kill");
        assertThatThrownBy(() -> settings(stage("cluster"), "redis-pause")).hasMessageContaining("fault redis-pause");
        assertThatThrownBy(() -> settings(stage("appendonly-always"), "redis-master-kill"))
                .hasMessageContaining("fault redis-master-kill").hasMessageContaining("one redis-server");
        assertThatThrownBy(() -> settings(stage(null), "redis-master-kill"))
                .hasMessageContaining("fault redis-master-kill");
        // and what does apply is accepted
        assertThat(settings(stage("cluster"), "pause", "sigterm", "kill9", "redis-master-kill").faults()).hasSize(4);
        assertThat(settings(stage("appendonly-always"), "redis-restart").faults()).hasSize(1);
    }

    @Test
    void aMasterHoldingAClientsMailboxIsKilledAndItsReplicaTakesOverThenItRejoinsAsAReplica(@TempDir Path dir)
            throws Exception {
        // No node: the fault acts on Redis alone. One client, so exactly one master holds a client's mailbox.
        try (Cluster cluster = new Cluster(stage("cluster"), 0, dir);
             History history = new History(dir.resolve("history.jsonl"))) {
            EmbeddedRedisCluster redis = cluster.redisCluster();
            assertThat(redis).isNotNull();
            List<Integer> before = redis.masterPorts();
            assertThat(before).hasSize(Cluster.CLUSTER_MASTERS);
            int expected = redis.masterOf("im:mailbox:{c07}");
            try (Jedis jedis = new Jedis("127.0.0.1", expected)) {
                jedis.set("im:probe:{c07}", "acked");
                assertThat(jedis.waitReplicas(1, 2_000)).isEqualTo(1); // what a SendAck waits for
            }

            Faults faults = new Faults(cluster, stage("cluster"), history, new Random(1), List.of("c07"));
            faults.run(List.of(new Faults.Planned("redis-master-kill", 0)), history.now());

            List<Event> steps = history.events().stream().filter(e -> "fault".equals(e.type())).toList();
            assertThat(steps).extracting(Event::phase).containsExactly("start", "failover", "rejoined", "end");
            assertThat(steps).extracting(Event::node).containsOnly("redis:" + expected);
            assertThat(steps).extracting(Event::fault).containsOnly("redis-master-kill");
            List<Integer> after = redis.masterPorts();
            assertThat(after).hasSize(Cluster.CLUSTER_MASTERS).doesNotContain(expected);
            int promoted = after.stream().filter(p -> !before.contains(p)).findFirst().orElseThrow();
            assertThat(steps.get(1).text()).contains("took over").contains("127.0.0.1:" + promoted)
                    .containsPattern("cluster ok again \\d+ ms after the kill");
            try (Jedis old = new Jedis("127.0.0.1", expected); Jedis now = new Jedis("127.0.0.1", promoted)) {
                assertThat(old.info("replication")).contains("role:slave").contains("master_port:" + promoted)
                        .contains("master_link_status:up");
                assertThat(now.get("im:probe:{c07}")).isEqualTo("acked"); // WAITed before the kill: kept
            }
            assertThat(redis.masterOf("im:mailbox:{c07}")).isEqualTo(promoted);

            // The summary shows the steps between start and end (the failover window, the rejoin).
            Analysis analysis = Analysis.of(history.events(), 10_000, true);
            assertThat(analysis.faultSteps()).hasSize(2);
            assertThat(Summary.text(analysis, Promise.parse("").judge(analysis)))
                    .contains("redis-master-kill redis:" + expected + ", failover at")
                    .contains("rejoined at");
        }
    }
}
