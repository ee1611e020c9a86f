package com.example.im.testkit;

import com.github.dockerjava.api.model.ExposedPort;
import com.github.dockerjava.api.model.PortBinding;
import com.github.dockerjava.api.model.Ports;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.Network;
import org.testcontainers.containers.wait.strategy.Wait;
import org.testcontainers.utility.DockerImageName;
import org.testcontainers.utility.MountableFile;

/**
 * The containers backend of {@link StageJar}: the jar copied into a container of {@link Infra#JRE_IMAGE}. Inside, the
 * server binds 0.0.0.0 (127.0.0.1 would be the container's own loopback, unreachable through the published port).
 */
final class ContainerStageJar implements StageJar.Handle {

    private static final Logger log = LoggerFactory.getLogger(ContainerStageJar.class);
    /** The port inside the container; the container has its own network namespace, so a fixed port is free there. */
    static final int PORT = 7001;

    private final GenericContainer<?> container;
    private final Path output;
    private final String description;

    /** The fixed published port on 127.0.0.1, or 0 for a random mapping. */
    private final int hostPort;

    private ContainerStageJar(GenericContainer<?> container, int hostPort, Path output, String description) {
        this.container = container;
        this.hostPort = hostPort;
        this.output = output;
        this.description = description;
    }

    /** The network the stage-node containers share with the ZooKeeper and Redis containers (one per test JVM). */
    static Network network() {
        return Network.SHARED;
    }

    /**
     * Starts the jar with {@code --host 0.0.0.0 --port 7001} and {@code args}, on {@link #network()}; published on
     * 127.0.0.1:{@code hostPort}, or a random host port when it is 0 (a node that registers its address in ZooKeeper
     * must know the published port before it starts: {@code --advertise-port}).
     */
    static ContainerStageJar start(Path jar, List<String> args, int hostPort) {
        return start(jar, null, args, hostPort);
    }

    /** {@code mainClass} null: the jar's Main-Class ({@code java -jar}); else {@code java -cp <jar> <mainClass>}. */
    static ContainerStageJar start(Path jar, String mainClass, List<String> args, int hostPort) {
        if (!Infra.dockerAvailable()) {
            throw new IllegalStateException(Infra.noDockerAdvice("the stage jar"));
        }
        String inContainer = "/app/" + jar.getFileName();
        Path output = jar.resolveSibling("stage-jar").resolve(jar.getFileName() + "-container-"
                + System.nanoTime() + ".log");
        try {
            Files.createDirectories(output.getParent());
            Files.writeString(output, "");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create " + output, e);
        }
        @SuppressWarnings("resource") // stopped in close()
        List<String> command = new ArrayList<>(mainClass == null
                ? List.of("java", "-jar", inContainer)
                : List.of("java", "-cp", inContainer, mainClass));
        command.addAll(List.of("--host", "0.0.0.0", "--port", Integer.toString(PORT)));
        command.addAll(args);
        GenericContainer<?> container = new GenericContainer<>(DockerImageName.parse(Infra.JRE_IMAGE))
                .withImagePullPolicy(Infra.pullPolicy())
                .withCopyFileToContainer(MountableFile.forHostPath(jar), inContainer)
                .withCommand(command.toArray(String[]::new))
                .withExposedPorts(PORT)
                .withNetwork(network())
                .withLogConsumer(frame -> append(output, frame.getUtf8String()))
                // Not the published port: a Docker port proxy accepts on the host before the server listens inside.
                .waitingFor(Wait.forLogMessage(StageJar.READY_LOG + "\\n", 1)
                        .withStartupTimeout(Duration.ofSeconds(StageJar.START_TIMEOUT_SECONDS)));
        if (hostPort != 0) {
            container.withCreateContainerCmdModifier(cmd -> cmd.getHostConfig().withPortBindings(new PortBinding(
                    Ports.Binding.bindIpAndPort("127.0.0.1", hostPort), new ExposedPort(PORT))));
        }
        try {
            container.start();
        } catch (RuntimeException e) {
            container.stop();
            throw new IllegalStateException("the stage jar did not start in container " + Infra.JRE_IMAGE + ": "
                    + e.getMessage() + "\n--- its output ---\n" + StageJar.tail(output, 4000), e);
        }
        String description = "stage jar in container " + Infra.JRE_IMAGE + ": " + String.join(" ", command)
                + " (container " + container.getContainerId().substring(0, 12)
                + ", output in " + output + ")";
        ContainerStageJar server = new ContainerStageJar(container, hostPort, output, description);
        log.info("{}, published on {}:{}", description, server.host(), server.port());
        return server;
    }

    private static void append(Path output, String text) {
        try {
            Files.writeString(output, text, StandardCharsets.UTF_8, StandardOpenOption.APPEND);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + output, e);
        }
    }

    @Override
    public String host() {
        return hostPort != 0 ? "127.0.0.1" : container.getHost();
    }

    @Override
    public int port() {
        return hostPort != 0 ? hostPort : container.getMappedPort(PORT);
    }

    @Override
    public String description() {
        return description;
    }

    /** As {@code docker kill}: SIGKILL, no shutdown hook runs; then the container is removed. */
    @Override
    public void kill() {
        try {
            container.getDockerClient().killContainerCmd(container.getContainerId()).withSignal("KILL").exec();
        } finally {
            container.stop();
        }
        log.info("stage jar container killed (SIGKILL), output in {}", output);
    }

    /** As {@code docker stop}: SIGTERM, SIGKILL after the bound; then the container is removed. */
    @Override
    public void close() {
        if (!container.isRunning()) {
            return;
        }
        try {
            container.getDockerClient().stopContainerCmd(container.getContainerId())
                    .withTimeout(StageJar.STOP_TIMEOUT_SECONDS).exec();
        } finally {
            container.stop();
        }
        log.info("stage jar container stopped, output in {}", output);
    }
}
