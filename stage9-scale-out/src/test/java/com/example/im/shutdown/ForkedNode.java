package com.example.im.shutdown;

import com.example.im.testkit.FreePorts;
import java.io.File;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A node in a JVM of its own, started with the same classpath as the tests and the real {@code ChatServer.main}, so
 * that a test can send it a real SIGTERM ({@link Process#destroy()}) or kill it ({@link Process#destroyForcibly()}).
 */
final class ForkedNode implements AutoCloseable {

    final String nodeId;
    final int port;
    final Path log;
    private final Process process;

    ForkedNode(String nodeId, String zk, String redis) throws IOException {
        this.nodeId = nodeId;
        this.port = FreePorts.next();
        this.log = Path.of("target", "forked-" + nodeId + ".log");
        List<String> command = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"),
                "com.example.im.server.ChatServer",
                "--port", Integer.toString(port), "--node-id", nodeId, "--zk", zk, "--redis", redis,
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
        return new InetSocketAddress("127.0.0.1", port);
    }

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
