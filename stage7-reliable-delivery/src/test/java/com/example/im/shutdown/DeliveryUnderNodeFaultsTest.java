package com.example.im.shutdown;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.example.im.client.ClientConfig;
import com.example.im.client.RawRecipient;
import com.example.im.client.Shown;
import com.example.im.protocol.Envelope;
import com.example.im.registry.ZkNodeLocator;
import com.example.im.server.ChatServer;
import com.example.im.testkit.RedisExtension;
import com.example.im.testkit.ZooKeeperExtension;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.IntStream;
import org.awaitility.core.ConditionTimeoutException;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import redis.clients.jedis.RedisClient;

/**
 * Stage 7's guarantee when the recipient's node is signalled from outside (a node in its own JVM): a message the
 * server acknowledged (SendAck) is shown to its recipient exactly once, in seq order, although pushes were in flight
 * and unacknowledged (SIGTERM), or the node froze past its ZooKeeper session and woke up later (SIGSTOP, SIGCONT).
 * Two recipients each time: the real {@code ChatClient} (it reconnects and de-duplicates by itself) and a
 * {@link RawRecipient} whose acks and reads the test holds back.
 */
class DeliveryUnderNodeFaultsTest {

    @RegisterExtension
    @Order(1)
    static final ZooKeeperExtension zk = new ZooKeeperExtension();

    @RegisterExtension
    @Order(2)
    static final RedisExtension redis = new RedisExtension();

    /** Each test's users start with empty mailboxes and cursors (the tests share the uids and the Redis). */
    @BeforeEach
    void emptyRedis() {
        try (RedisClient client = RedisClient.create(java.net.URI.create(redis.uri()))) {
            client.flushAll();
        }
    }

    private static List<String> texts(String prefix, int from, int to) {
        return IntStream.range(from, to).mapToObj(i -> prefix + i).toList();
    }

    /** {@code sam} sends {@code prefix}from..to-1 to each of {@code uids}, paced, in a thread of its own. */
    private static Thread sending(Cluster6.User sam, List<String> uids, int from, int to) {
        Thread t = new Thread(() -> {
            for (int i = from; i < to; i++) {
                for (String uid : uids) {
                    assertThat(sam.client().send(uid, uid + ":" + i)).isTrue();
                }
                LockSupport.parkNanos(5_000_000); // pacing, not a wait for an event
            }
        }, "sam-sends");
        t.start();
        return t;
    }

    private static void awaitAllAcknowledged(Cluster6.User sender) {
        await().atMost(Duration.ofSeconds(30)).until(() -> sender.client().unacknowledged() == 0);
        assertThat(sender.seen().frames).as("no send was refused").noneMatch(Envelope::hasError);
    }

    /** Waits until rita and alice were shown {@code count} messages; says where each of them is when they were not. */
    private static void awaitShown(int count, RawRecipient rita, Cluster6.User alice, Cluster6.User sam) {
        try {
            await().atMost(Duration.ofSeconds(30)).until(() -> rita.shown.size() >= count
                    && Shown.of(alice.seen()).size() >= count);
        } catch (ConditionTimeoutException e) {
            throw new AssertionError(String.format("expected %d shown: rita %d (received seqs %s, other frames %s),"
                    + " alice %d (events %s), sam unacknowledged %d, errors %s", count, rita.shown.size(),
                    rita.received.stream().map(m -> m.getSeq()).toList(), rita.others,
                    Shown.of(alice.seen()).size(), alice.seen().events,
                    sam.client().unacknowledged(), sam.seen().frames.stream().filter(Envelope::hasError).toList()), e);
        }
    }

    /**
     * SIGTERM of the recipients' node while messages stream to them. rita read 20 pushes and acknowledged none;
     * whatever else the node had pushed to her sits unread in her socket and is lost with the connection. She logs in
     * on the survivor with last_seq -1 ("resume after what I acknowledged"): the survivor pushes again from seq 1, and
     * she drops the 20 she already showed by seq. alice's ChatClient fails over by itself. Both show every message
     * once, in order. Fails if the dying node counted its pushes as acknowledged (rita would miss what she never
     * read), if a retry was stored twice, or if a seq were reused.
     */
    @Test
    void sigtermOfTheRecipientsNodeWithUnacknowledgedPushesInFlightLosesAndDuplicatesNothing() throws Exception {
        try (Cluster6 cluster = new Cluster6(zk.connectString(), redis.uri());
             ForkedNode a = new ForkedNode("forked-sigterm-acks", zk.connectString(), redis.uri());
             RawRecipient rita = new RawRecipient("rita")) {
            ChatServer b = cluster.startNode();
            cluster.awaitListed(a.nodeId, b.nodeId());
            Cluster6.User alice = cluster.login("alice", Cluster6.preferring(a.nodeId));
            Cluster6.User sam = cluster.login("sam", Cluster6.preferring(b.nodeId()));
            rita.withholdAcks();
            rita.connect(a.address(), 0, 20);

            int count = 200;
            Thread sender = sending(sam, List.of("alice", "rita"), 0, count);
            await().atMost(Duration.ofSeconds(20)).until(() -> rita.received.size() == 20
                    && Shown.of(alice.seen()).size() >= 20);
            long start = System.nanoTime();
            assertThat(a.terminate()).isEqualTo(143);
            System.out.printf("SIGTERM to exit with a reader that stopped reading: %d ms%n",
                    (System.nanoTime() - start) / 1_000_000);
            sender.join();

            rita.dropConnection(); // what she had not read is gone
            rita.ackEverything();
            rita.connect(b.localAddress(), -1);

            awaitAllAcknowledged(sam);
            List<String> toRita = texts("rita:", 0, count);
            List<String> toAlice = texts("alice:", 0, count);
            awaitShown(count, rita, alice, sam);
            Shown.assertExactlyOnceInOrder("rita", rita.shown, toRita);
            Shown.assertExactlyOnceInOrder("alice", Shown.of(alice.seen()), toAlice);
            assertThat(rita.received.size()).as("the survivor pushed again what rita had not acknowledged")
                    .isGreaterThanOrEqualTo(count + 20);
            Shown.assertEachSeqNamesOneMessage("rita", rita.received);
            assertThat(alice.logins()).isEqualTo(2);
        }
    }

