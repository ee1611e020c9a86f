package com.example.im.embedded;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Properties;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

class InfraTest {

    private final ByteArrayOutputStream printed = new ByteArrayOutputStream();
    private final PrintStream out = new PrintStream(printed, true, StandardCharsets.UTF_8);

    @Test
    void startsARealZooKeeperAndRedisAndPrintsTheCommandsWithTheirPorts() throws Exception {
        Infra.Jar stage5 = new Infra.Jar("stage5.jar", true, true);
        int zk;
        int redis;
        try (Infra infra = Infra.start(Infra.Options.parse("--zk-port", "0", "--redis-port", "0"), stage5, out)) {
            zk = infra.zooKeeperPort();
            redis = infra.redisPort();
            assertThat(zk).isPositive();
            assertThat(redis).isPositive().isNotEqualTo(zk);
            assertThat(text())
                    .contains("ZooKeeper 3.", "on 127.0.0.1:" + zk)
                    .contains("Redis ", "on redis://127.0.0.1:" + redis)
                    .contains("java -jar stage5.jar --port 7001 --zk 127.0.0.1:" + zk + " --redis redis://127.0.0.1:"
                            + redis)
                    .contains("java -jar stage5.jar --port 7002 --zk 127.0.0.1:" + zk + " --redis redis://127.0.0.1:"
                            + redis)
                    .contains("java -cp stage5.jar com.example.im.client.ChatConsole --zk 127.0.0.1:" + zk
                            + " --strategy round-robin")
                    .contains("java -cp stage5.jar com.example.im.client.ChatConsole --zk none --port 7001")
                    .contains("Ctrl-C stops ZooKeeper and Redis")
                    .doesNotContain("was taken");

            assertThat(ask(zk, "srvr")).startsWith("Zookeeper version: ");
            assertThat(ask(redis, "PING\r\n")).startsWith("+PONG");
        }
        awaitClosed(zk);
        awaitClosed(redis);
    }

    @Test
    void aJarWithoutJedisGetsNoRedisAndAStage6JarGetsTheNodeByClassName() throws Exception {
        Infra.Jar stage4 = new Infra.Jar("stage4.jar", false, true);
        try (Infra infra = Infra.start(Infra.Options.parse("--zk-port=0"), stage4, out)) {
            assertThat(infra.redisPort()).isEqualTo(-1);
            assertThat(text()).contains("Redis: not started: the nodes of stage4.jar do not use Redis")
                    .contains("java -jar stage4.jar --port 7001 --zk 127.0.0.1:" + infra.zooKeeperPort() + "\n")
                    .doesNotContain("--redis")
                    .contains("Ctrl-C stops ZooKeeper.");
        }

        printed.reset();
        Infra.Jar stage6 = new Infra.Jar("stage6.jar", true, false);
        try (Infra infra = Infra.start(Infra.Options.parse("--zk-port", "0", "--no-redis"), stage6, out)) {
            assertThat(infra.redisPort()).isEqualTo(-1);
            assertThat(text()).contains("Redis: not started (--no-redis)")
                    .contains("java -cp stage6.jar com.example.im.server.ChatServer --port 7001 --zk 127.0.0.1:"
                            + infra.zooKeeperPort() + "\n");
        }
    }

    @Test
    void aTakenPortGivesAnotherOneAndSaysSo() throws Exception {
        try (ServerSocket squatter = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            int taken = squatter.getLocalPort();
            try (Infra infra = Infra.start(Infra.Options.parse("--zk-port", Integer.toString(taken)),
                    new Infra.Jar("stage4.jar", false, true), out)) {
                assertThat(infra.zooKeeperPort()).isNotEqualTo(taken);
                assertThat(text()).contains("on 127.0.0.1:" + infra.zooKeeperPort() + " (" + taken + " was taken)")
                        .contains("--zk 127.0.0.1:" + infra.zooKeeperPort());
            }
        }
    }

    @Test
    void badFlagsAreOneLineAndTheUsageWithStatus2() {
        ByteArrayOutputStream errBytes = new ByteArrayOutputStream();
        PrintStream err = new PrintStream(errBytes, true, StandardCharsets.UTF_8);

        assertThat(Infra.run(new String[] {"--zk-port", "twenty"}, out, err)).isEqualTo(2);
        assertThat(errBytes.toString(StandardCharsets.UTF_8)).isEqualTo(
                "error: --zk-port must be a port from 0 to 65535, got 'twenty'" + System.lineSeparator()
                        + Infra.USAGE + System.lineSeparator());
        assertThat(text()).isEmpty();

        assertThat(Infra.run(new String[] {"--help"}, out, err)).isZero();
        assertThat(text()).startsWith("usage: ");
    }

