package com.example.im.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.example.im.balance.ConsistentHashBalancer;
import com.example.im.balance.LeastConnectionsBalancer;
import com.example.im.balance.RandomBalancer;
import com.example.im.balance.RoundRobinBalancer;
import com.example.im.client.ChatClient;
import com.example.im.client.Recorder;
import com.example.im.server.ChatServer;
import com.example.im.testkit.ZooKeeperExtension;
import java.util.HashSet;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** One end-to-end test per strategy: three real nodes in a real ZooKeeper, clients that find them through it. */
class LoadBalancingTest {

    @RegisterExtension
    final ZooKeeperExtension zk = new ZooKeeperExtension();

    private Cluster cluster;
    private NodeDirectory directory;

    @BeforeEach
    void startThreeNodes() throws Exception {
        cluster = new Cluster(zk.connectString());
        for (int i = 0; i < 3; i++) {
            cluster.startNode();
        }
        directory = cluster.directory(3);
    }

    @AfterEach
    void tearDown() throws Exception {
        cluster.close();
    }

    private Map<ChatServer, Long> loginsPerNode() {
        return cluster.nodes.stream().collect(Collectors.toMap(n -> n, n -> (long) n.sessions().size()));
    }

    @Test
    void roundRobinPutsTheSameNumberOfClientsOnEveryNode() throws Exception {
        RoundRobinBalancer balancer = new RoundRobinBalancer(0); // one client process opening 9 connections
        for (int i = 0; i < 9; i++) {
            cluster.client(directory, balancer, "rr-" + i, new Recorder());
        }
        assertThat(loginsPerNode().values()).containsOnly(3L);
    }

    @Test
    void randomUsesEveryNode() throws Exception {
        RandomBalancer balancer = new RandomBalancer(new Random(7));
        for (int i = 0; i < 15; i++) {
            cluster.client(directory, balancer, "rnd-" + i, new Recorder());
        }
        assertThat(loginsPerNode().values()).allMatch(count -> count > 0);
    }

    @Test
    void consistentHashPutsAUidOnTheSameNodeEveryTime() throws Exception {
        ConsistentHashBalancer balancer = new ConsistentHashBalancer();
        Set<ChatServer> used = new HashSet<>();
        for (int i = 0; i < 12; i++) {
            String uid = "ch-" + i;
            ChatClient first = cluster.client(directory, balancer, uid, new Recorder());
            ChatServer node = cluster.nodeOf(uid);
            used.add(node);
            first.close();
            await().until(() -> node.sessions().find(uid) == null);
            // A second login of the same uid, from a fresh balancer (another process), lands on the same node.
            cluster.client(directory, new ConsistentHashBalancer(), uid, new Recorder());
            assertThat(cluster.nodeOf(uid)).isSameAs(node);
        }
        assertThat(used).as("12 uids spread over more than one node").hasSizeGreaterThan(1);
    }

    @Test
    void leastConnectionsSendsANewClientToTheEmptiestNode() throws Exception {
        // Load two nodes by hand (a fixed node each), leave the third empty.
        RoundRobinBalancer filler = new RoundRobinBalancer(0);
        cluster.client(directory, filler, "load-a", new Recorder());
        cluster.client(directory, filler, "load-b", new Recorder());
        ChatServer empty = cluster.nodes.stream().filter(n -> n.sessions().size() == 0).findFirst().orElseThrow();
        // Wait until the nodes have published their counts and the directory has seen them.
        await().until(() -> directory.nodes().stream().mapToInt(NodeInfo::connections).sum() == 2);

        cluster.client(directory, new LeastConnectionsBalancer(), "newcomer", new Recorder());
        assertThat(cluster.nodeOf("newcomer")).isSameAs(empty);
    }
}
