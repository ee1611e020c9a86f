package com.example.im.embedded;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ConnectException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

class EmbeddedZooKeeperTest {

    @Test
    void listensOnLoopbackOnly() throws Exception {
        InetAddress other = otherLocalAddress();
        try (EmbeddedZooKeeper zk = EmbeddedZooKeeper.start(-1)) {
            assertThat(zk.connectString()).isEqualTo("127.0.0.1:" + zk.port());
            try (Socket viaLoopback = new Socket()) {
                viaLoopback.connect(new InetSocketAddress("127.0.0.1", zk.port()), 5_000);
            }
            // With the wildcard bind of curator-test's default this connection was accepted.
            assertThatThrownBy(() -> {
                try (Socket viaOther = new Socket()) {
                    viaOther.connect(new InetSocketAddress(other, zk.port()), 5_000);
                }
            }).as("ZooKeeper must not answer on %s", other).isInstanceOf(ConnectException.class);
        }
    }

    @Test
    void closeLeavesNoConfigurationFileBehind() throws Exception {
        EmbeddedZooKeeper zk = EmbeddedZooKeeper.start(-1);
        Path work = zk.workDirectory();
        zk.stop();
        zk.restart(); // every start writes one more configuration file
        assertThat(configurationFilesOf(work, work)).as("written inside the work directory").isNotEmpty();
        zk.close();

        assertThat(work).doesNotExist();
        Path tmp = Path.of(System.getProperty("java.io.tmpdir"));
        assertThat(configurationFilesOf(tmp, work)).as("left in %s", tmp).isEmpty();
    }

    /** curator-test's {@code zookeeper.configuration*.properties} files in {@code dir} that name {@code work}. */
    private static List<Path> configurationFilesOf(Path dir, Path work) throws IOException {
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (Stream<Path> files = Files.list(dir)) {
            return files.filter(f -> f.getFileName().toString().startsWith("zookeeper.configuration"))
                    .filter(f -> read(f).contains(work.getFileName().toString()))
                    .toList();
        }
    }

    private static String read(Path file) {
        try {
            return Files.readString(file, StandardCharsets.ISO_8859_1);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * An address of this machine other than 127.0.0.1 that a local connection reaches: an interface's IPv4 address,
     * else 127.0.0.2 (Linux routes all of 127/8 to the loopback interface). Checked with a listener of our own, so a
     * refused connection to ZooKeeper there means ZooKeeper is not listening there.
     */
    private static InetAddress otherLocalAddress() throws IOException {
        List<InetAddress> candidates = new ArrayList<>();
        for (NetworkInterface nic : NetworkInterface.networkInterfaces().toList()) {
            if (nic.isUp() && !nic.isLoopback()) {
                nic.inetAddresses().filter(a -> a instanceof Inet4Address).forEach(candidates::add);
            }
        }
        candidates.add(InetAddress.getByName("127.0.0.2"));
        for (InetAddress candidate : candidates) {
            try (ServerSocket probe = new ServerSocket(0, 1, candidate); Socket client = new Socket()) {
                client.connect(new InetSocketAddress(candidate, probe.getLocalPort()), 2_000);
                return candidate;
            } catch (IOException unreachable) {
                // the next one
            }
        }
        throw new AssertionError("no local address other than 127.0.0.1 to test against: " + candidates);
    }
}
