package com.example.im.testkit;

import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.awaitility.core.ConditionTimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The local backend of {@link StageJar} and {@link StageCluster}: {@code java -jar <jar> --port <free port> [args]}, a
 * child process of this JVM.
 */
final class LocalStageJar implements StageJar.Handle {

    private static final Logger log = LoggerFactory.getLogger(LocalStageJar.class);
    private static final String HOST = "127.0.0.1";

    private final Process process;
    private final int port;
    private final Path output;
    private final String description;

    /** Stops the server if this JVM exits without close() (a test JVM told to stop, a fork timeout, Ctrl-C). */
    private final Thread orphanGuard;

    private LocalStageJar(Process process, int port, Path output, String description) {
        this.process = process;
        this.port = port;
        this.output = output;
        this.description = description;
        this.orphanGuard = new Thread(process::destroyForcibly, "stage-jar-" + port + "-exit");
        Runtime.getRuntime().addShutdownHook(orphanGuard);
    }

    /**
     * Netty's paranoid leak detector, as in the test JVMs (parent pom): a buffer the stage forgets to release is
     * logged as "LEAK:" in the jar's output, which CI searches (target/stage-jar/*.log).
     */
    static final String LEAK_DETECTION = "-Dio.netty.leakDetection.level=paranoid";

    static LocalStageJar start(Path jar, List<String> args) {
        return start(jar, null, args);
    }

    /** {@code mainClass} null: the jar's Main-Class ({@code java -jar}); else {@code java -cp <jar> <mainClass>}. */
    static LocalStageJar start(Path jar, String mainClass, List<String> args) {
        int port = FreePorts.next();
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        List<String> command = new ArrayList<>(mainClass == null
                ? List.of(java.toString(), LEAK_DETECTION, "-jar", jar.toString())
                : List.of(java.toString(), LEAK_DETECTION, "-cp", jar.toString(), mainClass));
        command.addAll(List.of("--port", Integer.toString(port)));
        command.addAll(args);
        Path output = jar.resolveSibling("stage-jar").resolve(jar.getFileName() + "-" + port + ".log");
        Process process;
        try {
            Files.createDirectories(output.getParent());
            process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(output.toFile()).start();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start " + String.join(" ", command), e);
        }
        String description = "stage jar as local process: " + String.join(" ", command) + " (pid " + process.pid()
                + ", output in " + output + ")";
        LocalStageJar server = new LocalStageJar(process, port, output, description);
        try {
            await("stage jar " + jar.getFileName() + " accepting on " + HOST + ":" + port)
                    .atMost(Duration.ofSeconds(StageJar.START_TIMEOUT_SECONDS))
                    .pollInterval(Duration.ofMillis(50))
                    .until(server::accepting);
        } catch (ConditionTimeoutException | IllegalStateException e) {
            server.close();
            throw new IllegalStateException("the stage jar did not start: " + e.getMessage() + "\n" + description
                    + "\n--- its output ---\n" + StageJar.tail(output, 4000), e);
        }
        log.info("{}, accepting on {}:{}", description, HOST, port);
        return server;
    }

    /** True once the port accepts a connection; an exited process fails at once instead of waiting out the bound. */
    private boolean accepting() {
        if (!process.isAlive()) {
            throw new IllegalStateException("it exited with code " + process.exitValue() + " before accepting");
        }
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress(HOST, port), 1000);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    @Override
    public String host() {
        return HOST;
    }

    @Override
    public int port() {
        return port;
    }

    @Override
    public String description() {
        return description;
    }

    /** SIGKILL: the process dies at once, no shutdown hook runs (a crash, {@code kill -9}). */
    @Override
    public void kill() {
        process.destroyForcibly();
        try {
            if (!process.waitFor(StageJar.STOP_TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                throw new IllegalStateException("stage jar (pid " + process.pid() + ") still alive after SIGKILL");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        log.info("stage jar (pid {}) killed (SIGKILL), output in {}", process.pid(), output);
    }

    /** SIGTERM (the server's shutdown hook closes it), then SIGKILL if it has not exited within the bound. */
    @Override
    public void close() {
        try {
            Runtime.getRuntime().removeShutdownHook(orphanGuard);
        } catch (IllegalStateException shuttingDown) {
            // the hook stops it anyway
        }
        if (!process.isAlive()) {
            return;
        }
        process.destroy();
        try {
            if (!process.waitFor(StageJar.STOP_TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                log.warn("stage jar (pid {}) ignored SIGTERM for {} s; killing it", process.pid(),
                        StageJar.STOP_TIMEOUT_SECONDS);
                process.destroyForcibly().waitFor(StageJar.STOP_TIMEOUT_SECONDS, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
        log.info("stage jar (pid {}) stopped, output in {}", process.pid(), output);
    }
}
