package com.example.im.testkit;

import java.util.ArrayList;
import java.util.List;
import org.apache.curator.test.InstanceSpec;
import org.apache.curator.test.TestingCluster;
import org.apache.curator.test.TestingServer;

/**
 * A real ZooKeeper inside the test JVM (curator-test), bound to 127.0.0.1 so nothing listens on other interfaces.
 */
final class LocalZooKeeper {

    private static final String LOOPBACK = "127.0.0.1";

    private LocalZooKeeper() {
    }

    private static InstanceSpec spec(int serverId) {
        // -1 ports: curator-test picks free ones; true: the data directory is deleted on close.
        return new InstanceSpec(null, -1, -1, -1, true, serverId, -1, -1, null, LOOPBACK);
    }

    static ZooKeeperServerHandle single() throws Exception {
        TestingServer server = new TestingServer(spec(-1), true);
        return new ZooKeeperServerHandle() {
            @Override
            public String connectString() {
                return server.getConnectString();
            }

            @Override
            public int size() {
                return 1;
            }

            @Override
            public void stop(int index) throws Exception {
                check(index, 1);
                server.stop();
            }

            @Override
            public void restart(int index) throws Exception {
                check(index, 1);
                server.restart();
            }

            @Override
            public String description() {
                return "curator-test ZooKeeper on " + connectString();
            }

            @Override
            public void close() throws Exception {
                server.close();
            }
        };
    }

    static ZooKeeperServerHandle ensemble(int size) throws Exception {
        List<InstanceSpec> specs = new ArrayList<>();
        for (int i = 1; i <= size; i++) {
            specs.add(spec(i));
        }
        TestingCluster cluster = new TestingCluster(specs);
        cluster.start();
        return new ZooKeeperServerHandle() {
            @Override
            public String connectString() {
                return cluster.getConnectString();
            }

            @Override
            public int size() {
                return size;
            }

            @Override
            public void stop(int index) throws Exception {
                check(index, size);
                cluster.killServer(specs.get(index));
            }

            @Override
            public void restart(int index) throws Exception {
                check(index, size);
                cluster.restartServer(specs.get(index));
            }

            @Override
            public String description() {
                return "curator-test ZooKeeper ensemble of " + size + " on " + connectString();
            }

            @Override
            public void close() throws Exception {
                cluster.close();
            }
        };
    }

    static void check(int index, int size) {
        if (index < 0 || index >= size) {
            throw new IndexOutOfBoundsException("server " + index + " of " + size);
        }
    }
}
