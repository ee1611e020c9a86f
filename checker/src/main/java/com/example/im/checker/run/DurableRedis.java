package com.example.im.checker.run;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * A redis-server with an append-only file, {@code appendfsync always}: every write is on disk before Redis answers
 * it (a promise's {@code redis = appendonly-always}). Its data directory is fixed for the run, so a restart on the
 * same port and directory loads what the last one had acknowledged. {@link #kill()} is a crash (SIGKILL: no shutdown
 * save), which is what the redis-restart fault does with it. The embedded-infra Redis runs without persistence on
 * purpose (every test starts empty); this one is the checker's, for stage 7's promise.
 */
final class DurableRedis implements AutoCloseable {

    private final int port;
    private final Path dir;
    private final Process process;
    private final Thread orphanGuard;

    private DurableRedis(int port, Path dir, Process process, Thread orphanGuard) {
        this.port = port;
        this.dir = dir;
        this.process = process;
        this.orphanGuard = orphanGuard;
    }

    /** Starts redis-server on {@code port}, with its AOF in {@code dir}; returns once it answers PING. */
    static DurableRedis start(int port, Path dir) {
        // The same redis-server embedded-infra runs: from PATH, else the binary bundled in embedded-redis.
        Path binary = com.example.im.embedded.EmbeddedRedis.serverBinary();
        List<String> command = new ArrayList<>();
        // A session of its own, as embedded-infra's Redis: a Ctrl-C reaches the checker, which stops Redis last.
        onPath("setsid").ifPresent(setsid -> command.add(setsid.toString()));
        command.addAll(List.of(binary.toString(), "--port", Integer.toString(port), "--bind", "127.0.0.1",
                "--dir", dir.toAbsolutePath().toString(), "--save", "",
                "--appendonly", "yes", "--appendfsync", "always", "--daemonize", "no", "--loglevel", "notice"));
        Process process;
        try {
            Files.createDirectories(dir);
            process = new ProcessBuilder(command).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("redis.log").toFile())).start();
        } catch (IOException e) {
            throw new IllegalStateException("cannot run " + binary + ": " + e.getMessage(), e);
        }
        Thread guard = new Thread(process::destroyForcibly, "redis-" + port + "-exit");
        Runtime.getRuntime().addShutdownHook(guard);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (!pong(port)) {
            if (!process.isAlive() || System.nanoTime() > deadline) {
                process.destroyForcibly();
                removeHook(guard);
                throw new IllegalStateException("redis-server with AOF on port " + port + " did not answer PING"
                        + " (see " + dir.resolve("redis.log") + ")");
            }
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                process.destroyForcibly();
                removeHook(guard);
                throw new IllegalStateException("interrupted while redis-server started", e);
            }
        }
        return new DurableRedis(port, dir, process, guard);
    }

    long pid() {
        return process.pid();
    }

    int port() {
        return port;
    }

    String description() {
        return "redis-server with appendonly yes, appendfsync always (dir " + dir + ") on 127.0.0.1:" + port;
    }

    /** A crash: SIGKILL, and waits until the process is gone. What was acknowledged is in the AOF already. */
    void kill() {
        removeHook(orphanGuard);
        Signals.sendQuietly("CONT", process.pid()); // a stopped process dies of SIGKILL too, but be sure it is reaped
        process.destroyForcibly();
        await();
    }

    /** A clean stop (SIGTERM: Redis fsyncs the AOF and exits). */
    @Override
    public void close() {
        removeHook(orphanGuard);
        Signals.sendQuietly("CONT", process.pid());
        process.destroy();
        await();
    }

    private void await() {
        try {
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void removeHook(Thread hook) {
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException shuttingDown) {
            // the hook runs anyway
        }
    }

    /** "+PONG" on a raw socket: loaded and serving (a Redis loading its AOF answers -LOADING). */
    private static boolean pong(int port) {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", port), 200);
            socket.setSoTimeout(500);
            socket.getOutputStream().write("PING\r\n".getBytes(StandardCharsets.US_ASCII));
            socket.getOutputStream().flush();
            InputStream in = socket.getInputStream();
            return new String(in.readNBytes(5), StandardCharsets.US_ASCII).equals("+PONG");
        } catch (IOException e) {
            return false;
        }
    }

    private static Optional<Path> onPath(String program) {
        String path = System.getenv("PATH");
        if (path == null) {
            return Optional.empty();
        }
        for (String dir : path.split(java.io.File.pathSeparator)) {
            if (dir.isBlank()) {
                continue;
            }
            Path candidate = Path.of(dir.strip(), program);
            if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
                return Optional.of(candidate);
            }
        }
        return Optional.empty();
    }
}