    @Test
    void theParserIsStrict() {
        assertThat(Infra.Options.parse()).isEqualTo(new Infra.Options(-1, -1, false));
        assertThat(Infra.Options.parse("--redis-port=6380", "--zk-port", "2182"))
                .isEqualTo(new Infra.Options(2182, 6380, false));
        assertThat(Infra.Options.parse("--no-redis")).isEqualTo(new Infra.Options(-1, -1, true));

        assertBad("unknown flag --zk (known: --zk-port, --redis-port, --no-redis)", "--zk", "127.0.0.1:2181");
        assertBad("unexpected argument '2181' (flags look like --zk-port 2181)", "2181");
        assertBad("--zk-port needs a value (a port, 0 for any free one)", "--zk-port");
        assertBad("--redis-port must be a port from 0 to 65535, got '70000'", "--redis-port", "70000");
        assertBad("--zk-port must be a port from 0 to 65535, got '-1'", "--zk-port", "-1");
        assertBad("--zk-port given twice", "--zk-port", "1", "--zk-port", "2");
        assertBad("--no-redis takes no value, got '--no-redis=true'", "--no-redis=true");
        assertBad("--redis-port and --no-redis contradict each other", "--no-redis", "--redis-port", "6379");
    }

    @Test
    void theJarIsShownRelativeToTheCurrentDirectoryWhenInsideIt() {
        Path here = Path.of("/home/me/netty-im-cluster");
        assertThat(Infra.relative(here.resolve("stage5/target/s5.jar"), here)).isEqualTo("stage5/target/s5.jar");
        assertThat(Infra.relative(Path.of("/opt/s5.jar"), here)).isEqualTo("/opt/s5.jar");
    }

    @Test
    void logsAreQuietUnlessTheUserChoseLevels() {
        Properties none = new Properties();
        Infra.quietLogs(none);
        assertThat(none).containsEntry("org.slf4j.simpleLogger.defaultLogLevel", "warn")
                .containsEntry("org.slf4j.simpleLogger.log.org.apache.zookeeper", "error")
                .containsEntry("org.slf4j.simpleLogger.log.org.apache.curator", "error");

        Properties chosen = new Properties();
        chosen.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "info");
        Infra.quietLogs(chosen);
        assertThat(chosen).hasSize(1).containsEntry("org.slf4j.simpleLogger.defaultLogLevel", "info");
    }

    @Test
    void portOrKeepsAFreePreferredPortAndReplacesATakenOne() throws IOException {
        try (ServerSocket squatter = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            assertThat(Infra.portOr(squatter.getLocalPort())).isNotEqualTo(squatter.getLocalPort()).isPositive();
        }
        assertThat(Infra.portOr(0)).isPositive();
    }

    @Test
    void theNodePortsAreFreeAndNotTheOnesZooKeeperOrRedisGot() throws IOException {
        int[] ports = Infra.nodePorts(7001, 7002); // as if ZooKeeper and Redis had been given 7001 and 7002
        assertThat(ports).hasSize(2).doesNotContain(7001, 7002).doesNotHaveDuplicates();
        try (ServerSocket squatter = new ServerSocket(ports[0], 1, InetAddress.getLoopbackAddress())) {
            // a node (or anything) already listens there: the next run prints other ports
            assertThat(Infra.nodePorts(7001, 7002)).doesNotContain(ports[0], 7001, 7002).doesNotHaveDuplicates();
        }
    }

    private void assertBad(String message, String... args) {
        assertThatThrownBy(() -> Infra.Options.parse(args)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage(message);
    }

    private String text() {
        return printed.toString(StandardCharsets.UTF_8);
    }

    /** Sends {@code request} on a fresh connection and returns what comes back until the server closes or 2 s pass. */
    private static String ask(int port, String request) throws IOException {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", port), 5_000);
            socket.setSoTimeout(5_000);
            socket.getOutputStream().write(request.getBytes(StandardCharsets.US_ASCII));
            socket.getOutputStream().flush();
            InputStream in = socket.getInputStream();
            byte[] buffer = new byte[4096];
            int n = in.read(buffer);
            return n < 0 ? "" : new String(buffer, 0, n, StandardCharsets.US_ASCII);
        }
    }

    private static void awaitClosed(int port) {
        Awaitility.await("port " + port + " closed").atMost(Duration.ofSeconds(10)).until(() -> {
            try (Socket socket = new Socket()) {
                socket.connect(new InetSocketAddress("127.0.0.1", port), 1_000);
                return false;
            } catch (ConnectException refused) {
                return true;
            }
        });
    }
}
