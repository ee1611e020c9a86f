package com.example.im.route;

import static com.example.im.route.RawProtocol.ack;
import static com.example.im.route.RawProtocol.chat;
import static com.example.im.route.RawProtocol.nextMessage;
import static com.example.im.route.RawProtocol.rawLogin;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.example.im.auth.TestTokens;
import com.example.im.client.ChatClient;
import com.example.im.client.Recorder;
import com.example.im.client.Shown;
import com.example.im.protocol.ChatMessage;
import com.example.im.protocol.Envelope;
import com.example.im.server.ChatServer;
import com.example.im.server.WireFrames;
import com.example.im.testkit.RawSocketClient;
import com.example.im.testkit.RedisExtension;
import java.io.ByteArrayOutputStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import redis.clients.jedis.RedisClient;

/**
 * Stage 7's guarantee, one row of the chapter's table per test (docs/07-reliable-delivery.md, "The guarantees to
 * prove (one test each)"): real Redis, nodes in this JVM, clients on raw sockets so that each loss (a push, an ack, a SendAck, a
 * notification) can be made on purpose.
 */
class ReliableDeliveryTest {

    @RegisterExtension
    static final RedisExtension redis = new RedisExtension();

    private Nodes nodes;
    private RedisClient inspect;

    /** Short resend and comparison times, so that the tests of lost frames run in about a second. */
    private static final RedisRouting.DeliverySettings FAST = new RedisRouting.DeliverySettings(
            new MailboxStore.Retention(10_000, 3_600_000), 256, 300, 300);

    @BeforeEach
    void setUp() {
        nodes = new Nodes(redis.uri(), 30_000);
        inspect = nodes.redis();
        inspect.flushAll();
    }

    @AfterEach
    void tearDown() throws Exception {
        nodes.close();
    }

    private ChatServer node() throws InterruptedException {
        return nodes.start(nodes.config().withDelivery(FAST));
    }

    /** The seq of {@code uid}'s n-th message: a mailbox numbers from where its counter started (Redis' clock). */
    private long seq(String uid, long n) {
        return Long.parseLong(inspect.get(MailboxStore.startKey(uid))) + n;
    }

    @Test
    void aRetryOfTheSameClientMsgIdIsStoredOnceAndAcknowledgedWithTheSameMsgId() throws Exception {
        ChatServer a = node();
        ChatServer b = node();
        try (RawSocketClient alice = rawLogin(a, "alice", 0); RawSocketClient bob = rawLogin(b, "bob", 0)) {
            WireFrames.write(alice, chat("bob", "once", "c-1"));
            Envelope first = WireFrames.read(alice);
            WireFrames.write(alice, chat("bob", "once", "c-1")); // the SendAck was "lost": the client retries
            Envelope second = WireFrames.read(alice);

            assertThat(first.getSendAck().getClientMsgId()).isEqualTo("c-1");
            assertThat(second.getSendAck().getMsgId()).isEqualTo(first.getSendAck().getMsgId());
            assertThat(inspect.xlen(MailboxStore.mailboxKey("bob"))).isEqualTo(1);
            ChatMessage got = nextMessage(bob);
            assertThat(got.getContent()).isEqualTo("once");
            assertThat(got.getSeq()).isEqualTo(seq("bob", 1));
            assertThat(got.getMsgId()).isEqualTo(first.getSendAck().getMsgId());
        }
    }

    @Test
    void theSameClientMsgIdFromTheSendersNewConnectionOnAnotherNodeIsStoredOnce() throws Exception {
        ChatServer a = node();
        ChatServer b = node();
        try (RawSocketClient first = rawLogin(a, "alice", 0)) {
            WireFrames.write(first, chat("bob", "from my old connection", "c-7"));
            String msgId = WireFrames.read(first).getSendAck().getMsgId();
            // alice's client reconnects to B (the newest login wins) and, unsure, sends c-7 again.
            try (RawSocketClient second = rawLogin(b, "alice", 0)) {
                WireFrames.write(second, chat("bob", "from my old connection", "c-7"));
                Envelope ack = WireFrames.read(second);
                while (!ack.hasSendAck()) {
                    ack = WireFrames.read(second);
                }
                assertThat(ack.getSendAck().getMsgId()).isEqualTo(msgId);
            }
        }
        assertThat(inspect.xlen(MailboxStore.mailboxKey("bob"))).isEqualTo(1);
    }

