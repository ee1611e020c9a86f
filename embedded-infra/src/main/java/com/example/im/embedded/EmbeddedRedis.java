package com.example.im.embedded;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.awaitility.Awaitility;
import org.awaitility.core.ConditionTimeoutException;
import redis.embedded.core.ExecutableProvider;

/**
 * A real Redis on 127.0.0.1: {@code redis-server} from PATH (what CI installs), else the binary shipped inside
 * {@code com.github.codemonstur:embedded-redis}. Persistence is off: every start is an empty server. Used by the
 * testkit's local backend, by stage 6's demo and by {@link Infra}.
 */
public final class EmbeddedRedis implements AutoCloseable {

    /** What stops a started server and waits until it is gone. */
    private final Runnable stopper;
    private final int port;
    private final String binary;
    private final long pid;
    /** The shutdown hook that stops the server if this JVM exits before {@link #close()}; see {@link #stopLast()}. */
    private final Thread orphanGuard;

    /** Kills the server with SIGKILL (no shutdown of its own) and waits until it is gone. */
    private final Runnable killer;

    private EmbeddedRedis(int port, String binary, long pid, Thread orphanGuard, Runnable stopper, Runnable killer) {
        this.port = port;
        this.binary = binary;
        this.pid = pid;
        this.orphanGuard = orphanGuard;
        this.stopper = stopper;
        this.killer = killer;
    }

    /**
     * A crash rather than a stop: SIGKILL ({@link Process#destroyForcibly()}), so Redis saves nothing and closes
     * nothing on its own. {@link EmbeddedRedisCluster#killMaster} uses it; {@link #close()} afterwards is harmless.
     */
    void kill() {
        killer.run();
    }

    /**
     * For a program whose own shutdown hook stops its nodes and then this server: removes this server's guard hook.
     * Shutdown hooks run at the same time, so the guard would kill Redis while the nodes are still leaving through
     * it (the demo's Ctrl-C: every node's graceful shutdown failed on a Redis that was already gone). The program's
     * hook must call {@link #close()}.
     */
    public void stopLast() {
        removeHook(orphanGuard);
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

    /**
     * The server's {@code redis_version} ("7.0.15"), asked over a raw socket ({@code INFO server}); "unknown" when the
     * reply names none.
     */
    public String version() {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", port), 2_000);
            socket.setSoTimeout(2_000);
            socket.getOutputStream().write("INFO server\r\n".getBytes(StandardCharsets.US_ASCII));
            socket.getOutputStream().flush();
            InputStream in = socket.getInputStream();
            String header = readLine(in); // "$<length>" of a bulk string
            if (!header.startsWith("$")) {
                throw new IOException("unexpected reply to INFO: " + header);
            }
            String info = new String(in.readNBytes(Integer.parseInt(header.substring(1))), StandardCharsets.UTF_8);
            Matcher m = Pattern.compile("(?m)^redis_version:([0-9.]+)").matcher(info);
            return m.find() ? m.group(1) : "unknown";
        } catch (IOException | NumberFormatException e) {
            throw new IllegalStateException("Redis on 127.0.0.1:" + port + " did not answer INFO: " + e, e);
        }
    }

    /** True when {@code version} ("6.0.16") is at least {@code major.minor}; false when it is not a version. */
    public static boolean atLeast(String version, int major, int minor) {
        Matcher m = Pattern.compile("^(\\d+)\\.(\\d+)").matcher(version);
        if (!m.find()) {
            return false;
        }
        int actualMajor = Integer.parseInt(m.group(1));
        return actualMajor > major || (actualMajor == major && Integer.parseInt(m.group(2)) >= minor);
    }

    private static String readLine(InputStream in) throws IOException {
        StringBuilder line = new StringBuilder();
        for (int b = in.read(); b != '\n'; b = in.read()) {
            if (b < 0) {
                throw new IOException("connection closed");
            }
            if (b != '\r') {
                line.append((char) b);
            }
        }
        return line.toString();
    }

    /** e.g. "redis-server /usr/bin/redis-server (PATH) on 127.0.0.1:41234". */
    public String description() {
        return binary + " on 127.0.0.1:" + port;
    }

    /** Which binary runs: "redis-server /usr/bin/redis-server (PATH)" or "embedded-redis binary". */
    public String binary() {
        return binary;
    }

    @Override
    public void close() {
        stopper.run();
    }

