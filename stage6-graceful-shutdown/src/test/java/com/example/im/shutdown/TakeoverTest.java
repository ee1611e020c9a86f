package com.example.im.shutdown;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.example.im.protocol.ChatMessage;
import com.example.im.protocol.Delivery;
import com.example.im.protocol.InboxEntry;
import com.example.im.route.RedisKeys;
import com.example.im.server.ChatServer;
import com.example.im.testkit.RedisExtension;
import com.example.im.testkit.ZooKeeperExtension;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import redis.clients.jedis.RedisClient;
import redis.clients.jedis.params.XAddParams;

/**
 * Takeover of a departed node's inbox, under the faults that fooled the first version (docs/06-graceful-shutdown.md,
 * "Takeover after kill -9"): a node that only looked dead, and an inbox whose owner died when no one was watching.
 */
class TakeoverTest {

    @RegisterExtension
    @Order(1)
    static final ZooKeeperExtension zk = new ZooKeeperExtension();

    @RegisterExtension
    @Order(2)
    static final RedisExtension redis = new RedisExtension();

    private static Set<String> texts(String prefix, int count) {
        return IntStream.range(0, count).mapToObj(i -> prefix + i).collect(Collectors.toSet());
    }

    // tag::expired[]
    @Test
    void aNodeWhoseZooKeeperSessionExpiredButIsAliveIsNotRobbedOfItsMessages() throws Exception {
        try (Cluster6 cluster = new Cluster6(zk.connectString(), redis.uri())) {
            ChatServer a = cluster.startNode();
            ChatServer b = cluster.startNode();
            cluster.awaitNodes(2);
            Cluster6.User bob = cluster.login("bob", Cluster6.preferring(a.nodeId()));
            Cluster6.User sam = cluster.login("sam", Cluster6.preferring(b.nodeId()));

            // A GC pause longer than the ZooKeeper session: ZooKeeper expires A's session and deletes its znode,
            // B sees a node leave; then A wakes up and registers again. A never stopped serving bob.
            var curator = a.registration().curator();
            long before = curator.getZookeeperClient().getZooKeeper().getSessionId();
            curator.getZookeeperClient().getZooKeeper().getTestable().injectSessionExpiration();
            await().atMost(Duration.ofSeconds(15)).until(() -> {
                var znode = curator.checkExists().forPath(a.registration().path());
                return znode != null && znode.getEphemeralOwner() != before
                        && cluster.directory().nodes().stream().anyMatch(n -> n.nodeId().equals(a.nodeId()));
            });

            int count = 60;
            IntStream.range(0, count).forEach(i -> sam.client().send("bob", "p" + i));

            await().atMost(Duration.ofSeconds(15)).until(() -> bob.texts().containsAll(texts("p", count)));
            assertThat(sam.seen().frames).noneMatch(f -> f.hasError());
            assertThat(cluster.nodeOf("bob")).isSameAs(a);
        }
    }
    // end::expired[]

    @Test
    void aNodeCutOffFromZooKeeperOnlyKeepsItsMessages() throws Exception {
        // Messages are given up after 3 s here: a takeover that parked bob's messages would drop them during the wait.
        try (Cluster6 cluster = new Cluster6(zk.connectString(), redis.uri(), 3_000)) {
            ChatServer a = cluster.startNode();
            ChatServer b = cluster.startNode();
            cluster.awaitNodes(2);
            Cluster6.User bob = cluster.login("bob", Cluster6.preferring(a.nodeId()));
            Cluster6.User sam = cluster.login("sam", Cluster6.preferring(b.nodeId()));

            // A loses ZooKeeper (a partition from ZooKeeper only): its znode goes, B takes its inbox over. A keeps
            // serving bob and renewing his session in Redis.
            a.registration().close();
            cluster.awaitNodes(1);
            await().atMost(Duration.ofSeconds(10))
                    .until(() -> b.routing().takeovers().stream().anyMatch(t -> t.inboxOwner().equals(a.nodeId())));

            int count = 40;
            IntStream.range(0, count).forEach(i -> sam.client().send("bob", "z" + i));

            await().atMost(Duration.ofSeconds(15)).until(() -> bob.texts().containsAll(texts("z", count)));
            assertThat(sam.seen().frames).noneMatch(f -> f.hasError());
            assertThat(cluster.nodeOf("bob")).isSameAs(a);
        }
    }

    @Test
    void anInboxWhoseOwnerDiedWhileNoOtherNodeWasUpIsAdoptedByTheNextNode() throws Exception {
        try (Cluster6 cluster = new Cluster6(zk.connectString(), redis.uri())) {
            ChatServer a = cluster.startNode();
            cluster.awaitNodes(1);
            RedisClient inspect = cluster.inspect();
            a.halt(); // kill -9, and no node is up to see its znode go
            cluster.awaitNodes(0);

            // What other nodes had pushed to A's inbox just before: it waits there, with nobody to consume it.
            int count = 5;
            for (int i = 0; i < count; i++) {
                ChatMessage message = ChatMessage.newBuilder().setMsgId("orphan-" + i).setFromUid("sam")
                        .setToUid("alice").setContent("o" + i).setTimestamp(System.currentTimeMillis()).build();
                InboxEntry entry = InboxEntry.newBuilder()
                        .setDelivery(Delivery.newBuilder().setMessage(message).addToUids("alice")).build();
                inspect.xadd(RedisKeys.inbox(a.nodeId()).getBytes(StandardCharsets.UTF_8), XAddParams.xAddParams(),
                        Map.of(RedisKeys.FIELD, entry.toByteArray()));
            }

            // Later a node starts; alice logs in there. No znode event will ever tell it about A.
            // A node id of its own: the default (host:port) would be A's when the kernel hands B the port A just
            // freed, and B would then consume A's inbox as its own instead of adopting it (a CI run saw this).
            ChatServer b = cluster.startNode("next-" + a.nodeId());
            cluster.awaitNodes(1);
            Cluster6.User alice = cluster.login("alice", Cluster6.preferring(b.nodeId()));

            await().atMost(Duration.ofSeconds(20)).until(() -> alice.texts().containsAll(texts("o", count)));
            await().atMost(Duration.ofSeconds(20)).until(() -> !inspect.exists(RedisKeys.inbox(a.nodeId())));
            assertThat(inspect.sismember(RedisKeys.INBOXES, a.nodeId())).as("the adopted inbox is cleaned up")
                    .isFalse();
        }
    }
}