    /**
     * alice's client, unsure whether its old connection (on A) still works, sends the same client_msg_id on a new
     * connection (on B) at the same moment as on the old one: two nodes store it at once. It is stored once, pushed
     * once, and every SendAck names the same msg_id. The newer login kicks the older connection, so in a given
     * attempt the old one may be closed before its SendAck goes out (a lost SendAck, which is allowed); the race is
     * run until both connections got theirs at least once, and every attempt must store once.
     */
    @Test
    void theSameClientMsgIdSentConcurrentlyOnTwoConnectionsOfTheSameUserIsStoredOnceUnderOneMsgId() throws Exception {
        ChatServer a = node();
        ChatServer b = node();
        int bothAcknowledged = 0;
        int attempts = 0;
        try (RawSocketClient bob = rawLogin(b, "bob", 0)) {
            for (int attempt = 1; attempt <= 20 && bothAcknowledged < 2; attempt++) {
                attempts = attempt;
                String cmid = "race-" + attempt;
                try (RawSocketClient old = rawLogin(a, "alice", 0);
                     RawSocketClient fresh = RawSocketClient.connect(b.localAddress())) {
                    byte[] oldSend = WireFrames.frame(chat("bob", "raced", cmid));
                    ByteArrayOutputStream freshSend = new ByteArrayOutputStream();
                    freshSend.writeBytes(WireFrames.frame(Envelope.newBuilder().setLogin(
                            TestTokens.login("alice").setLastSeq(0)).build()));
                    freshSend.writeBytes(WireFrames.frame(chat("bob", "raced", cmid)));
                    CyclicBarrier start = new CyclicBarrier(2);
                    Thread other = new Thread(() -> {
                        awaitQuietly(start);
                        old.write(oldSend);
                    });
                    other.start();
                    awaitQuietly(start);
                    fresh.write(freshSend.toByteArray());
                    other.join();

                    String freshId = RawProtocol.nextReply(fresh).getSendAck().getMsgId();
                    String oldId = sendAckOrNull(old);
                    if (oldId != null) {
                        assertThat(oldId).as("attempt %d: both SendAcks name one msg_id", attempt).isEqualTo(freshId);
                        bothAcknowledged++;
                    }
                    ChatMessage got = nextMessage(bob);
                    assertThat(got.getMsgId()).isEqualTo(freshId);
                    assertThat(got.getSeq()).as("attempt %d: one seq per message", attempt)
                            .isEqualTo(seq("bob", attempt));
                    WireFrames.write(bob, ack(got.getSeq()));
                    assertThat(inspect.xlen(MailboxStore.mailboxKey("bob"))).as("attempt %d", attempt)
                            .isEqualTo(attempt);
                }
            }
        }
        System.out.printf("same client_msg_id raced on two connections: %d attempts for 2 with both acks%n",
                attempts);
        assertThat(bothAcknowledged).as("attempts in which both connections got their SendAck").isEqualTo(2);
    }