    private static final Duration START_TIMEOUT = Duration.ofSeconds(10);
    /**
     * What to do when no usable Redis is found here, on every platform. On Windows the binary bundled in
     * embedded-redis is Redis 5.0, older than the 6.2 the stages need, so a Windows user needs one of these.
     */
    public static final String INSTALL_ADVICE = "Install Redis 6.2 or newer and put redis-server on PATH"
            + " (Debian/Ubuntu: apt-get install -y redis-server; macOS: brew install redis;"
            + " Windows: in WSL2, apt-get install -y redis-server and run it there, or Memurai or another"
            + " Redis-for-Windows build >= 6.2 with redis-server.exe on PATH),"
            + " or use Docker: the tests with -Dim.infra=containers; by hand, docker run -p 6379:6379 redis:7"
            + " and Infra --no-redis.";

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
        return startProcess(serverBinary(), port, serverDescription());
    }

    /**
     * What {@link #serverBinary()} is, for descriptions: "redis-server /usr/bin/redis-server (PATH)" or
     * "embedded-redis binary".
     */
    static String serverDescription() {
        return findOnPath("redis-server") // redis-server.exe on Windows
                .map(onPath -> "redis-server " + onPath + " (PATH)").orElse("embedded-redis binary");
    }

    /** The binary bundled in embedded-redis, even when redis-server is on PATH (tests of the fallback use it). */
    public static EmbeddedRedis startEmbedded(int port) {
        return startProcess(embeddedBinary(), port, "embedded-redis binary");
    }

    /**
     * The redis-server {@link #startOn} runs: the one on PATH, else the binary bundled in embedded-redis. For a test
     * that needs a Redis configured otherwise (with an append-only file, say) and still only a JDK.
     */
    public static Path serverBinary() {
        return findOnPath("redis-server").orElseGet(EmbeddedRedis::embeddedBinary);
    }

    private static Path embeddedBinary() {
        try {
            return ExecutableProvider.newJarResourceProvider().get().toPath();
        } catch (IOException | RuntimeException e) {
            throw new IllegalStateException("No redis-server on PATH and the embedded-redis binary is not available "
                    + "for this platform (" + e + "). " + INSTALL_ADVICE, e);
        }
    }

    /**
     * Runs {@code binary} on {@code port} with persistence off, plus {@code extraArgs} (options of redis-server, e.g.
     * {@code "--cluster-enabled", "yes"}; a later option wins over an earlier one), and waits until it answers PING.
     * {@code what} names the binary in {@link #description()}. Shared by {@link #startOn} and
     * {@link EmbeddedRedisCluster}.
     */
    static EmbeddedRedis startProcess(Path binary, int port, String what, String... extraArgs) {
        List<String> command = new ArrayList<>();
        // In a session of its own where setsid exists: a Ctrl-C in the terminal then reaches only the JVM, which
        // shuts its nodes down gracefully while Redis is still there, and stops Redis last.
        findOnPath("setsid").ifPresent(setsid -> command.add(setsid.toString()));
        command.addAll(List.of(binary.toString(),
                "--port", Integer.toString(port), "--bind", "127.0.0.1",
                "--save", "", "--appendonly", "no", "--daemonize", "no", "--loglevel", "warning"));
        command.addAll(List.of(extraArgs));
        Process process;
        File log;
        try {
            log = Files.createTempFile("redis-" + port + "-", ".log").toFile();
            log.deleteOnExit();
            process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log).start();
        } catch (IOException e) {
            throw new IllegalStateException("Cannot run " + binary + ": " + e.getMessage() + ". " + INSTALL_ADVICE, e);
        }
        // setsid keeps a terminal's Ctrl-C from reaching Redis, so nothing else stops it when this JVM exits (a
        // Ctrl-C or SIGTERM while it starts, a test JVM that is told to stop): this hook does, until close() runs.
        Thread orphanGuard = new Thread(process::destroy, "redis-" + port + "-exit");
        Runtime.getRuntime().addShutdownHook(orphanGuard);
        try {
            awaitPong(port, process::isAlive);
        } catch (IllegalStateException e) {
            process.destroyForcibly();
            removeHook(orphanGuard);
            throw new IllegalStateException(e.getMessage() + " Log: " + readQuietly(log.toPath()), e);
        }
        return new EmbeddedRedis(port, what, process.pid(), orphanGuard, () -> {
            removeHook(orphanGuard);
            process.destroy();
            try {
                if (!process.waitFor(5, TimeUnit.SECONDS)) {
                    process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, () -> {
            process.destroyForcibly();
            try {
                process.waitFor(5, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
    }

    private static void removeHook(Thread hook) {
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException shuttingDown) {
            // the hook runs (or ran) anyway
        }
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

    /** {@code program} in a directory of this process's PATH: {@link #findExecutable} with this machine's values. */
    static Optional<Path> findOnPath(String program) {
        return findExecutable(program, System.getenv("PATH"), System.getProperty("os.name", ""),
                System.getenv("PATHEXT"));
    }

    /**
     * The first directory of {@code path} holding {@code program}, as the shell would find it. On Windows
     * ({@code osName} starting with "Windows") the separator is ';', and each extension of {@code pathExt}
     * (".COM;.EXE;.BAT;.CMD" when null or empty) is tried after the bare name, so "redis-server" finds
     * redis-server.exe; there a regular file counts (execute permission is not a file bit). Elsewhere the separator
     * is ':' and the file must be executable. A parameter each, so that both cases are testable on either system.
     */
    static Optional<Path> findExecutable(String program, String path, String osName, String pathExt) {
        if (path == null || path.isEmpty()) {
            return Optional.empty();
        }
        boolean windows = osName.startsWith("Windows");
        List<String> names = new ArrayList<>(List.of(program));
        if (windows) {
            String extensions = pathExt == null || pathExt.isBlank() ? ".COM;.EXE;.BAT;.CMD" : pathExt;
            for (String extension : extensions.split(";")) {
                if (!extension.isBlank()) {
                    names.add(program + extension.strip().toLowerCase(Locale.ROOT));
                }
            }
        }
        for (String dir : path.split(windows ? ";" : ":")) {
            dir = dir.strip();
            if (windows && dir.length() > 1 && dir.startsWith("\"") && dir.endsWith("\"")) {
                dir = dir.substring(1, dir.length() - 1);
            }
            if (dir.isEmpty()) {
                continue;
            }
            for (String name : names) {
                Path candidate;
                try {
                    candidate = Path.of(dir, name);
                } catch (InvalidPathException notAPath) {
                    break;
                }
                if (Files.isRegularFile(candidate) && (windows || Files.isExecutable(candidate))) {
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
