package com.example.im.checker.run;

import com.example.im.embedded.net.FaultProxy;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * One node of the checked cluster: the stage's jar in a JVM of its own ({@code java -cp <jar> <main> --port ...}),
 * so that the checker can SIGKILL, SIGTERM, SIGSTOP and SIGCONT it like an operating system, an OOM killer, a deploy
 * tool or a garbage collector would. It always comes back under the same node id and port; its ZooKeeper and Redis
 * traffic goes through {@link FaultProxy proxies} of its own, so that the network to one node can fail alone.
 */
final class Node implements AutoCloseable {

    final String id;
    final int port;
    final FaultProxy zkProxy;
    final FaultProxy redisProxy;
    /** Stage 9 on a Redis Cluster: every cluster node, for {@code --redis}; null: Redis through {@link #redisProxy}. */
    private final String redisSeeds;
    private final Stage stage;
    private final Path log;
    private Process process;
    private boolean closed;

    Node(String id, int port, Stage stage, FaultProxy zkProxy, FaultProxy redisProxy, Path log) {
        this(id, port, stage, zkProxy, redisProxy, null, log);
    }

    /**
     * @param redisSeeds a Redis Cluster's nodes ("redis://h:p,redis://h:p,..."), given to the node as they are: a
     *                   cluster client learns every node's own address from CLUSTER SLOTS and dials it directly, so a
     *                   proxy in front of one seed would carry almost nothing
     */
    Node(String id, int port, Stage stage, FaultProxy zkProxy, FaultProxy redisProxy, String redisSeeds, Path log) {
        this.id = id;
        this.redisSeeds = redisSeeds;
        this.port = port;
        this.stage = stage;
        this.zkProxy = zkProxy;
        this.redisProxy = redisProxy;
        this.log = log;
    }

    /**
     * Starts the node and returns once it accepts connections (at most 30 s). Refused once the node is closed: a
     * fault still running while the checker stops (Ctrl-C) must not start a JVM nobody will stop.
     */
    void start() throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx256m", "-XX:+UseSerialGC", "-cp", stage.classpath(), stage.mainClass(),
                "--port", Integer.toString(port), "--node-id", id,
                "--zk", "127.0.0.1:" + zkProxy.address().getPort()));
        if (stage.usesRedis()) {
            command.addAll(List.of("--redis", redisSeeds != null ? redisSeeds
                    : "redis://127.0.0.1:" + redisProxy.address().getPort()));
        }
        command.addAll(stage.flags());
        Process started;
        synchronized (this) {
            if (closed) {
                throw new IOException("node " + id + " is closed: not started again");
            }
            if (process != null && process.isAlive()) {
                // Its port would answer for the new one, and the new one could not bind it.
                throw new IOException("node " + id + " is still running (pid " + process.pid() + ")");
            }
            ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
            if (stage.auth() != null) {
                // Stage 8: the token key, in the environment rather than on the command line (ps shows that).
                builder.environment().put(Auth.ENV, stage.auth().keyBase64());
            }
            process = builder.start();
            started = process;
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!accepts()) {
            if (!started.isAlive()) {
                throw new IOException("node " + id + " exited with " + started.exitValue() + " while starting; see "
                        + log);
            }
            if (System.nanoTime() > deadline) {
                throw new IOException("node " + id + " did not listen on port " + port + " within 30 s; see " + log);
            }
            Thread.sleep(50);
        }
    }

    private boolean accepts() {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", port), 200);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    synchronized boolean alive() {
        return process != null && process.isAlive();
    }

    synchronized long pid() {
        return process.pid();
    }

    /** kill -9: no shutdown hook, nothing cleaned up. */
    void kill9() throws IOException, InterruptedException {
        Process p;
        synchronized (this) {
            p = process;
        }
        if (!p.destroyForcibly().waitFor(10, TimeUnit.SECONDS)) {
            throw new IOException("node " + id + " (pid " + p.pid() + ") did not exit within 10 s of SIGKILL");
        }
    }

    /** SIGTERM: the node's shutdown hook runs (the graceful shutdown from stage 6 on). Returns false if it hung. */
    boolean sigterm(long waitMillis) throws IOException, InterruptedException {
        Process p;
        synchronized (this) {
            p = process;
        }
        p.destroy();
        if (p.waitFor(waitMillis, TimeUnit.MILLISECONDS)) {
            return true;
        }
        if (!p.destroyForcibly().waitFor(10, TimeUnit.SECONDS)) {
            throw new IOException("node " + id + " (pid " + p.pid() + ") did not exit within 10 s of SIGKILL");
        }
        return false;
    }

    /** SIGSTOP / SIGCONT: the JVM freezes as in a long stop-the-world GC pause; its sockets stay open. */
    void signal(String name) throws IOException, InterruptedException {
        Signals.send(name, pid());
    }

    @Override
    public void close() throws InterruptedException {
        Process p;
        synchronized (this) {
            closed = true;
            p = process;
        }
        if (p != null && p.isAlive()) {
            Signals.sendQuietly("CONT", p.pid());
            p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
        zkProxy.close();
        redisProxy.close();
    }
}
