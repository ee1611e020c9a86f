package com.example.im.embedded;

import org.apache.curator.test.InstanceSpec;
import org.apache.curator.test.TestingServer;

/**
 * A real ZooKeeper server inside this JVM (curator-test's {@link TestingServer}), bound to 127.0.0.1, its data in a
 * temporary directory that is deleted on close. For trying the cluster without installing ZooKeeper.
 */
public final class EmbeddedZooKeeper implements AutoCloseable {

    private final TestingServer server;

    private EmbeddedZooKeeper(TestingServer server) {
        this.server = server;
    }

    /** Starts on {@code port}; -1 picks a free one. */
    public static EmbeddedZooKeeper start(int port) throws Exception {
        InstanceSpec spec = new InstanceSpec(null, port, -1, -1, true, -1, -1, -1, null, "127.0.0.1");
        return new EmbeddedZooKeeper(new TestingServer(spec, true));
    }

    public String connectString() {
        return server.getConnectString();
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
        server.close();
    }
}
