package com.example.im.route;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.example.im.auth.TestTokens;
import com.example.im.client.ChatClient;
import com.example.im.client.NodeLocator;
import com.example.im.client.Recorder;
import com.example.im.protocol.ChatMessage;
import com.example.im.protocol.Envelope;
import com.example.im.protocol.ErrorCode;
import com.example.im.server.ChatServer;
import com.example.im.server.WireFrames;
import com.example.im.testkit.RawSocketClient;
import com.example.im.testkit.RedisClusterExtension;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import redis.clients.jedis.Jedis;

/**
 * A Redis Cluster master dies (SIGKILL) under traffic and its replica takes over (docs/09-scale-out.md, "Failover
 * windows"): no message a sender saw acknowledged is lost or doubled, because a node acknowledges a message only
 * after {@code WAIT 1} says a replica has it. A fresh cluster per test (they kill nodes).
 */
class RedisFailoverTest {

    private static final Logger log = LoggerFactory.getLogger(RedisFailoverTest.class);

    /**
     * 3 masters x 2 replicas: after the failover the promoted master still has a replica, so {@code WAIT 1} is
     * satisfied again at once and the window measured is the failover's, not a restart's.
     */
    @RegisterExtension
    final RedisClusterExtension redis = new RedisClusterExtension(3, 2, 2000);

    private Nodes nodes;

    @BeforeEach
    void setUp() {
        nodes = new Nodes(redis.uri(), 30_000);
    }

    @AfterEach
    void tearDown() throws Exception {
        nodes.close();
    }

    @Test
    void underTrafficAKilledMastersReplicaTakesOverAndEveryAcknowledgedMessageArrivesOnceInOrder() throws Exception {
        ChatServer a = nodes.start();
        ChatServer b = nodes.start();
        List<String> recipients = List.of("rita", "rob", "ruth", "ray");
        String victimUser = recipients.get(0);
        int victim = redis.cluster().masterOf(MailboxStore.mailboxKey(victimUser));

        try (Traffic traffic = new Traffic(a, b, recipients, "sam", 4)) {
            List<Sender> senders = traffic.senders;
            await().atMost(Duration.ofSeconds(10)).until(() -> senders.stream().allMatch(s -> s.acked.size() >= 5));

            long killedAt = System.nanoTime();
            redis.cluster().killMaster(victim);
            Duration clusterOk = redis.cluster().awaitFailover();
            // Traffic goes on until every sender got messages to the victim's mailbox through the new master.
            traffic.awaitAcknowledgedAfter(victimUser, killedAt, 3);
            long firstSendAfter = senders.stream().flatMap(s -> s.acked.stream())
                    .filter(m -> m.to.equals(victimUser) && m.firstTry > killedAt)
                    .mapToLong(m -> m.ackedAt).min().orElseThrow();
            log.info("Redis Cluster failover under traffic: kill -> cluster ok {} ms, kill -> first acknowledged "
                            + "send to the killed master's mailbox {} ms; refusals (UNAVAILABLE) {}, unanswered "
                            + "attempts {}, messages acknowledged {}", clusterOk.toMillis(),
                    TimeUnit.NANOSECONDS.toMillis(firstSendAfter - killedAt),
                    senders.stream().mapToInt(s -> s.refusals).sum(), senders.stream().mapToInt(s -> s.timeouts).sum(),
                    senders.stream().mapToInt(s -> s.acked.size()).sum());
            traffic.stop();
            assertEveryAcknowledgedMessageArrivesOnceInOrder(senders, traffic.inboxes);
        }
    }

    /**
     * Recipients connected to the two nodes in turn, and senders ({@link Sender}) on the other node, writing to them
     * from threads of their own until {@link #stop}: the traffic a Redis fault is made under.
     */
    static final class Traffic implements AutoCloseable {
        final Map<String, Recorder> inboxes = new LinkedHashMap<>();
        final List<Sender> senders = new ArrayList<>();
        private final List<ChatClient> clients = new ArrayList<>();
        private final List<Thread> threads = new ArrayList<>();

        Traffic(ChatServer a, ChatServer b, List<String> recipients, String senderPrefix, int senderCount)
                throws InterruptedException {
            for (int i = 0; i < recipients.size(); i++) {
                Recorder seen = new Recorder();
                clients.add(connect(i % 2 == 0 ? a : b, recipients.get(i), seen));
                inboxes.put(recipients.get(i), seen);
            }
            for (int i = 0; i < senderCount; i++) {
                Sender sender = new Sender(senderPrefix + i, recipients);
                sender.client = connect(i % 2 == 0 ? b : a, sender.uid, sender);
                clients.add(sender.client);
                senders.add(sender);
                threads.add(new Thread(sender, "sender-" + sender.uid));
            }
            threads.forEach(Thread::start);
        }

