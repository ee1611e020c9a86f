package com.example.im.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * A stage's packaged jar run as a black box, the way its users run it (a fresh JVM from {@code java -jar}, the
 * stage's default flags but the address), for one test class:
 *
 * <pre>{@code
 * @RegisterExtension
 * static final StageJar server = new StageJar();
 * ... connect to server.address() ...
 * }</pre>
 *
 * <p>The test sees only a host and a port. The backend follows {@code -Dim.infra} (see {@link Infra}):
 * <ul>
 *   <li>{@code containers}: the jar copied into a container of {@link Infra#JRE_IMAGE}, started with
 *       {@code java -jar <jar> --host 0.0.0.0 --port 7001} and published on a random host port;
 *   <li>{@code local}: {@code java -jar <jar> --port <free port>} forked from this JVM's {@code java.home}, bound to
 *       127.0.0.1 (the stage's default host), its output in {@code target/stage-jar/}.
 * </ul>
 *
 * <p>The jar comes from the system property {@value #JAR_PROPERTY}, which maven-failsafe-plugin sets (the tests
 * using this fixture are {@code *IT} classes, run after {@code package}). A missing jar, a jar that exits or does
 * not accept connections in time fails the test class with the server's output; nothing is skipped. {@code close}
 * stops the server as {@code docker stop} would: SIGTERM, then SIGKILL after {@link #STOP_TIMEOUT_SECONDS}.
 */
public final class StageJar extends ServerExtension {

    /** The system property naming the stage's runnable (shaded) jar. */
    public static final String JAR_PROPERTY = "im.stage.jar";
    /** The line every stage logs once its server socket is bound (a container is ready when it appears). */
    static final String READY_LOG = ".*chat server .*listening on .*";
    static final int START_TIMEOUT_SECONDS = 60;
    static final int STOP_TIMEOUT_SECONDS = 10;

    /** A running stage jar, whichever backend started it. */
    interface Handle extends AutoCloseable {
        String host();

        int port();

        String description();

        /** SIGKILL (a crash): returns once it is dead. */
        void kill();

        /** As {@code docker stop}: SIGTERM, SIGKILL after {@link #STOP_TIMEOUT_SECONDS}; returns once it is gone. */
        @Override
        void close();
    }

    private final Infra.Backend requested;
    private final Path jar;
    private Handle server;

    public StageJar() {
        this(null, null);
    }

    /** A fixture with a fixed backend and jar (the testkit's own tests; null: from the system properties). */
    StageJar(Infra.Backend backend, Path jar) {
        this.requested = backend;
        this.jar = jar;
    }

    @Override
    protected void start() {
        Path stageJar = jar != null ? jar : jarFromProperty();
        server = (requested != null ? requested : Infra.backend()) == Infra.Backend.CONTAINERS
                ? ContainerStageJar.start(stageJar, List.of(), 0)
                : LocalStageJar.start(stageJar, List.of());
    }

    @Override
    protected void stop() {
        if (server != null) {
            server.close();
            server = null;
        }
    }

    public String host() {
        return running().host();
    }

    public int port() {
        return running().port();
    }

    /** Where a client connects: the host and (mapped) port, never the server's own view of its address. */
    public InetSocketAddress address() {
        return new InetSocketAddress(host(), port());
    }

    private Handle running() {
        if (server == null) {
            throw new IllegalStateException("the stage jar is not running: register StageJar with @RegisterExtension");
        }
        return server;
    }

    static Path jarFromProperty() {
        String value = System.getProperty(JAR_PROPERTY);
        if (value == null || value.isBlank()) {
            throw new IllegalStateException("-D" + JAR_PROPERTY + " is not set: StageJar runs a stage's packaged jar, "
                    + "so its tests are *IT classes run by maven-failsafe-plugin after `package` "
                    + "(./mvnw verify), which sets it");
        }
        return checkJar(Path.of(value));
    }

    static Path checkJar(Path jar) {
        if (!Files.isRegularFile(jar)) {
            throw new IllegalStateException("no stage jar at " + jar.toAbsolutePath()
                    + ": run the module's `package` phase first (./mvnw verify runs it before the *IT tests)");
        }
        return jar.toAbsolutePath();
    }

    /** The last {@code maxChars} of a server's output file, for a failure message. */
    static String tail(Path log, int maxChars) {
        try {
            String text = Files.exists(log) ? Files.readString(log) : "";
            return text.length() <= maxChars ? text : "..." + text.substring(text.length() - maxChars);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + log, e);
        }
    }
}
