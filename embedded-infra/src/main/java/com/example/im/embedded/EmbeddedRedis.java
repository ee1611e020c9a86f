package com.example.im.embedded;

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
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.awaitility.Awaitility;
import org.awaitility.core.ConditionTimeoutException;
import redis.embedded.core.ExecutableProvider;

/**
 * A real Redis on 127.0.0.1: {@code redis-server} from PATH (what CI installs), else the binary shipped inside
 * {@code com.github.codemonstur:embedded-redis}. Persistence is off: every start is an empty server. Used by the
 * testkit's local backend and by stage 6's demo.
 */
public final class EmbeddedRedis implements AutoCloseable {

    /** What stops a started server and waits until it is gone. */
    private final Runnable stopper;
    private final int port;
    private final String description;
    private final long pid;

    private EmbeddedRedis(int port, String description, long pid, Runnable stopper) {
        this.port = port;
        this.description = description;
        this.pid = pid;
        this.stopper = stopper;
    }

    /**
     * The server's process id (setsid replaces itself with redis-server, so it is Redis's own): the checker sends it
     * SIGSTOP / SIGCONT to simulate a Redis that stops answering without closing its connections.
     */
    public long pid() {
        return pid;
    }

    public String host() {
        return "127.0.0.1";
    }

    public int port() {
        return port;
    }

    public String uri() {
        return "redis://127.0.0.1:" + port;
    }

    /** e.g. "redis-server /usr/bin/redis-server (PATH) on 127.0.0.1:41234". */
    public String description() {
        return description;
    }

    @Override
    public void close() {
        stopper.run();
    }

    private static final Duration START_TIMEOUT = Duration.ofSeconds(10);
    static final String INSTALL_ADVICE = "Install Redis (Debian/Ubuntu: apt-get install -y redis-server; "
            + "macOS: brew install redis), or run the tests with Docker and -Dim.infra=containers.";

    /** A Redis on a free port. */
    public static EmbeddedRedis start() {
        IllegalStateException failure = null;
        // A free port can be taken by someone else between our probe and Redis's bind: try a few.
        for (int attempt = 0; attempt < 3; attempt++) {
            try {
                return startOn(freePort());
            } catch (IllegalStateException e) {
                failure = e;
            }
        }
        throw failure;
    }

    /** A Redis on {@code port} (a restart uses the port the stopped server had). */
    public static EmbeddedRedis startOn(int port) {
        Optional<Path> onPath = findOnPath("redis-server");
        return onPath.isPresent() ? startProcess(onPath.get(), port, "redis-server " + onPath.get() + " (PATH)")
                : startEmbedded(port);
    }

    /** The binary bundled in embedded-redis, even when redis-server is on PATH (tests of the fallback use it). */
    public static EmbeddedRedis startEmbedded(int port) {
        Path binary;
        try {
            binary = ExecutableProvider.newJarResourceProvider().get().toPath();
        } catch (IOException | RuntimeException e) {
            throw new IllegalStateException("No redis-server on PATH and the embedded-redis binary is not available "
                    + "for this platform (" + e + "). " + INSTALL_ADVICE, e);
        }
        return startProcess(binary, port, "embedded-redis binary");
    }

    private static EmbeddedRedis startProcess(Path binary, int port, String what) {
        List<String> command = new ArrayList<>();
        // In a session of its own where setsid exists: a Ctrl-C in the terminal then reaches only the JVM, which
        // shuts its nodes down gracefully while Redis is still there, and stops Redis last.
        findOnPath("setsid").ifPresent(setsid -> command.add(setsid.toString()));
        command.addAll(List.of(binary.toString(),
                "--port", Integer.toString(port), "--bind", "127.0.0.1",
                "--save", "", "--appendonly", "no", "--daemonize", "no", "--loglevel", "warning"));
        Process process;
        File log;
        try {
            log = Files.createTempFile("redis-" + port + "-", ".log").toFile();
            log.deleteOnExit();
            process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log).start();
        } catch (IOException e) {
            throw new IllegalStateException("Cannot run " + binary + ": " + e.getMessage() + ". " + INSTALL_ADVICE, e);
        }
        try {
            awaitPong(port, process::isAlive);
        } catch (IllegalStateException e) {
            process.destroyForcibly();
            throw new IllegalStateException(e.getMessage() + " Log: " + readQuietly(log.toPath()), e);
        }
        return new EmbeddedRedis(port, what + " on 127.0.0.1:" + port, process.pid(), () -> {
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

    /** A free TCP port on 127.0.0.1 (redis-server cannot bind port 0 and report it). */
    public static int freePort() {
        try (java.net.ServerSocket socket = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException("no free port on 127.0.0.1", e);
        }
    }

    static Optional<Path> findOnPath(String program) {
        return findOnPath(program, System.getenv("PATH"), File.pathSeparator,
                System.getProperty("os.name", "").startsWith("Windows"));
    }

    /** The first executable {@code program} in {@code path}; on Windows {@code program.exe} too (redis-server.exe). */
    static Optional<Path> findOnPath(String program, String path, String separator, boolean windows) {
        if (path == null) {
            return Optional.empty();
        }
        List<String> names = windows ? List.of(program + ".exe", program) : List.of(program);
        for (String dir : path.split(java.util.regex.Pattern.quote(separator))) {
            if (dir.isEmpty()) {
                continue;
            }
            for (String name : names) {
                Path candidate = Path.of(dir, name);
                if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
                    return Optional.of(candidate);
                }
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
