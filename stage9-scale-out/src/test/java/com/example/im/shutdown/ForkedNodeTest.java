package com.example.im.shutdown;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.example.im.route.InboxConsumer;
import com.example.im.server.ChatServer;
import com.example.im.testkit.RedisExtension;
import com.example.im.testkit.ZooKeeperExtension;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import redis.clients.jedis.RedisClient;

/** A node in its own JVM: a real SIGTERM (graceful) and a real SIGKILL (takeover), seen from outside. */
class ForkedNodeTest {

    @RegisterExtension
    @Order(1)
    static final ZooKeeperExtension zk = new ZooKeeperExtension();

    @RegisterExtension
    @Order(2)
    static final RedisExtension redis = new RedisExtension();

    private static Set<String> texts(String prefix, int count) {
        return IntStream.range(0, count).mapToObj(i -> prefix + i).collect(Collectors.toSet());
    }

    @Test
    void sigtermRunsTheGracefulShutdown() throws Exception {
        try (Cluster6 cluster = new Cluster6(zk.connectString(), redis.uri());
             ForkedNode forked = new ForkedNode("forked-term", zk.connectString(), redis.uri())) {
            ChatServer b = cluster.startNode();
            cluster.startNode();
            await().atMost(Duration.ofSeconds(30)).until(() -> cluster.directory().nodes().size() == 3);
            RedisClient inspect = cluster.inspect();

            Cluster6.User alice = cluster.login("alice", Cluster6.preferring(forked.nodeId));
            Cluster6.User sam = cluster.login("sam", Cluster6.preferring(b.nodeId()));
            assertThat(Cluster6.sessionsOf(inspect, forked.nodeId)).hasSize(1);

            int count = 100;
            Thread sender = new Thread(() -> IntStream.range(0, count).forEach(i -> sam.client().send("alice", "t" + i)));
            sender.start();
            long start = System.nanoTime();
            int exit = forked.terminate();
            long millis = (System.nanoTime() - start) / 1_000_000;
            sender.join();
            System.out.printf("SIGTERM to exit: %d ms (exit code %d)%n", millis, exit);

            assertThat(forked.logText()).contains("step 1: leave ZooKeeper", "step 7: stop event loops");
            assertThat(cluster.directory().nodes()).noneMatch(n -> n.nodeId().equals(forked.nodeId));
            await().atMost(Duration.ofSeconds(10)).until(() -> alice.logins() == 2);
            assertThat(cluster.nodeOf("alice")).isNotNull();
            assertThat(Cluster6.sessionsOf(inspect, forked.nodeId)).isEmpty();
            await().atMost(Duration.ofSeconds(30)).until(() -> alice.texts().containsAll(texts("t", count)));
            assertThat(sam.seen().frames).noneMatch(f -> f.hasError());
        }
    }

    /**
     * Stage 6's messages for alice waited in the dead node's inbox until a survivor took it over. In stage 7 they
     * wait in alice's mailbox, and the dead inbox holds only notifications: alice's new node pushes them at her
     * login, whether or not the takeover has happened yet. The takeover still comes (once), to clear the inbox.
     */
    @Test
    void afterKillMinus9EveryMessageArrivesOnceInOrderAndASurvivorStillTakesOverTheInbox() throws Exception {
        try (Cluster6 cluster = new Cluster6(zk.connectString(), redis.uri());
             ForkedNode forked = new ForkedNode("forked-kill", zk.connectString(), redis.uri())) {
            ChatServer b = cluster.startNode();
            ChatServer c = cluster.startNode();
            await().atMost(Duration.ofSeconds(30)).until(() -> cluster.directory().nodes().size() == 3);
            Cluster6.User alice = cluster.login("alice", Cluster6.preferring(forked.nodeId));
            Cluster6.User sam = cluster.login("sam", Cluster6.preferring(b.nodeId()));
            // The forked node creates its inbox before it registers in ZooKeeper: a survivor's sweep may adopt the
            // inbox in that window, and hands it back once the node is registered. Such a takeover must be over
            // before the kill, and does not count.
            Supplier<List<InboxConsumer>> takeoversOfForked = () -> Stream.concat(b.routing().takeovers().stream(),
                    c.routing().takeovers().stream()).filter(t -> t.inboxOwner().equals(forked.nodeId)).toList();
            await().atMost(Duration.ofSeconds(10))
                    .until(() -> takeoversOfForked.get().stream().allMatch(InboxConsumer::isStopped));
            int before = takeoversOfForked.get().size();

            forked.kill();
            long killedAt = System.nanoTime();
            // Messages for alice while her session in Redis still names the dead node: they are stored in her
            // mailbox, and their notifications queue in the dead node's inbox.
            int count = 50;
            IntStream.range(0, count).forEach(i -> sam.client().send("alice", "k" + i));

            await().atMost(Duration.ofSeconds(30)).until(() -> alice.texts().containsAll(texts("k", count)));
            long millis = (System.nanoTime() - killedAt) / 1_000_000;
            System.out.printf("kill -9 to all %d queued messages delivered: %d ms%n", count, millis);

            assertThat(alice.seen().frames.stream().filter(f -> f.hasChat()).map(f -> f.getChat().getContent()))
                    .as("each once, in the order sam sent them")
                    .containsExactlyElementsOf(IntStream.range(0, count).mapToObj(i -> "k" + i).toList());
            await().atMost(Duration.ofSeconds(30)).until(() -> takeoversOfForked.get().size() > before);
            assertThat(takeoversOfForked.get()).as("exactly one survivor took the inbox over")
                    .hasSize(before + 1);
            assertThat(alice.logins()).isEqualTo(2);
            assertThat(sam.seen().frames).noneMatch(f -> f.hasError());
        }
    }

