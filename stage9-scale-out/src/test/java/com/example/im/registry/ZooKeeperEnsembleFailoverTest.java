package com.example.im.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.example.im.balance.RoundRobinBalancer;
import com.example.im.client.ChatClient;
import com.example.im.client.Recorder;
import com.example.im.server.ChatServer;
import com.example.im.testkit.ZooKeeperExtension;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** ZooKeeper itself loses a server: a 3-server ensemble keeps a quorum, so nodes and clients carry on. */
class ZooKeeperEnsembleFailoverTest {

    @RegisterExtension
    final ZooKeeperExtension ensemble = ZooKeeperExtension.ensemble(3);

    @Test
    void nodesAndClientsKeepWorkingWhenOneZooKeeperServerIsDown() throws Exception {
        try (Cluster cluster = new Cluster(ensemble.connectString())) {
            cluster.startNode();
            cluster.startNode();
            NodeDirectory directory = cluster.directory(2);

            ensemble.stopServer(0);

            // A new client still finds a node and chats.
            Recorder recorder = new Recorder();
            ChatClient alice = cluster.client(directory, new RoundRobinBalancer(0), "alice", recorder);
            alice.send("alice", "quorum holds");
            await().until(() -> recorder.received("quorum holds"));

            // A new node still registers, and the directory still follows changes.
            ChatServer third = cluster.startNode();
            await().atMost(Duration.ofSeconds(20)).until(() -> directory.nodes().size() == 3);
            third.close();
            cluster.nodes.remove(third);
            await().atMost(Duration.ofSeconds(20)).until(() -> directory.nodes().size() == 2);

            ensemble.restartServer(0);
            assertThat(directory.nodes()).hasSize(2);
        }
    }
}
