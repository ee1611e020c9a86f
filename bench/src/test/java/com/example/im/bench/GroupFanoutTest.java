package com.example.im.bench;

import static org.assertj.core.api.Assertions.assertThat;

import com.example.im.bench.Bench.Scenarios;
import com.example.im.bench.Meter.Result;
import com.example.im.embedded.EmbeddedRedis;
import com.example.im.server.ChatServer;
import java.net.URI;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.RedisClient;

/**
 * Scenario 5b's runs against a real Redis: a group spread over three stage 6 nodes gets every message both ways, and
 * the Redis pushes are what docs/benchmarks.md says they are — one per remote member for 方式一, one per node with
 * members for 方式二. Counts only; never a speed.
 */
class GroupFanoutTest {

    private static final int MEMBERS = 9; // a group of 10: the sender on node A, three members on each of A, B, C

    @Test
    void aGroupOverThreeNodesGetsEveryMessageBothWaysAndOneFramePushesOncePerNode() throws Exception {
        try (EmbeddedRedis redis = EmbeddedRedis.start();
             RedisClient admin = RedisClient.create(URI.create(redis.uri()));
             Scenarios scenarios = new Scenarios(Map.of("redis", redis.uri(), "groups", "2", "group-size",
                     String.valueOf(MEMBERS + 1), "group-window", "2", "warmup", "0", "seconds", "0.3",
                     "load-threads", "1"), new Table());
             ChatServer a = ChatServer.start(scenarios.nodeConfig());
             ChatServer b = ChatServer.start(scenarios.nodeConfig());
             ChatServer c = ChatServer.start(scenarios.nodeConfig())) {
            List<ChatServer> nodes = List.of(a, b, c);

            long before = xadds(admin);
            Result perMember = scenarios.fanout(nodes, false);
            long perMemberPushes = xadds(admin) - before;
            Result list = scenarios.fanout(nodes, true);
            long listPushes = xadds(admin) - before - perMemberPushes;

            for (Result run : List.of(perMember, list)) {
                assertThat(run.sent()).as(run.label()).isPositive().isEqualTo(run.delivered());
                assertThat(run.sent() % MEMBERS).as("%s: whole group messages", run.label()).isZero();
            }
            // The closed loop ends drained, so every push of its messages has happened: exact counts.
            assertThat(perMemberPushes).as("方式一: one inbox entry per remote member (6 of 9)")
                    .isEqualTo(perMember.sent() / MEMBERS * 6);
            assertThat(listPushes).as("方式二: one inbox entry per node with members (B and C)")
                    .isEqualTo(list.sent() / MEMBERS * 2);
        }
    }

    /** XADD calls Redis has served so far (INFO commandstats): each is one inbox entry pushed to one node. */
    private static long xadds(RedisClient redis) {
        for (String line : redis.info("commandstats").split("\\r?\\n")) {
            if (line.startsWith("cmdstat_xadd:")) {
                return Long.parseLong(line.replaceAll("^[^:]*:calls=(\\d+),.*", "$1"));
            }
        }
        return 0;
    }
}
