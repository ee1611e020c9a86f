package com.example.im.route;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.example.im.protocol.Envelope;
import com.example.im.protocol.ErrorCode;
import com.example.im.server.ChatServer;
import com.example.im.testkit.RedisExtension;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Redis goes away under a running cluster, and comes back empty (no persistence). */
class RedisOutageTest {

    @RegisterExtension
    final RedisExtension redis = new RedisExtension();

    private Nodes nodes;

    @BeforeEach
    void setUp() {
        nodes = new Nodes(redis.uri(), 1_500); // renewed every 0.5 s: sessions come back quickly
    }

    @AfterEach
    void tearDown() throws Exception {
        nodes.close();
    }

    /**
     * Stage 6 refused only cross-node sends while Redis was down and served users of the same node from its local
     * sessions. Stage 7 appends every message to its recipient's mailbox before acknowledging it, so while Redis is
     * down every send is refused (UNAVAILABLE), a local one too: the price of an ack that means "stored". The
     * connections stay up, and the client sends the refused messages again by itself, with the same client_msg_id,
     * until Redis takes them; then each arrives once. (Redis comes back empty here, which is harmless only because
     * nobody had received a message before: a Redis that loses acknowledged mailboxes breaks the guarantee, see
     * chapter 7 on AOF.)
     */
    @Test
    void everySendIsRefusedWhileRedisIsDownEvenALocalOneAndTheClientsRetriesArriveOnceItIsBack() throws Exception {
        ChatServer a = nodes.start();
        ChatServer b = nodes.start();
        Nodes.User alice = nodes.login(a, "alice");
        Nodes.User carol = nodes.login(a, "carol");
        Nodes.User bob = nodes.login(b, "bob");

        redis.stopServer();

        alice.send("bob", "lost cause");
        await().atMost(Duration.ofSeconds(15)).until(() -> alice.replies().stream()
                .anyMatch(r -> r.hasError() && r.getError().getCode() == ErrorCode.UNAVAILABLE));
        // A user on the same node is no exception any more: nothing is acknowledged before it is stored.
        int repliesSoFar = alice.replies().size();
        alice.send("carol", "still talking locally");
        await().atMost(Duration.ofSeconds(15)).until(() -> alice.replies().stream().skip(repliesSoFar)
                .anyMatch(r -> r.hasError() && r.getError().getCode() == ErrorCode.UNAVAILABLE));
        assertThat(alice.replies()).noneMatch(Envelope::hasSendAck);
        assertThat(carol.received("still talking locally")).isFalse();
        assertThat(a.localAddress()).isNotNull(); // the nodes are up
        assertThat(alice.client().isOpen() && bob.client().isOpen() && carol.client().isOpen()).isTrue();
        assertThat(alice.client().unacknowledged()).as("kept for a retry").isEqualTo(2);

        redis.restartServer(); // empty: sessions, inboxes and consumer groups are gone

        // The client's own retries: each refused message arrives, once.
        await().atMost(Duration.ofSeconds(30)).until(() -> bob.received("lost cause")
                && carol.received("still talking locally"));
        await().atMost(Duration.ofSeconds(10)).until(() -> alice.client().unacknowledged() == 0);
        assertThat(bob.copiesOf("lost cause")).isEqualTo(1);
        assertThat(carol.copiesOf("still talking locally")).isEqualTo(1);

        AtomicInteger probe = new AtomicInteger();
        await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
            String text = "probe " + probe.incrementAndGet();
            int before = alice.replies().size();
            alice.send("bob", text);
            await().atMost(Duration.ofSeconds(5)).until(() -> alice.replies().size() > before);
            Envelope reply = alice.replies().get(before);
            assertThat(reply.hasSendAck()).as("reply %s", reply).isTrue();
            await().atMost(Duration.ofSeconds(5)).until(() -> bob.received(text));
        });
    }

    @Test
    void sessionsLostInARedisRestartAreWrittenAgainAsSoonAsRedisAnswers() throws Exception {
        // A long TTL: the regular renewal pass comes only every 20 s, so it cannot be what brings the sessions back.
        try (Nodes slow = new Nodes(redis.uri(), 60_000)) {
            ChatServer a = slow.start();
            ChatServer b = slow.start();
            Nodes.User alice = slow.login(a, "alice");
            Nodes.User bob = slow.login(b, "bob");
            redis.clients.jedis.RedisClient inspect = slow.redis();

            redis.stopServer();
            redis.restartServer(); // empty: every session is gone

            await().atMost(Duration.ofSeconds(6)).until(() -> {
                try {
                    return inspect.get(RedisKeys.session("bob")) != null
                            && inspect.get(RedisKeys.session("alice")) != null;
                } catch (RuntimeException e) {
                    return false; // the test's own connection is being re-established
                }
            });
            alice.send("bob", "right after the restart");
            await().atMost(Duration.ofSeconds(5)).until(() -> bob.received("right after the restart"));
            assertThat(alice.replies()).noneMatch(Envelope::hasError);
        }
    }
}
