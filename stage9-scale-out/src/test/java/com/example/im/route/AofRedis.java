package com.example.im.route;

import static org.awaitility.Awaitility.await;

import com.example.im.embedded.EmbeddedRedis;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import redis.clients.jedis.RedisClient;

/**
 * A redis-server of the test's own (the one {@link EmbeddedRedis#serverBinary()} names: from PATH, else the binary bundled
 * in embedded-redis, so a JDK is enough) that persists every write before it answers:
 * {@code appendonly yes}, {@code appendfsync always}, no RDB snapshots, in a temporary directory. {@link #crash()}
 * kills it with SIGKILL (no shutdown save); {@link #restart()} starts it again on the same port and directory, so it
 * reloads its append-only file. The testkit's Redis runs without persistence, hence this one.
 */
final class AofRedis implements AutoCloseable {

    private final Path dir;
    private final int port;
    private Process process;

    AofRedis() throws IOException {
        this.dir = Files.createTempDirectory("aof-redis-");
        this.port = EmbeddedRedis.freePort();
        start();
    }

    String uri() {
        return "redis://127.0.0.1:" + port;
    }

    private void start() throws IOException {
        process = new ProcessBuilder(EmbeddedRedis.serverBinary().toString(), "--port", Integer.toString(port),
                "--bind", "127.0.0.1",
                "--dir", dir.toString(), "--appendonly", "yes", "--appendfsync", "always", "--save", "",
                "--daemonize", "no", "--loglevel", "warning")
                .redirectErrorStream(true).redirectOutput(dir.resolve("redis.log").toFile()).start();
        await("redis-server with AOF on port " + port).atMost(Duration.ofSeconds(15)).ignoreExceptions()
                .until(() -> {
                    if (!process.isAlive()) {
                        throw new AssertionError("redis-server exited: " + Files.readString(dir.resolve("redis.log")));
                    }
                    try (RedisClient probe = RedisClient.create(java.net.URI.create(uri()))) {
                        // "loading" is an error reply while the AOF is replayed: ready means it answers PING.
                        return "PONG".equals(probe.ping());
                    }
                });
    }

    /** SIGKILL: what a crash or a power cut does; only what reached the append-only file survives. */
    void crash() throws InterruptedException {
        process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
    }

    void restart() throws IOException {
        start();
    }

    @Override
    public void close() throws IOException, InterruptedException {
        if (process != null && process.isAlive()) {
            crash();
        }
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
