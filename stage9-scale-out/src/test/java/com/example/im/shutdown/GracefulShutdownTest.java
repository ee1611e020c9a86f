package com.example.im.shutdown;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.example.im.auth.TestTokens;
import com.example.im.registry.Registry;
import com.example.im.server.ChatServer;
import com.example.im.server.ShutdownReport;
import com.example.im.testkit.RedisExtension;
import com.example.im.testkit.ZooKeeperExtension;
import com.example.im.client.NodeLocator;
import com.example.im.registry.ZkNodeLocator;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import com.example.im.route.RedisKeys;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.JedisMonitor;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import redis.clients.jedis.RedisClient;

/** close() on a node of a running cluster: the ordered shutdown, its clients move, nothing sent to them is lost. */
class GracefulShutdownTest {

    @RegisterExtension
    @Order(1)
    static final ZooKeeperExtension zk = new ZooKeeperExtension();

    @RegisterExtension
    @Order(2)
    static final RedisExtension redis = new RedisExtension();

    @Test
    void aClosingNodeLeavesZooKeeperFirstMovesItsClientsAndLosesNoMessage() throws Exception {
        try (Cluster6 cluster = new Cluster6(zk.connectString(), redis.uri())) {
            ChatServer leaving = cluster.startNode();
            ChatServer b = cluster.startNode();
            cluster.startNode();
            cluster.awaitNodes(3);
            RedisClient inspect = cluster.inspect();

            Cluster6.User alice = cluster.login("alice", Cluster6.preferring(leaving.nodeId()));
            Cluster6.User anna = cluster.login("anna", Cluster6.preferring(leaving.nodeId()));
            Cluster6.User sam = cluster.login("sam", Cluster6.preferring(b.nodeId()));
            assertThat(cluster.nodeOf("alice")).isSameAs(leaving);

            // sam keeps writing to alice and anna while their node shuts down.
            int count = 200;
            Thread sender = new Thread(() -> IntStream.range(0, count).forEach(i -> {
                sam.client().send("alice", "a" + i);
                sam.client().send("anna", "n" + i);
            }));
            sender.start();
            leaving.close();
            sender.join();

            ShutdownReport report = leaving.lastShutdown();
            assertThat(report.steps()).extracting(ShutdownReport.Step::name).containsExactly(
                    "leave ZooKeeper", "stop accepting", "go away", "drain inbox", "remove sessions",
                    "close Redis and ZooKeeper", "stop event loops");
            assertThat(report.step("leave ZooKeeper").endNanos())
                    .as("the znode is gone before the port closes")
                    .isLessThanOrEqualTo(report.step("stop accepting").startNanos());
            assertThat(cluster.directory().nodes()).noneMatch(n -> n.nodeId().equals(leaving.nodeId()));
            System.out.printf("graceful shutdown took %d ms: %s%n", report.totalMillis(), report.steps());

            // The clients are logged in on the other nodes, by themselves.
            await().atMost(Duration.ofSeconds(10)).until(() -> alice.logins() == 2 && anna.logins() == 2);
            assertThat(cluster.nodeOf("alice")).isNotNull().isNotSameAs(leaving);
            // No session of the closed node is left in Redis.
            assertThat(Cluster6.sessionsOf(inspect, leaving.nodeId())).isEmpty();
            // Every message sent during the shutdown window arrives.
            Set<String> expectedA = IntStream.range(0, count).mapToObj(i -> "a" + i).collect(Collectors.toSet());
            Set<String> expectedN = IntStream.range(0, count).mapToObj(i -> "n" + i).collect(Collectors.toSet());
            await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
                assertThat(alice.texts()).containsAll(expectedA);
                assertThat(anna.texts()).containsAll(expectedN);
            });
            assertThat(sam.seen().frames).noneMatch(f -> f.hasError());
            assertThat(inspect.exists(Registry.nodePath(leaving.nodeId()))).isFalse();
            List<String> leftovers = List.copyOf(inspect.keys("im:leaving:*"));
            assertThat(leftovers).isEmpty();
        }
    }

    // tag::reconnecting[]
    @Test
    void usersStillReconnectingDuringAShutdownNeverLookOffline() throws Exception {
        try (Cluster6 cluster = new Cluster6(zk.connectString(), redis.uri())) {
            ChatServer leaving = cluster.startNode();
            ChatServer b = cluster.startNode();
            cluster.awaitNodes(2);
            // alice's network is slow: after the go-away, her first three tries find no node (about a second).
            AtomicInteger refusals = new AtomicInteger(3);
            NodeLocator zkLocator = new ZkNodeLocator(cluster.directory(), Cluster6.preferring(leaving.nodeId()));
            NodeLocator slow = (uid, lost) -> {
                if (lost != null && refusals.getAndDecrement() > 0) {
                    throw new IllegalStateException("no route to any node (a slow network)");
                }
                return zkLocator.locate(uid, lost);
            };
            Cluster6.User alice = cluster.login("alice", slow, TestTokens.client("127.0.0.1", 0).withBackoff(300, 400));
            Cluster6.User sam = cluster.login("sam", Cluster6.preferring(b.nodeId()));
            assertThat(cluster.nodeOf("alice")).isSameAs(leaving);

            // The node shuts down while nobody writes (its inbox is quiet) ...
            Thread closer = new Thread(leaving::close, "closer");
            closer.start();
            await().atMost(Duration.ofSeconds(10)).until(() -> refusals.get() < 3);
            // ... and sam writes to alice while she is between nodes.
            int sent = 0;
            long until = System.currentTimeMillis() + 10_000;
            while (alice.logins() < 2 && System.currentTimeMillis() < until) {
                sam.client().send("alice", "r" + sent++);
                LockSupport.parkNanos(20_000_000); // a message every 20 ms, not a wait for an event
            }
            closer.join();
            int count = sent;

            assertThat(alice.logins()).isEqualTo(2);
            assertThat(count).as("messages sent while alice was moving").isPositive();
            await().atMost(Duration.ofSeconds(10)).until(() -> sam.seen().frames.stream()
                    .filter(f -> f.hasSendAck() || f.hasError()).count() >= count);
            assertThat(sam.seen().frames).as("no OFFLINE while alice was moving").noneMatch(f -> f.hasError());
            await().atMost(Duration.ofSeconds(15))
                    .untilAsserted(() -> assertThat(alice.texts()).hasSize(count));
            assertThat(leaving.lastShutdown().step("drain inbox").outcome()).startsWith("inbox empty");
        }
    }
    // end::reconnecting[]

    @Test
    void aShutdownWithZooKeeperUnreachableStaysWithinItsBoundAndSaysSo() throws Exception {
        try (Cluster6 cluster = new Cluster6(zk.connectString(), redis.uri())) {
            ChatServer leaving = cluster.startNode();
            ChatServer b = cluster.startNode();
            cluster.awaitNodes(2);
            Cluster6.User alice = cluster.login("alice", Cluster6.preferring(leaving.nodeId()));

            zk.stopServer(0);
            try {
                leaving.close();
            } finally {
                zk.restartServer(0);
            }

            ShutdownReport report = leaving.lastShutdown();
            System.out.printf("shutdown without ZooKeeper: %d ms: %s%n", report.totalMillis(), report.steps());
            long bound = cluster.config().shutdownTimeoutMillis();
            assertThat(report.totalMillis()).as("every step is bounded by the shutdown timeout")
                    .isLessThanOrEqualTo(bound + 2_000);
            assertThat(report.step("leave ZooKeeper").outcome()).doesNotContain("znode deleted");
            assertThat(report.step("go away").outcome()).startsWith("1 clients");
            await().atMost(Duration.ofSeconds(10)).until(() -> alice.logins() == 2);
            assertThat(cluster.nodeOf("alice")).isSameAs(b);
        }
    }

    @Test
    void aShutdownWithRedisStalledStaysWithinItsBound() throws Exception {
        try (Cluster6 cluster = new Cluster6(zk.connectString(), redis.uri())) {
            ChatServer leaving = cluster.startNode();
            cluster.startNode();
            cluster.awaitNodes(2);
            cluster.login("alice", Cluster6.preferring(leaving.nodeId()));
            cluster.login("anna", Cluster6.preferring(leaving.nodeId()));

            long budget = cluster.config().shutdownTimeoutMillis();
            try (Jedis admin = new Jedis(redis.host(), redis.port())) {
                // Redis answers nobody (itself included) for longer than the whole shutdown may take.
                admin.clientPause(budget + 2_000);
            }
            leaving.close();
            ShutdownReport report = leaving.lastShutdown();
            await().atMost(Duration.ofSeconds(30)).ignoreExceptions().until(() -> {
                try (Jedis probe = new Jedis(redis.host(), redis.port())) {
                    return "PONG".equals(probe.ping()); // Redis is back for the rest of the cluster
                }
            });

            System.out.printf("shutdown with Redis stalled: %d ms: %s%n", report.totalMillis(), report.steps());
            assertThat(report.totalMillis()).as("every step is bounded by the shutdown timeout")
                    .isLessThanOrEqualTo(budget + 1_000);
        }
    }

    @Test
    void theLeavingNodesConsumerHasStoppedBeforeSurvivorsMayTakeItsInboxOver() throws Exception {
        try (Cluster6 cluster = new Cluster6(zk.connectString(), redis.uri())) {
            ChatServer leaving = cluster.startNode();
            cluster.startNode();
            cluster.awaitNodes(2);
            cluster.login("alice", Cluster6.preferring(leaving.nodeId()));

            // Every command Redis executes, in order, with the client address that sent it.
            List<String> commands = new CopyOnWriteArrayList<>();
            Jedis monitor = new Jedis(redis.host(), redis.port());
            Thread watcher = new Thread(() -> {
                try {
                    monitor.monitor(new JedisMonitor() {
                        @Override
                        public void onCommand(String command) {
                            commands.add(command);
                        }
                    });
                } catch (RuntimeException e) {
                    // the connection is closed below: the end of the recording
                }
            });
            watcher.start();
            await().until(() -> !commands.isEmpty()); // the monitor is live (the nodes poll Redis all the time)

            leaving.close();
            monitor.getConnection().close();
            watcher.join(5_000);

            String inbox = "\"" + RedisKeys.inbox(leaving.nodeId()) + "\"";
            String consumerRead = "\"im-delivery\" \"" + leaving.nodeId() + "\"";
            // The connections the leaving node's own consumer used (its XREADGROUPs name it as the consumer).
            Set<String> own = commands.stream().filter(c -> c.contains(consumerRead))
                    .map(GracefulShutdownTest::clientOf).collect(Collectors.toSet());
            int leftAt = -1;
            for (int i = 0; i < commands.size(); i++) {
                if (commands.get(i).contains("\"DEL\" \"" + RedisKeys.leaving(leaving.nodeId()) + "\"")) {
                    leftAt = i;
                }
            }
            assertThat(leftAt).as("the leaving marker was deleted").isNotNegative();
            assertThat(own).isNotEmpty();
            List<String> after = commands.subList(leftAt + 1, commands.size()).stream()
                    .filter(c -> own.contains(clientOf(c)) && c.contains(inbox)).toList();
            assertThat(after).as("the leaving node's consumer touched its inbox after survivors were let in")
                    .isEmpty();
        }
    }

    /** "1700000000.123456 [0 127.0.0.1:50123] \"XLEN\" ..." -> "127.0.0.1:50123". */
    private static String clientOf(String monitorLine) {
        int open = monitorLine.indexOf('[');
        int close = monitorLine.indexOf(']', open);
        String inside = monitorLine.substring(open + 1, close);
        return inside.substring(inside.indexOf(' ') + 1);
    }
}