    private static void awaitQuietly(CyclicBarrier barrier) {
        try {
            barrier.await(10, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    /** The SendAck's msg_id on a connection that may be kicked (and closed) first; null then. */
    private static String sendAckOrNull(RawSocketClient raw) {
        try {
            while (true) {
                Envelope frame = WireFrames.read(raw);
                if (frame.hasSendAck()) {
                    return frame.getSendAck().getMsgId();
                }
                if (frame.hasError()) {
                    return null; // KICKED: the newer login won before the SendAck went out
                }
            }
        } catch (RuntimeException closed) {
            return null;
        }
    }

    @Test
    void messagesToAUserWhoIsNotLoggedInArriveAtTheNextLoginInOrderOnce() throws Exception {
        ChatServer a = node();
        ChatServer b = node();
        try (RawSocketClient alice = rawLogin(a, "alice", 0)) {
            for (int i = 1; i <= 3; i++) {
                WireFrames.write(alice, chat("bob", "while you were away " + i, "c-" + i));
                Envelope reply = WireFrames.read(alice);
                assertThat(reply.getSendAck().getOfflineUidsList()).as("%s", reply).containsExactly("bob");
            }
        }
        try (RawSocketClient bob = rawLogin(b, "bob", 0)) {
            List<String> got = new ArrayList<>();
            for (int i = 1; i <= 3; i++) {
                ChatMessage m = nextMessage(bob);
                assertThat(m.getSeq()).isEqualTo(seq("bob", i));
                got.add(m.getContent());
            }
            assertThat(got).containsExactly("while you were away 1", "while you were away 2",
                    "while you were away 3");
        }
    }

    @Test
    void aPushTheClientNeverAcknowledgesIsPushedAgainWithTheSameSeq() throws Exception {
        ChatServer a = node();
        ChatServer b = node();
        try (RawSocketClient alice = rawLogin(a, "alice", 0); RawSocketClient bob = rawLogin(b, "bob", 0)) {
            WireFrames.write(alice, chat("bob", "did you get it?", "c-1"));
            ChatMessage first = nextMessage(bob);
            // bob's ack is "lost": he sends none. After the resend time (300 ms here) the node pushes it again.
            ChatMessage again = nextMessage(bob);
            assertThat(again.getSeq()).isEqualTo(first.getSeq());
            assertThat(again.getMsgId()).isEqualTo(first.getMsgId());

            WireFrames.write(bob, ack(again.getSeq()));
            await().until(() -> inspect.get(MailboxStore.ackKey("bob")) != null);
            assertThat(inspect.get(MailboxStore.ackKey("bob"))).isEqualTo(Long.toString(seq("bob", 1)));
        }
    }

    @Test
    void aClientThatHasShownNothingYetIsPushedMoreThanOneMessageBeforeItAcknowledges() throws Exception {
        // Found in stage 8's review: a client that logs in with last_seq 0 starts at a cursor of 0, and a sequence
        // starts at Redis' clock in microseconds. The window (pushed - acknowledged) looked full after the first
        // message: every later one waited for an ack or the resend. Resend and comparison are a minute here, so only
        // the window can let the next messages through within the read timeout.
        RedisRouting.DeliverySettings slow = new RedisRouting.DeliverySettings(
                new MailboxStore.Retention(10_000, 3_600_000), 256, 60_000, 60_000);
        ChatServer a = nodes.start(nodes.config().withDelivery(slow));
        try (RawSocketClient alice = rawLogin(a, "alice", 0); RawSocketClient bob = rawLogin(a, "bob", 0)) {
            for (int i = 1; i <= 3; i++) {
                WireFrames.write(alice, chat("bob", "n" + i, "c-" + i));
                assertThat(RawProtocol.nextReply(alice).hasSendAck()).isTrue();
                ChatMessage m = nextMessage(bob); // bob acknowledges nothing
                assertThat(m.getContent()).isEqualTo("n" + i);
                assertThat(m.getSeq()).isEqualTo(seq("bob", i));
            }
        }
    }

    @Test
    void aMessageStoredWithoutANotificationIsPushedByTheNextComparison() throws Exception {
        ChatServer b = node();
        try (RawSocketClient bob = rawLogin(b, "bob", 0)) {
            // As if the sender's node died between the append and the notification: no inbox entry at all.
            b.routing().mailboxes().append("bob", ChatMessage.newBuilder().setMsgId("m-lost-notify")
                    .setFromUid("alice").setToUid("bob").setContent("found by comparison").build());
            ChatMessage m = nextMessage(bob);
            assertThat(m.getContent()).isEqualTo("found by comparison");
            assertThat(m.getSeq()).isEqualTo(seq("bob", 1));
        }
    }

    @Test
    void aClientAwayLongerThanRetentionIsToldWhichMessagesItMissed() throws Exception {
        RedisRouting.DeliverySettings small = new RedisRouting.DeliverySettings(
                new MailboxStore.Retention(2, 3_600_000), 256, 300, 300);
        ChatServer a = nodes.start(nodes.config().withDelivery(small));
        try (RawSocketClient alice = rawLogin(a, "alice", 0)) {
            for (int i = 1; i <= 4; i++) {
                WireFrames.write(alice, chat("bob", "n" + i, "c-" + i));
                assertThat(WireFrames.read(alice).hasSendAck()).isTrue();
            }
        }
        try (RawSocketClient bob = rawLogin(a, "bob", 0)) {
            Envelope gap = WireFrames.read(bob);
            assertThat(gap.hasGap()).as("%s", gap).isTrue();
            assertThat(gap.getGap().getFromSeq()).isEqualTo(seq("bob", 1));
            assertThat(gap.getGap().getToSeq()).isEqualTo(seq("bob", 2));
            assertThat(nextMessage(bob).getSeq()).isEqualTo(seq("bob", 3));
            assertThat(nextMessage(bob).getSeq()).isEqualTo(seq("bob", 4));
        }
    }

    @Test
    void aLoginWithoutLocalStateResumesAfterTheAcknowledgedCursor() throws Exception {
        ChatServer a = node();
        try (RawSocketClient alice = rawLogin(a, "alice", 0)) {
            for (int i = 1; i <= 3; i++) {
                WireFrames.write(alice, chat("bob", "n" + i, "c-" + i));
                assertThat(WireFrames.read(alice).hasSendAck()).isTrue();
            }
        }
        try (RawSocketClient bob = rawLogin(a, "bob", 0)) {
            assertThat(nextMessage(bob).getSeq()).isEqualTo(seq("bob", 1));
            WireFrames.write(bob, ack(seq("bob", 1)));
            await().until(() -> Long.toString(seq("bob", 1)).equals(inspect.get(MailboxStore.ackKey("bob"))));
        }
        // A new process of bob's (the console restarted) kept nothing: -1. It gets 2 and 3, not 1 again.
        try (RawSocketClient bob = rawLogin(a, "bob", -1)) {
            assertThat(nextMessage(bob).getSeq()).isEqualTo(seq("bob", 2));
            assertThat(nextMessage(bob).getSeq()).isEqualTo(seq("bob", 3));
        }
    }

    /**
     * bob's client stalls for a second on message 5 (a slow UI on its I/O thread): it reads nothing and acknowledges
     * nothing, so after the resend time (300 ms) bob's node pushes its unacknowledged seqs again, more than once.
     * When the client catches up it reads the originals and the resends: the ChatClient drops the resends by seq
     * and shows each message once, in order. Fails if the client did not de-duplicate.
     */
    @Test
    void aChatClientWhoseAcksAreLateDropsTheResendsBySeq() throws Exception {
        ChatServer a = node();
        ChatServer b = node();
        Nodes.User alice = nodes.login(a, "alice");
        Recorder seen = new Recorder();
        ChatClient.Listener stallsOnce = new ChatClient.Listener() {
            private boolean stalled;

            @Override
            public void onFrame(Envelope frame) {
                seen.onFrame(frame);
                if (frame.hasChat() && frame.getChat().getContent().equals("m4") && !stalled) {
                    stalled = true;
                    LockSupport.parkNanos(1_000_000_000L); // the fault: a client that stalls, 3 resend times
                }
            }
        };
        Nodes.User bob = nodes.login(b, "bob", seen, stallsOnce);
        List<String> sent = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            sent.add("m" + i);
            alice.send("bob", "m" + i);
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> inspect.get(MailboxStore.startKey("bob")) != null
                && Long.toString(seq("bob", 20)).equals(inspect.get(MailboxStore.ackKey("bob"))));
        // Past the resend time again: nothing more is shown.
        await().during(Duration.ofMillis(700)).atMost(Duration.ofSeconds(3))
                .until(() -> Shown.of(bob.seen()).size() == 20);
        Shown.assertExactlyOnceInOrder("bob", Shown.of(bob.seen()), sent);
    }

    @Test
    void theChatClientShowsEveryMessageOnceInOrderThroughResends() throws Exception {
        ChatServer a = node();
        ChatServer b = node();
        Nodes.User alice = nodes.login(a, "alice");
        Nodes.User bob = nodes.login(b, "bob");
        for (int i = 0; i < 50; i++) {
            alice.send("bob", "m" + i);
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> bob.seen().count(Envelope.BodyCase.CHAT) >= 50);
        // Past the resend time (300 ms): had an ack not reached the node, its pushes would come again; either way
        // the client shows each message once, in order: still 50 a while later.
        await().during(Duration.ofMillis(700)).atMost(Duration.ofSeconds(3))
                .until(() -> bob.seen().count(Envelope.BodyCase.CHAT) == 50);
        List<String> shown = bob.seen().frames.stream().filter(Envelope::hasChat)
                .map(f -> f.getChat().getContent()).toList();
        List<String> expected = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            expected.add("m" + i);
        }
        assertThat(shown).containsExactlyElementsOf(expected);
        assertThat(alice.client().unacknowledged()).isZero();
    }

    /**
     * Redis restarted without persistence: the mailbox, the counter and bob's session are gone. The messages acked
     * after that must still be shown: a counter that started at 1 again would give them seqs bob's client already
     * has, and it would drop them as duplicates. The new counter starts above, and bob is told of the range between
     * (messages he never got may have been lost with the mailbox).
     */
    @Test
    void messagesAcknowledgedAfterRedisLostTheMailboxAreShownAfterAGap() throws Exception {
        ChatServer a = node();
        ChatServer b = node();
        Nodes.User alice = nodes.login(a, "alice");
        Nodes.User bob = nodes.login(b, "bob");
        for (int i = 0; i < 3; i++) {
            alice.send("bob", "before " + i);
        }
        await().until(() -> bob.seen().count(Envelope.BodyCase.CHAT) == 3);
        inspect.flushAll(); // what a restart without AOF leaves
        for (int i = 0; i < 3; i++) {
            alice.send("bob", "after " + i);
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> bob.seen().count(Envelope.BodyCase.CHAT) == 6);
        assertThat(bob.seen().frames.stream().filter(Envelope::hasChat).map(f -> f.getChat().getContent()))
                .containsExactly("before 0", "before 1", "before 2", "after 0", "after 1", "after 2");
        assertThat(bob.seen().count(Envelope.BodyCase.GAP)).as("told of the range the lost mailbox held").isOne();
        assertThat(alice.client().unacknowledged()).isZero();
    }
}
