package com.example.im.route;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.example.im.auth.TestTokens;
import com.example.im.protocol.Ack;
import com.example.im.protocol.ChatMessage;
import com.example.im.protocol.Envelope;
import com.example.im.protocol.Ping;
import com.example.im.server.ChatServer;
import com.example.im.server.WireFrames;
import com.example.im.testkit.RawSocketClient;
import com.example.im.testkit.RedisExtension;
import java.io.ByteArrayOutputStream;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Review of stage 7's push lanes: one hostile client must not be able to stop another user's pushes. A ping whose
 * last_seq is behind makes the node pull that user's mailbox (a Redis round trip on the user's push lane); before the
 * fix every such ping queued one more pull, so a flood of them filled the lane (10,000 tasks, shared with a quarter
 * of the node's users) and the lane then refused other users' work, silently. A refused start left a logged-in
 * connection without a cursor: nothing was ever pushed to it, and the comparison pass skips connections without one.
 */
class PushLaneFloodReviewTest {

    @RegisterExtension
    static final RedisExtension redis = new RedisExtension();

    private static final RedisRouting.DeliverySettings FAST = new RedisRouting.DeliverySettings(
            new MailboxStore.Retention(10_000, 3_600_000), 256, 300, 300);

    private Nodes nodes;

    @BeforeEach
    void setUp() {
        nodes = new Nodes(redis.uri(), 30_000);
        nodes.redis().flushAll();
    }

    @AfterEach
    void tearDown() throws Exception {
        nodes.close();
    }

    /** A uid whose push lane (of 4) is the same as {@code other}'s. */
    private static String onTheLaneOf(String other) {
        for (int i = 0; ; i++) {
            String uid = "bob" + i;
            if (Math.floorMod(uid.hashCode(), 4) == Math.floorMod(other.hashCode(), 4)) {
                return uid;
            }
        }
    }

    private static RawSocketClient rawLogin(ChatServer node, String uid) {
        RawSocketClient raw = RawSocketClient.connect(node.localAddress());
        WireFrames.write(raw, Envelope.newBuilder().setLogin(TestTokens.login(uid).setLastSeq(0)).build());
        assertThat(WireFrames.read(raw).hasLoginAck()).isTrue();
        return raw;
    }

    @Test
    void aFloodOfAcksFromOneClientDoesNotStopPushesToAnotherUserOnItsLane() throws Exception {
        ChatServer node = nodes.start(nodes.config().withDelivery(FAST));
        String bobUid = onTheLaneOf("mallory");
        // mallory has a message; she acknowledges far beyond it, again and again. Each such ack costs her lane two
        // Redis round trips (the cursor script, then a pull), and she sends them much faster than that.
        node.routing().mailboxes().append("mallory", ChatMessage.newBuilder().setMsgId("m-0").setFromUid("x")
                .setToUid("mallory").setContent("bait").build());

        AtomicBoolean stop = new AtomicBoolean();
        AtomicBoolean lastPong = new AtomicBoolean();
        try (RawSocketClient mallory = rawLogin(node, "mallory")) {
            // She reads everything: no slow-reader close ends the flood early. The pong of her last ping says the
            // node has read the whole flood.
            Thread drain = new Thread(() -> {
                try {
                    while (!lastPong.get()) {
                        Envelope frame = WireFrames.read(mallory);
                        if (frame.hasPong() && frame.getPong().getPingSentAt() == 42) {
                            lastPong.set(true);
                        }
                    }
                } catch (AssertionError | RuntimeException e) {
                    // closed, or nothing for 10 s
                }
            }, "mallory-drain");
            drain.setDaemon(true);
            drain.start();
            ByteArrayOutputStream block = new ByteArrayOutputStream();
            byte[] ack = WireFrames.frame(Envelope.newBuilder().setAck(Ack.newBuilder().setSeq(1_000_000)).build());
            for (int i = 0; i < 1_000; i++) {
                block.writeBytes(ack);
            }
            byte[] acks = block.toByteArray();
            Thread flood = new Thread(() -> {
                try {
                    for (int i = 0; i < 200 && !stop.get(); i++) {
                        mallory.write(acks);
                    }
                    WireFrames.write(mallory, Envelope.newBuilder().setPing(Ping.newBuilder().setSentAt(42)).build());
                } catch (RuntimeException e) {
                    // the node closed her: the flood is over
                }
            }, "mallory-flood");
            flood.setDaemon(true);
            flood.start();
            // Before the fix her acks fill her lane (10,000 waiting); after it, at most one ack of hers waits, and
            // the node reads the whole flood.
            Pusher pusher = node.routing().pusher();
            await().atMost(Duration.ofSeconds(60)).until(() -> pusher.backlog() >= 9_990 || lastPong.get());

            try (RawSocketClient bob = rawLogin(node, bobUid); RawSocketClient alice = rawLogin(node, "alice")) {
                WireFrames.write(alice, Envelope.newBuilder().setChat(ChatMessage.newBuilder().setToUid(bobUid)
                        .setContent("for bob").setClientMsgId("c-1")).build());
                Envelope reply = WireFrames.read(alice);
                while (!reply.hasSendAck()) {
                    reply = WireFrames.read(alice);
                }
                stop.set(true);
                flood.join(10_000);
                // Acknowledged to alice: bob, logged in on this node, must be shown it (the read waits 10 s at most).
                Envelope frame = WireFrames.read(bob);
                while (!frame.hasChat()) {
                    frame = WireFrames.read(bob);
                }
                assertThat(frame.getChat().getContent()).isEqualTo("for bob");
            } finally {
                stop.set(true);
            }
        }
    }
}