    /**
     * SIGSTOP of the recipients' node for longer than its ZooKeeper session: alice's ChatClient notices the silence
     * (short heartbeat) and fails over; rita opens a new connection on the survivor and abandons the old one without
     * closing it, as a client on a flaky network does. Messages sent meanwhile are acknowledged by the survivor's
     * side and shown on the new connections. Then SIGCONT: the node wakes with a stale view (rita still connected to
     * it, as far as it knows). Messages sent after it woke are still shown on the new connections, once, in order,
     * and nothing the sleeper does makes a message show twice.
     */
    @Test
    void aRecipientsNodePausedPastItsZooKeeperSessionCausesNoLossAndNoDuplicateWhenItWakes() throws Exception {
        try (Cluster6 cluster = new Cluster6(zk.connectString(), redis.uri());
             ForkedNode a = new ForkedNode("forked-sigstop", zk.connectString(), redis.uri());
             RawRecipient rita = new RawRecipient("rita")) {
            ChatServer b = cluster.startNode();
            cluster.awaitListed(a.nodeId, b.nodeId());
            RedisClient inspect = cluster.inspect();
            ClientConfig quickToNotice = ClientConfig.of("127.0.0.1", 0).withBackoff(50, 500)
                    .withHeartbeat(500, 3_000);
            Cluster6.User alice = cluster.login("alice",
                    new ZkNodeLocator(cluster.directory(), Cluster6.preferring(a.nodeId)), quickToNotice);
            Cluster6.User sam = cluster.login("sam", Cluster6.preferring(b.nodeId()));
            rita.connect(a.address(), 0);
            List<String> both = List.of("alice", "rita");

            sending(sam, both, 0, 20).join();
            awaitShown(20, rita, alice, sam);

            // (a loaded machine can make even a running node miss pongs: alice then came back to it, preferred)
            await().atMost(Duration.ofSeconds(20)).until(() -> alice.client().isOpen()
                    && alice.client().address().getPort() == a.port());
            a.pause();
            try {
                sending(sam, both, 20, 50).join();
                awaitAllAcknowledged(sam); // stored in the mailboxes: the paused node is not needed for that
                await().atMost(Duration.ofSeconds(20))
                        .until(() -> cluster.directory().nodes().stream().noneMatch(n -> n.nodeId().equals(a.nodeId)));
                rita.readOnly(0); // she gives up on the old connection, and does not close it
                rita.connect(b.localAddress(), rita.lastShown());
                await().atMost(Duration.ofSeconds(30)).until(() -> rita.shown.size() == 50
                        && Shown.of(alice.seen()).size() == 50);
                assertThat(alice.client().address().getPort()).isEqualTo(b.localAddress().getPort());
            } finally {
                a.resume();
            }

            // Awake, with a stale view; its ZooKeeper session is gone. Traffic goes on.
            sending(sam, both, 50, 70).join();
            awaitAllAcknowledged(sam);
            awaitShown(70, rita, alice, sam);
            // Past the sleeper's resend time and a few comparison passes: still each once.
            await().during(Duration.ofSeconds(2)).atMost(Duration.ofSeconds(5))
                    .until(() -> rita.shown.size() == 70 && Shown.of(alice.seen()).size() == 70);
            Shown.assertExactlyOnceInOrder("rita", rita.shown, texts("rita:", 0, 70));
            Shown.assertExactlyOnceInOrder("alice", Shown.of(alice.seen()), texts("alice:", 0, 70));
            Shown.assertEachSeqNamesOneMessage("rita", rita.received);
            assertThat(Cluster6.sessionsOf(inspect, b.nodeId())).as("the survivor still owns both sessions")
                    .contains("im:session:alice", "im:session:rita");
            System.out.printf("paused node's log after waking:%n%s%n", tail(a.logText(), 15));
        }
    }

    private static String tail(String text, int lines) {
        List<String> all = text.lines().toList();
        return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
    }
}
