package com.example.im.demo;

import static org.assertj.core.api.Assertions.assertThat;

import com.example.im.client.ChatClient;
import com.example.im.client.ClientConfig;
import com.example.im.client.NodeLocator;
import com.example.im.config.Flags;
import com.example.im.registry.Registry;
import com.example.im.testkit.RedisExtension;
import com.example.im.testkit.ZooKeeperExtension;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
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
        // Stage 7: dave is not logged in, so the group message waits in his mailbox for his next login.
        assertThat(text).contains("MSG alice: hi bob", "MSG bob: hello alice",
                "(offline, stored for their next login: dave)", "-- every message arrived --");
        // ... and it arrives when he logs in, after the group message was acknowledged.
        assertThat(text).containsPattern("dave +\\| MSG alice -> \\[bob,carol,dave\\]: lunch at noon");

        try (CuratorFramework curator = Registry.curator(zk.connectString(), 10_000);
             RedisClient inspect = RedisClient.create(redis.host(), redis.port())) {
            assertThat(curator.getChildren().forPath(Registry.SERVERS_PATH)).as("registered nodes").isEmpty();
            assertThat(inspect.keys("im:session:*")).as("sessions").isEmpty();
            assertThat(inspect.keys("im:leaving:*")).isEmpty();
        }
    }

    /**
     * Stage 8: with --tls the script runs over TLS, and the console command the demo prints works as printed: a
     * client built from its flags gets a token from the https token issuer (trusting the demo's certificate, nothing
     * else) and logs in over TLS. The browser hint names the certificate's SPKI pin.
     */
    @Test
    void withTlsTheScriptAndThePrintedConsoleCommandWorkOverTls() throws Exception {
        ByteArrayOutputStream transcript = new ByteArrayOutputStream();
        PrintStream out = new PrintStream(transcript, true, StandardCharsets.UTF_8);
        try (ClusterDemo demo = ClusterDemo.start(2, 0, 0, true, zk.connectString(), redis.uri(), out)) {
            assertThat(demo.playScript()).as(transcript.toString(StandardCharsets.UTF_8)).isTrue();
            assertThat(demo.pageUrl(demo.nodes().get(0))).startsWith("https://127.0.0.1:");
            assertThat(demo.browserHint()).contains("--ignore-certificate-errors-spki-list=");
            String command = demo.consoleCommand();
            assertThat(command).contains(" --token-url https://127.0.0.1:", " --tls-trust ");
            String[] flags = command.substring(command.indexOf(" --") + 1).split(" ");
            ClientConfig config = ClientConfig.fromFlags(Flags.parse(flags,
                    Set.of("zk", "strategy", "token-url", "tls-trust")));
            int port = demo.nodes().get(1).localAddress().getPort();
            com.example.im.client.Recorder sees = new com.example.im.client.Recorder();
            ChatClient zed = ChatClient.connect(config.withReconnect(false),
                    NodeLocator.fixed("127.0.0.1", port), "zed", sees);
            try {
                org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(10))
                        .until(() -> sees.count(com.example.im.protocol.Envelope.BodyCase.LOGIN_ACK) == 1);
            } finally {
                zed.close();
            }
        }
    }

    /** Stage 8: the demo's own commands stop one node (a learner watches a page move) and the demo still closes. */
    @Test
    void theStopAndCrashCommandsStopOneNodeEach() throws Exception {
        ByteArrayOutputStream transcript = new ByteArrayOutputStream();
        PrintStream out = new PrintStream(transcript, true, StandardCharsets.UTF_8);
        try (ClusterDemo demo = ClusterDemo.start(3, 0, zk.connectString(), redis.uri(), out)) {
            demo.commands(new java.io.BufferedReader(new java.io.StringReader("nodes\nstop 2\ncrash 3\nstop 2\nfoo\n")),
                    out);
            assertThat(demo.nodes()).hasSize(1);
        }
        assertThat(transcript.toString(StandardCharsets.UTF_8)).contains("node 2 (", "stopped gracefully",
                "node 3 (", "crashed", "no running node 2", "commands: stop N | crash N | nodes");
    }

    @Test
    void withoutFlagsTheDemoBringsItsOwnZooKeeperAndRedis() throws Exception {
        ByteArrayOutputStream transcript = new ByteArrayOutputStream();
        PrintStream out = new PrintStream(transcript, true, StandardCharsets.UTF_8);
        try (ClusterDemo demo = ClusterDemo.start(2, 0, null, null, out)) {
            assertThat(transcript.toString(StandardCharsets.UTF_8)).contains("(embedded) on 127.0.0.1:")
                    .containsPattern("Redis \\d+\\.\\d+\\.\\d+ \\(");
            assertThat(demo.zooKeeper()).startsWith("127.0.0.1:");
            assertThat(demo.consoleCommand()).contains(" --zk " + demo.zooKeeper() + " ");
            assertThat(demo.playScript()).as(transcript.toString(StandardCharsets.UTF_8)).isTrue();
        }
    }

    @Test
    void theCommandLineTheUsageShowsIsAccepted() {
        // Every "[--name value]" and "[--name]" of the usage, in order (the switch used to fail: "needs a value").
        List<String> args = new ArrayList<>();
        Matcher option = Pattern.compile("\\[(--[a-z-]+)(?: ([^\\]]+))?]").matcher(ClusterDemo.USAGE);
        while (option.find()) {
            args.add(option.group(1));
            if (option.group(2) != null) {
                args.add(option.group(2));
            }
        }
        assertThat(args).contains("--exit-after-script");
        Flags flags = ClusterDemo.flags(args.toArray(String[]::new));
        assertThat(Boolean.parseBoolean(flags.get("exit-after-script", "false"))).isTrue();
        assertThat(flags.getInt("nodes", 0)).isEqualTo(2);

        Flags switchFirst = ClusterDemo.flags(new String[] {"--exit-after-script", "--nodes", "3"});
        assertThat(Boolean.parseBoolean(switchFirst.get("exit-after-script", "false"))).isTrue();
        assertThat(switchFirst.getInt("nodes", 0)).isEqualTo(3);
        assertThat(Boolean.parseBoolean(ClusterDemo.flags(new String[] {"--exit-after-script=false"})
                .get("exit-after-script", "true"))).isFalse();
        Flags spelledOut = ClusterDemo.flags(new String[] {"--exit-after-script", "true", "--nodes", "3"});
        assertThat(spelledOut.get("exit-after-script", "false")).isEqualTo("true");
        assertThat(spelledOut.getInt("nodes", 0)).isEqualTo(3);
    }

    /**
     * The demo in a JVM of its own, with its own ZooKeeper and Redis, stopped by SIGTERM (what Ctrl-C and the
     * README's users do): every node leaves gracefully through a Redis that is still there, and stops. Redis' own
     * exit guard used to kill it at the same time as the demo's shutdown began, and each node's shutdown then
     * failed on it (warnings, and seconds of waiting on a Redis that was gone).
     */
    @Test
    void aSigtermStopsTheNodesWhileRedisIsStillThereAndThenEverything() throws Exception {
        java.nio.file.Path out = java.nio.file.Files.createTempFile("demo-", ".log");
        Process demo = new ProcessBuilder(java.nio.file.Path.of(System.getProperty("java.home"), "bin", "java")
                .toString(), "-cp", System.getProperty("java.class.path"), ClusterDemo.class.getName(),
                "--base-port", "0").redirectErrorStream(true).redirectOutput(out.toFile()).start();
        try {
            org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(60))
                    .until(() -> java.nio.file.Files.readString(out).contains("The cluster stays up")
                            || !demo.isAlive());
            assertThat(java.nio.file.Files.readString(out)).contains("-- every message arrived --");
            demo.destroy(); // SIGTERM
            assertThat(demo.waitFor(60, java.util.concurrent.TimeUnit.SECONDS)).as("the demo exited").isTrue();
            String text = java.nio.file.Files.readString(out);
            assertThat(text).as(text).contains("Shutting down", "stopped.")
                    .doesNotContain("WARN", "Failed to connect", "Unexpected end of stream");
        } finally {
            demo.destroyForcibly();
            java.nio.file.Files.deleteIfExists(out);
        }
    }
}
