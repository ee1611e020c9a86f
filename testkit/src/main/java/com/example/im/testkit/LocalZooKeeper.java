package com.example.im.testkit;

import com.example.im.embedded.EmbeddedZooKeeper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.curator.test.InstanceSpec;
import org.apache.curator.test.TestingCluster;

/**
 * A real ZooKeeper inside the test JVM (curator-test), bound to 127.0.0.1 so nothing listens on other interfaces,
 * its files in a work directory that close deletes ({@link EmbeddedZooKeeper#loopbackSpec} says why).
 */
final class LocalZooKeeper {

    private LocalZooKeeper() {
    }

    static ZooKeeperServerHandle single() throws Exception {
        EmbeddedZooKeeper server = EmbeddedZooKeeper.start(-1);
        return new ZooKeeperServerHandle() {
            @Override
            public String connectString() {
                return server.connectString();
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
        Path work = Files.createTempDirectory("embedded-zookeeper-ensemble");
        List<InstanceSpec> specs = new ArrayList<>();
        TestingCluster cluster;
        try {
            for (int i = 1; i <= size; i++) {
                specs.add(EmbeddedZooKeeper.loopbackSpec(work, -1, i));
            }
            cluster = new TestingCluster(specs);
            cluster.start();
        } catch (Exception | Error e) {
            EmbeddedZooKeeper.deleteWorkDirectory(work);
            throw e;
        }
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
                try {
                    cluster.close();
                } finally {
                    EmbeddedZooKeeper.deleteWorkDirectory(work);
                }
            }
        };
    }

    static void check(int index, int size) {
        if (index < 0 || index >= size) {
            throw new IndexOutOfBoundsException("server " + index + " of " + size);
        }
    }
}
