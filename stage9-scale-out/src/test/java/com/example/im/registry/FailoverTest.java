package com.example.im.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.example.im.balance.RoundRobinBalancer;
import com.example.im.client.ChatClient;
import com.example.im.client.Recorder;
import com.example.im.protocol.Envelope;
import com.example.im.server.ChatServer;
import com.example.im.testkit.ZooKeeperExtension;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** A node leaves; its clients reconnect to the others through ZooKeeper and log in again, by themselves. */
class FailoverTest {

    @RegisterExtension
    final ZooKeeperExtension zk = new ZooKeeperExtension();

    private Cluster cluster;

    @BeforeEach
    void setUp() {
        cluster = new Cluster(zk.connectString());
    }

    @AfterEach
    void tearDown() throws Exception {
        cluster.close();
    }

    @Test
    void whenANodeGoesAwayItsClientsAreLoggedInOnTheOthers() throws Exception {
        for (int i = 0; i < 3; i++) {
            cluster.startNode();
        }
        NodeDirectory directory = cluster.directory(3);
        RoundRobinBalancer balancer = new RoundRobinBalancer(0);
        Map<String, Recorder> recorders = new LinkedHashMap<>();
        List<ChatClient> clients = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            Recorder recorder = new Recorder();
            recorders.put("user-" + i, recorder);
            clients.add(cluster.client(directory, balancer, "user-" + i, recorder));
        }
        ChatServer leaving = cluster.nodes.get(0);
        List<String> displaced = recorders.keySet().stream().filter(u -> leaving.sessions().find(u) != null).toList();
        assertThat(displaced).hasSize(2);

        long start = System.nanoTime();
        leaving.close();
        cluster.nodes.remove(leaving);

        // Documented bound: the first reconnect waits 0.25-0.5 s by default (20-200 ms here), then connect + login.
        await().atMost(Duration.ofSeconds(10)).until(() -> displaced.stream().allMatch(u ->
                cluster.nodeOf(u) != null && recorders.get(u).count(Envelope.BodyCase.LOGIN_ACK) == 2));
        long millis = (System.nanoTime() - start) / 1_000_000;
        System.out.printf("failover of %d clients took %d ms%n", displaced.size(), millis);

        assertThat(recorders.keySet()).allMatch(u -> cluster.nodeOf(u) != null, "everyone is logged in somewhere");
        assertThat(clients).allMatch(ChatClient::isOpen);
        // The moved clients chat on their new nodes (each sends to itself: the nodes do not share users yet).
        for (String uid : displaced) {
            ChatClient client = clients.get(Integer.parseInt(uid.substring(5)));
            client.send(uid, "still here");
            await().until(() -> recorders.get(uid).received("still here"));
        }
    }
}
