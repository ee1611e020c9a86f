package com.example.im.demo;

import static org.assertj.core.api.Assertions.assertThat;

import com.example.im.registry.Registry;
import com.example.im.testkit.RedisExtension;
import com.example.im.testkit.ZooKeeperExtension;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.apache.curator.framework.CuratorFramework;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import redis.clients.jedis.RedisClient;

/** The README's main job, through the same code path: start, the scripted conversation, a shutdown that cleans up. */
class ClusterDemoTest {

    @RegisterExtension
    @Order(1)
    static final ZooKeeperExtension zk = new ZooKeeperExtension();

    @RegisterExtension
    @Order(2)
    static final RedisExtension redis = new RedisExtension();

    @Test
    void theScriptedConversationSucceedsAndTheShutdownLeavesNothingBehind() throws Exception {
        ByteArrayOutputStream transcript = new ByteArrayOutputStream();
        PrintStream out = new PrintStream(transcript, true, StandardCharsets.UTF_8);
        try (ClusterDemo demo = ClusterDemo.start(2, 0, zk.connectString(), redis.uri(), out)) {
            assertThat(demo.playScript()).as(transcript.toString(StandardCharsets.UTF_8)).isTrue();
        }
        String text = transcript.toString(StandardCharsets.UTF_8);
        assertThat(text).contains("MSG alice: hi bob", "MSG bob: hello alice", "(offline: dave)",
                "-- every message arrived --");

        try (CuratorFramework curator = Registry.curator(zk.connectString(), 10_000);
             RedisClient inspect = RedisClient.create(redis.host(), redis.port())) {
            assertThat(curator.getChildren().forPath(Registry.SERVERS_PATH)).as("registered nodes").isEmpty();
            assertThat(inspect.keys("im:session:*")).as("sessions").isEmpty();
            assertThat(inspect.keys("im:leaving:*")).isEmpty();
        }
    }

    @Test
    void withoutFlagsTheDemoBringsItsOwnZooKeeperAndRedis() throws Exception {
        ByteArrayOutputStream transcript = new ByteArrayOutputStream();
        PrintStream out = new PrintStream(transcript, true, StandardCharsets.UTF_8);
        try (ClusterDemo demo = ClusterDemo.start(2, 0, null, null, out)) {
            assertThat(transcript.toString(StandardCharsets.UTF_8)).contains("(embedded) on 127.0.0.1:", "Redis (");
            assertThat(demo.playScript()).as(transcript.toString(StandardCharsets.UTF_8)).isTrue();
        }
    }
}