        /** Waits (bounded) until every sender has {@code count} messages to {@code to} first tried after {@code t}. */
        void awaitAcknowledgedAfter(String to, long t, int count) {
            await().atMost(Duration.ofSeconds(20)).until(() -> senders.stream().allMatch(s -> s.acked.stream()
                    .filter(m -> m.to.equals(to) && m.firstTry > t).count() >= count));
        }

        /** Stops the senders and waits (bounded) for their threads. */
        void stop() throws InterruptedException {
            senders.forEach(s -> s.stop = true);
            for (Thread t : threads) {
                t.join(30_000);
            }
        }

        @Override
        public void close() throws InterruptedException {
            stop();
            clients.forEach(ChatClient::close);
        }
    }

    /**
     * {@code --redis-wait-replicas 1} (the default on a cluster) with both replicas of bob's mailbox master gone: a
     * send to bob is refused (UNAVAILABLE) rather than acknowledged, since a failover now could lose it; the same
     * client_msg_id sent again once a replica is back is acknowledged, and bob gets the message once.
     */
    @Test
    void aSendIsRefusedWhileTheMailboxMasterHasNoReplicaAndAcknowledgedOnceOneIsBack() throws Exception {
        ChatServer a = nodes.start();
        ChatServer b = nodes.start();
        int master = redis.cluster().masterOf(MailboxStore.mailboxKey("bob"));
        List<Integer> replicas = redis.cluster().replicasOf(master);
        assertThat(replicas).hasSize(2);
        try (RawSocketClient alice = RawProtocol.rawLogin(a, "alice", 0);
             RawSocketClient bob = RawProtocol.rawLogin(b, "bob", 0)) {
            WireFrames.write(alice, RawProtocol.chat("bob", "before", "c-0"));
            assertThat(RawProtocol.nextReply(alice).hasSendAck()).isTrue();
            ChatMessage before = RawProtocol.nextMessage(bob);
            assertThat(before.getContent()).isEqualTo("before");
            WireFrames.write(bob, RawProtocol.ack(before.getSeq()));

            replicas.forEach(port -> redis.cluster().kill(port));
            WireFrames.write(alice, RawProtocol.chat("bob", "while alone", "c-1"));
            Envelope refused = RawProtocol.nextReply(alice);
            assertThat(refused.hasError()).as("refused, not acknowledged: " + refused).isTrue();
            assertThat(refused.getError().getCode()).isEqualTo(ErrorCode.UNAVAILABLE);
            assertThat(refused.getError().getClientMsgId()).isEqualTo("c-1");
            // The refused try was appended on the master (only its WAIT failed), but no replica has it: it is not
            // pushed to bob, whose node's comparison pass keeps finding it and keeps waiting for a replica. Pushed,
            // it could die with its master and leave bob with a seq the promoted replica gives to another message.
            try (Jedis direct = new Jedis("127.0.0.1", master)) {
                assertThat(direct.xlen(MailboxStore.mailboxKey("bob")))
                        .as("the refused try is in the master's copy of bob's mailbox").isEqualTo(2L);
            }
            await("bob is pushed nothing that no replica has").during(Duration.ofSeconds(3))
                    .atMost(Duration.ofSeconds(5)).until(() -> bob.available() == 0);

            redis.cluster().restart(replicas.get(0));
            WireFrames.write(alice, RawProtocol.chat("bob", "while alone", "c-1")); // the client's retry
            Envelope acked = RawProtocol.nextReply(alice);
            assertThat(acked.hasSendAck()).as("acknowledged after the replica came back: " + acked).isTrue();
            WireFrames.write(alice, RawProtocol.chat("bob", "after", "c-2"));
            assertThat(RawProtocol.nextReply(alice).hasSendAck()).isTrue();

            // bob: the refused-then-retried message once (it may have been stored by the refused try: the retry
            // finds it), then the next one
            List<String> got = new ArrayList<>();
            while (got.size() < 2) {
                ChatMessage m = RawProtocol.nextMessage(bob);
                got.add(m.getContent());
                WireFrames.write(bob, RawProtocol.ack(m.getSeq()));
            }
            assertThat(got).containsExactly("while alone", "after");
        }
    }

