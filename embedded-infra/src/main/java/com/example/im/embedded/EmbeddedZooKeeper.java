package com.example.im.embedded;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.curator.test.InstanceSpec;
import org.apache.curator.test.TestingServer;

/**
 * A real ZooKeeper server inside this JVM (curator-test's {@link TestingServer}), bound to 127.0.0.1, its data in a
 * temporary directory that is deleted on close. For trying the cluster without installing ZooKeeper.
 */
public final class EmbeddedZooKeeper implements AutoCloseable {

    private static final String LOOPBACK = "127.0.0.1";

    private final TestingServer server;
    private final Path workDirectory;

    private EmbeddedZooKeeper(TestingServer server, Path workDirectory) {
        this.server = server;
        this.workDirectory = workDirectory;
    }

    /** Starts on {@code port}; -1 picks a free one. */
    public static EmbeddedZooKeeper start(int port) throws Exception {
        Path work = Files.createTempDirectory("embedded-zookeeper");
        try {
            return new EmbeddedZooKeeper(new TestingServer(loopbackSpec(work, port, -1), true), work);
        } catch (Exception | Error e) {
            deleteWorkDirectory(work);
            throw e;
        }
    }

    /**
     * What curator-test needs to run one server of ours: clients served on 127.0.0.1 only, files under
     * {@code workDirectory}. {@code serverId} -1 is a single server, 1..n a member of an ensemble.
     *
     * <p>Two curator-test defaults are wrong for us. A single server binds its client port to
     * {@code clientPortAddress}, all interfaces when that is unset, whatever the spec's hostname says (an ensemble
     * member takes its client address from its {@code server.N} line, which carries the hostname). And every start
     * writes a {@code zookeeper.configuration*.properties} file next to the data directory that nobody deletes: with
     * the data directory inside {@code workDirectory}, {@link #deleteWorkDirectory} removes both.
     */
    public static InstanceSpec loopbackSpec(Path workDirectory, int port, int serverId) throws IOException {
        Path data = Files.createDirectories(workDirectory.resolve(serverId < 0 ? "data" : "data-" + serverId));
        Map<String, Object> properties = serverId < 0 ? Map.of("clientPortAddress", LOOPBACK) : Map.of();
        // -1 ports: curator-test picks free ones; true: the data directory is deleted on close.
        return new InstanceSpec(data.toFile(), port, -1, -1, true, serverId, -1, -1, properties, LOOPBACK);
    }

    /** Deletes a work directory of {@link #loopbackSpec} and everything in it (call after the servers closed). */
    public static void deleteWorkDirectory(Path workDirectory) throws IOException {
        if (!Files.exists(workDirectory)) {
            return;
        }
        try (Stream<Path> files = Files.walk(workDirectory)) {
            for (Path file : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(file);
            }
        }
    }

    public String connectString() {
        return server.getConnectString();
    }

    public int port() {
        return server.getPort();
    }

    /** Where this server's data and configuration files live until {@link #close()}. */
    public Path workDirectory() {
        return workDirectory;
    }

    /** Stops the server, keeping its data and port, so that {@link #restart()} brings the same ensemble back. */
    public void stop() throws Exception {
        server.stop();
    }

    /** Starts a stopped server again on the same port with the same data (sessions within their timeout survive). */
    public void restart() throws Exception {
        server.restart();
    }

    public String version() {
        return org.apache.zookeeper.Version.getFullVersion().split("-")[0];
    }

    @Override
    public void close() throws Exception {
        try {
            server.close();
        } finally {
            deleteWorkDirectory(workDirectory);
        }
    }
}