    @Test
    void aSigtermWhileTheNodeIsStillStartingRunsTheGracefulShutdownOnceItHasStarted() throws Exception {
        // Nothing listens on port 1: registration waits (up to 10 s) for a ZooKeeper that never answers, so the node
        // is inside start() when the signal comes.
        try (ForkedNode starting = new ForkedNode("forked-starting", "127.0.0.1:1", redis.uri())) {
            await().atMost(Duration.ofSeconds(30)).until(() -> starting.logText().contains("sessions and inbox"));
            assertThat(starting.logText()).doesNotContain("Chat node"); // start() has not returned
            int exit = starting.terminate();
            assertThat(exit).isEqualTo(143);
            assertThat(starting.logText()).contains("step 1: leave ZooKeeper", "step 7: stop event loops");
        }
    }

    // tag::kill-under-traffic[]
    @Test
    void killMinus9UnderTrafficLosesNoAcknowledgedMessage() throws Exception {
        try (Cluster6 cluster = new Cluster6(zk.connectString(), redis.uri());
             ForkedNode forked = new ForkedNode("forked-traffic", zk.connectString(), redis.uri())) {
            ChatServer b = cluster.startNode();
            ChatServer c = cluster.startNode();
            await().atMost(Duration.ofSeconds(30)).until(() -> cluster.directory().nodes().size() == 3);
            int receivers = 20;
            List<Cluster6.User> onA = new ArrayList<>();
            for (int i = 0; i < receivers; i++) {
                onA.add(cluster.login("r" + i, Cluster6.preferring(forked.nodeId)));
            }
            List<Cluster6.User> senders = List.of(cluster.login("sam", Cluster6.preferring(b.nodeId())),
                    cluster.login("tom", Cluster6.preferring(c.nodeId())));

            // 200 messages/s in all, for 3 s; node A is killed a second in.
            int perSender = 300;
            AtomicInteger sent = new AtomicInteger();
            List<Thread> threads = senders.stream().map(sender -> new Thread(() -> {
                for (int i = 0; i < perSender; i++) {
                    sender.client().send("r" + (i % receivers), sender.uid() + ":" + i);
                    sent.incrementAndGet();
                    LockSupport.parkNanos(10_000_000); // pacing, not a wait for an event
                }
            })).toList();
            threads.forEach(Thread::start);
            await().atMost(Duration.ofSeconds(10)).until(() -> sent.get() >= 200);
            forked.kill();
            for (Thread thread : threads) {
                thread.join();
            }

            for (Cluster6.User sender : senders) {
                await().atMost(Duration.ofSeconds(30)).until(() -> sender.seen().frames.stream()
                        .filter(f -> f.hasSendAck() || f.hasError()).count() == perSender);
                assertThat(sender.seen().frames).as("every message to a user on the dead node is accepted")
                        .noneMatch(f -> f.hasError());
            }
            await().atMost(Duration.ofSeconds(40)).untilAsserted(() -> {
                for (int r = 0; r < receivers; r++) {
                    Set<String> expected = new HashSet<>();
                    for (Cluster6.User sender : senders) {
                        for (int i = r; i < perSender; i += receivers) {
                            expected.add(sender.uid() + ":" + i);
                        }
                    }
                    assertThat(onA.get(r).texts()).as("r%d", r).containsAll(expected);
                }
            });
        }
    }
    // end::kill-under-traffic[]
}
