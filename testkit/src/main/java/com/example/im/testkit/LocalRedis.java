package com.example.im.testkit;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.awaitility.Awaitility;
import org.awaitility.core.ConditionTimeoutException;
import redis.embedded.RedisServer;

/**
 * A real Redis on 127.0.0.1 and a free port: {@code redis-server} from PATH (what CI installs), else the binary
 * shipped inside {@code com.github.codemonstur:embedded-redis}. Persistence is off: tests start from an empty server.
 */
final class LocalRedis {

    private static final Duration START_TIMEOUT = Duration.ofSeconds(10);
    static final String INSTALL_ADVICE = "Install Redis (Debian/Ubuntu: apt-get install -y redis-server; "
            + "macOS: brew install redis) or run with Docker and -D" + Infra.PROPERTY + "=containers.";

    private LocalRedis() {
    }

    static RedisServerHandle start() {
        IllegalStateException failure = null;
        // A free port can be taken by someone else between our probe and Redis's bind: try a few.
        for (int attempt = 0; attempt < 3; attempt++) {
            try {
                return startOn(FreePorts.next());
            } catch (IllegalStateException e) {
                failure = e;
            }
        }
        throw failure;
    }

    /** A Redis on {@code port} (a restart uses the port the stopped server had). */
    static RedisServerHandle startOn(int port) {
        Optional<Path> onPath = findOnPath("redis-server");
        return onPath.isPresent() ? startProcess(onPath.get(), port) : startEmbedded(port);
    }

    private static RedisServerHandle startProcess(Path binary, int port) {
        List<String> command = List.of(binary.toString(),
                "--port", Integer.toString(port), "--bind", "127.0.0.1",
                "--save", "", "--appendonly", "no", "--daemonize", "no", "--loglevel", "warning");
        Process process;
        File log;
        try {
            log = Files.createTempFile("redis-" + port + "-", ".log").toFile();
            log.deleteOnExit();
            process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log).start();
        } catch (IOException e) {
            throw new IllegalStateException("Cannot run " + binary + ": " + e.getMessage() + ". " + INSTALL_ADVICE, e);
        }
        String what = "redis-server " + binary + " (PATH)";
        try {
            awaitPong(port, process::isAlive);
        } catch (IllegalStateException e) {
            process.destroyForcibly();
            throw new IllegalStateException(e.getMessage() + " Log: " + readQuietly(log.toPath()), e);
        }
        return new RedisServerHandle("127.0.0.1", port, what + " on 127.0.0.1:" + port, () -> {
            process.destroy();
            try {
                if (!process.waitFor(5, TimeUnit.SECONDS)) {
                    process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
    }

    static RedisServerHandle startEmbedded(int port) {
        RedisServer server;
        try {
            server = RedisServer.newRedisServer().port(port).bind("127.0.0.1")
                    .setting("save \"\"").setting("appendonly no").build();
            server.start();
        } catch (IOException | RuntimeException e) {
            throw new IllegalStateException("No redis-server on PATH and the embedded-redis binary did not start "
                    + "on port " + port + " (" + e + "). " + INSTALL_ADVICE, e);
        }
        awaitPong(port, server::isActive);
        return new RedisServerHandle("127.0.0.1", port, "embedded-redis binary on 127.0.0.1:" + port, () -> {
            try {
                server.stop();
            } catch (IOException e) {
                throw new IllegalStateException("embedded Redis did not stop", e);
            }
        });
    }

    /** Waits for "+PONG" on a raw socket: the server is accepting commands, not just listening. */
    private static void awaitPong(int port, BooleanSupplier alive) {
        try {
            Awaitility.await("Redis on 127.0.0.1:" + port)
                    .atMost(START_TIMEOUT)
                    .pollInterval(Duration.ofMillis(20))
                    .until(() -> {
                        if (!alive.getAsBoolean()) {
                            throw new IllegalStateException("Redis exited before answering on port " + port + ".");
                        }
                        return pong(port);
                    });
        } catch (ConditionTimeoutException e) {
            throw new IllegalStateException("Redis did not answer PING on 127.0.0.1:" + port + " within "
                    + START_TIMEOUT.toSeconds() + " s.", e);
        }
    }

    private static boolean pong(int port) {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", port), 200);
            socket.setSoTimeout(500);
            OutputStream out = socket.getOutputStream();
            out.write("PING\r\n".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = socket.getInputStream();
            byte[] reply = in.readNBytes(7);
            return new String(reply, StandardCharsets.US_ASCII).startsWith("+PONG");
        } catch (IOException e) {
            return false;
        }
    }

    static Optional<Path> findOnPath(String program) {
        String path = System.getenv("PATH");
        if (path == null) {
            return Optional.empty();
        }
        for (String dir : path.split(File.pathSeparator)) {
            Path candidate = Path.of(dir, program);
            if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
                return Optional.of(candidate);
            }
        }
        return Optional.empty();
    }

    private static String readQuietly(Path file) {
        try {
            return Files.readString(file).strip();
        } catch (IOException e) {
            return "(unreadable: " + e.getMessage() + ")";
        }
    }
}
