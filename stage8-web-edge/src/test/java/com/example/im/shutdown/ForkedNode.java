package com.example.im.shutdown;

import java.io.File;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.awaitility.Awaitility;

/**
 * A node in a JVM of its own, started with the same classpath as the tests and the real {@code ChatServer.main}, so
 * that a test can send it a real SIGTERM ({@link Process#destroy()}) or kill it ({@link Process#destroyForcibly()}).
 */
final class ForkedNode implements AutoCloseable {

    final String nodeId;
    /** The port the node bound; 0 until its log has said (see {@link #port()}). */
    private volatile int port;
    final Path log;
    private final Process process;

    ForkedNode(String nodeId, String zk, String redis) throws IOException {
        this.nodeId = nodeId;
        this.log = Path.of("target", "forked-" + nodeId + ".log");
        List<String> command = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"),
                "com.example.im.server.ChatServer",
                "--port", "0", "--node-id", nodeId, "--zk", zk, "--redis", redis,
                "--zk-session-timeout-ms", Integer.toString(Cluster6.ZK_SESSION_MS),
                "--session-ttl-ms", Long.toString(Cluster6.SESSION_TTL_MS),
                "--load-refresh-ms", "200", "--shutdown-timeout-ms", "10000",
                "--http-port", "0", "--auth-key", com.example.im.auth.TestTokens.KEY_BASE64));
        this.process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    }

    Process process() {
        return process;
    }

    /** SIGTERM: the JVM runs its shutdown hook, i.e. the graceful shutdown. Returns the exit code. */
    int terminate() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
            throw new AssertionError("node " + nodeId + " did not exit within 30 s of SIGTERM; see " + log);
        }
        return process.exitValue();
    }

    /** SIGKILL: no shutdown hook, no cleanup — what kill -9 or a power cut does. */
    void kill() throws InterruptedException {
        process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
    }

    /** SIGSTOP: the JVM freezes (a long GC pause, a stopped VM) and keeps its sockets; {@link #resume()} wakes it. */
    void pause() throws IOException, InterruptedException {
        signal("STOP");
    }

    /** SIGCONT after {@link #pause()}: the node carries on as if no time had passed. */
    void resume() throws IOException, InterruptedException {
        signal("CONT");
    }

    private void signal(String name) throws IOException, InterruptedException {
        Process kill = new ProcessBuilder("kill", "-" + name, Long.toString(process.pid())).inheritIO().start();
        if (!kill.waitFor(10, TimeUnit.SECONDS) || kill.exitValue() != 0) {
            throw new AssertionError("kill -" + name + " " + process.pid() + " failed");
        }
    }

    InetSocketAddress address() {
        return new InetSocketAddress("127.0.0.1", port());
    }

    /**
     * The port the node listens on. It binds port 0 and logs the port it got: a free port picked here and handed to
     * it could be taken (by any connection's ephemeral port) before the new JVM binds it, which failed a test now and
     * then on a loaded machine. Waits, bounded, for the log line.
     */
    int port() {
        if (port == 0) {
            Awaitility.await("node " + nodeId + " to log the port it listens on (" + log + ")")
                    .atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(50)).until(() -> {
                        Matcher m = LISTENING.matcher(logText());
                        if (m.find()) {
                            port = Integer.parseInt(m.group(1));
                        }
                        return port != 0;
                    });
        }
        return port;
    }

    private static final Pattern LISTENING =
            Pattern.compile("chat server \\S+ listening on /127\\.0\\.0\\.1:(\\d+)");

    String logText() throws IOException {
        File file = log.toFile();
        return file.exists() ? java.nio.file.Files.readString(log) : "";
    }

    @Override
    public void close() throws InterruptedException {
        if (process.isAlive()) {
            kill();
        }
    }
}