    /**
     * What the senders had acknowledged arrives, none twice, each sender's in the order it sent them, in seq order with
     * no seq twice; and no sender gave up on a message.
     */
    static void assertEveryAcknowledgedMessageArrivesOnceInOrder(List<Sender> senders, Map<String, Recorder> inboxes) {
        senders.forEach(s -> assertThat(s.gaveUp).as(s.uid + " gave up on a message").isNull());
        for (Map.Entry<String, Recorder> inbox : inboxes.entrySet()) {
            String to = inbox.getKey();
            Recorder seen = inbox.getValue();
            List<String> expected = senders.stream().flatMap(s -> s.acked.stream())
                    .filter(m -> m.to.equals(to)).map(m -> m.text).toList();
            await().atMost(Duration.ofSeconds(20)).untilAsserted(() ->
                    assertThat(texts(seen)).as("what " + to + " received").containsAll(expected));
            List<String> got = texts(seen);
            assertThat(got).as("what " + to + " received").doesNotHaveDuplicates()
                    .hasSameElementsAs(expected);
            for (Sender s : senders) {
                List<String> sent = s.acked.stream().filter(m -> m.to.equals(to)).map(m -> m.text).toList();
                assertThat(got.stream().filter(t -> t.startsWith(s.uid + "#")).toList())
                        .as(s.uid + "'s messages to " + to).containsExactlyElementsOf(sent);
            }
            List<Long> seqs = seen.frames.stream().filter(Envelope::hasChat).map(f -> f.getChat().getSeq()).toList();
            assertThat(seqs).isSorted().doesNotHaveDuplicates();
        }
    }

    private static List<String> texts(Recorder seen) {
        return seen.frames.stream().filter(Envelope::hasChat).map(f -> f.getChat().getContent()).toList();
    }

    /** A client that reconnects by itself (a node may drop it while Redis fails over) and resumes from its seq. */
    static ChatClient connect(ChatServer node, String uid, ChatClient.Listener listener)
            throws InterruptedException {
        ChatClient client = ChatClient.connect(TestTokens.client("127.0.0.1", node.localAddress().getPort())
                        .withBackoff(50, 500),
                NodeLocator.fixed("127.0.0.1", node.localAddress().getPort()), uid, listener);
        return client;
    }

    record Acked(String to, String text, long firstTry, long ackedAt) {
    }

    /**
     * Sends to its recipients in turn, one message at a time with a client_msg_id of its own, and sends the same
     * message again (same id) after an UNAVAILABLE or when no answer came within 3 s: what a reliable client does,
     * but without ChatClient's 5 s resend timer, so the first send that gets through after the failover is seen
     * when it happens.
     */
    static final class Sender implements Runnable, ChatClient.Listener {

        final String uid;
        final List<String> recipients;
        final List<Acked> acked = new CopyOnWriteArrayList<>();
        final Map<String, CompletableFuture<Envelope>> waiting = new ConcurrentHashMap<>();
        volatile ChatClient client;
        volatile boolean stop;
        volatile String gaveUp;
        volatile int refusals;
        volatile int timeouts;

        Sender(String uid, List<String> recipients) {
            this.uid = uid;
            this.recipients = recipients;
        }

        @Override
        public void onFrame(Envelope frame) {
            String id = frame.hasSendAck() ? frame.getSendAck().getClientMsgId()
                    : frame.hasError() ? frame.getError().getClientMsgId() : null;
            CompletableFuture<Envelope> future = id == null ? null : waiting.remove(id);
            if (future != null) {
                future.complete(frame);
            }
        }

        @Override
        public void run() {
            for (int n = 1; !stop; n++) {
                String to = recipients.get(n % recipients.size());
                String text = uid + "#" + n + ">" + to;
                String cmid = uid + "-" + n;
                Envelope frame = Envelope.newBuilder().setChat(ChatMessage.newBuilder().setToUid(to).setContent(text)
                        .setClientMsgId(cmid)).build();
                long firstTry = System.nanoTime();
                long deadline = firstTry + TimeUnit.SECONDS.toNanos(25);
                while (true) {
                    if (System.nanoTime() > deadline) {
                        gaveUp = text;
                        return;
                    }
                    CompletableFuture<Envelope> reply = new CompletableFuture<>();
                    waiting.put(cmid, reply);
                    client.send(frame);
                    try {
                        Envelope answer = reply.get(3, TimeUnit.SECONDS);
                        if (answer.hasSendAck()) {
                            acked.add(new Acked(to, text, firstTry, System.nanoTime()));
                            break;
                        }
                        if (answer.getError().getCode() != ErrorCode.UNAVAILABLE) {
                            gaveUp = text + ": " + answer.getError();
                            return;
                        }
                        refusals++;
                    } catch (TimeoutException e) {
                        timeouts++;
                    } catch (InterruptedException | ExecutionException e) {
                        gaveUp = text + ": " + e;
                        return;
                    }
                    LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(50)); // a retry's pause, not a wait for an event
                }
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(10)); // ~ 4 x 80 messages/s: traffic, not a flood
            }
        }
    }
}
