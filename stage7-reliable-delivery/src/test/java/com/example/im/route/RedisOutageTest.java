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

    @Test
    void crossNodeSendsGetAnErrorWhileRedisIsDownLocalChatGoesOnAndServiceReturnsByItself() throws Exception {
        ChatServer a = nodes.start();
        ChatServer b = nodes.start();
        Nodes.User alice = nodes.login(a, "alice");
        Nodes.User carol = nodes.login(a, "carol");
        Nodes.User bob = nodes.login(b, "bob");

        redis.stopServer();

        alice.send("bob", "lost cause");
        await().atMost(Duration.ofSeconds(15)).until(() -> alice.replies().stream()
                .anyMatch(r -> r.hasError() && r.getError().getCode() == ErrorCode.UNAVAILABLE));
        // Users on the same node do not need Redis at all.
        alice.send("carol", "still talking locally");
        await().until(() -> carol.received("still talking locally"));
        assertThat(a.localAddress()).isNotNull(); // the nodes are up
        assertThat(alice.client().isOpen() && bob.client().isOpen()).isTrue();

        redis.restartServer(); // empty: sessions, inboxes and consumer groups are gone

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
