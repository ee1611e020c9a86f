package com.example.im.route;

import static com.example.im.route.RawProtocol.chat;
import static com.example.im.route.RawProtocol.nextReply;
import static com.example.im.route.RawProtocol.rawLogin;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.example.im.client.Shown;
import com.example.im.protocol.Envelope;
import com.example.im.protocol.ErrorCode;
import com.example.im.server.ChatServer;
import com.example.im.server.WireFrames;
import com.example.im.testkit.RawSocketClient;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.RedisClient;

/**
 * Redis crashes (SIGKILL) under the cluster and restarts from its append-only file ({@code appendonly yes},
 * {@code appendfsync always}: every write is on disk before Redis answers it, so before the node acknowledges). The
 * chapter's row "Redis crash: nothing acknowledged is lost".
 */
class RedisCrashWithAofTest {

    private static List<String> texts(String prefix, int from, int to) {
        return IntStream.range(from, to).mapToObj(i -> prefix + i).toList();
    }

    /**
     * bob read m0..m19 and acknowledged them, then logged out; m20..m49 and carl's c-1 were acknowledged while he was
     * away. Redis is killed. Sends during the outage are refused (UNAVAILABLE), not silently dropped. After the
     * restart: carl's retry of c-1 gets its first msg_id back and is not stored again; his refused c-2 is stored once
     * however often he retries; alice's client resends her refused message by itself. bob, on a new client that kept
     * nothing (last_seq -1), is shown m20..m49, c-1 and the two refused-then-retried messages, once each, in order,
     * and not m0..m19 again: the mailbox, the acknowledged cursor and the client_msg_id records all survived.
     */
    @Test
    void everythingAcknowledgedBeforeARedisCrashIsDeliveredOnceAfterTheRestartAndRefusedSendsAreRetriedOnce()
            throws Exception {
        try (AofRedis redis = new AofRedis(); Nodes nodes = new Nodes(redis.uri(), 1_500)) {
            ChatServer a = nodes.start();
            ChatServer b = nodes.start();
            RedisClient inspect = nodes.redis();
            Nodes.User alice = nodes.login(a, "alice");

            Nodes.User bob = nodes.login(b, "bob");
            texts("m", 0, 20).forEach(t -> alice.send("bob", t));
            await().atMost(Duration.ofSeconds(10)).until(() -> inspect.get(MailboxStore.startKey("bob")) != null && Long.toString(
                    Long.parseLong(inspect.get(MailboxStore.startKey("bob"))) + 20)
                    .equals(inspect.get(MailboxStore.ackKey("bob"))));
            bob.client().close();
            texts("m", 20, 50).forEach(t -> alice.send("bob", t));
            await().atMost(Duration.ofSeconds(10)).until(() -> alice.client().unacknowledged() == 0);

            String c1;
            try (RawSocketClient carl = rawLogin(a, "carl", 0)) {
                WireFrames.write(carl, chat("bob", "c1", "carl-1"));
                Envelope reply = nextReply(carl);
                assertThat(reply.hasSendAck()).as("%s", reply).isTrue();
                c1 = reply.getSendAck().getMsgId();

                redis.crash(); // right after the acks: only appendfsync always keeps them all

                WireFrames.write(carl, chat("bob", "c2", "carl-2"));
                Envelope refused = nextReply(carl);
                assertThat(refused.hasError() && refused.getError().getCode() == ErrorCode.UNAVAILABLE)
                        .as("a send while Redis is down is refused: %s", refused).isTrue();
                alice.send("bob", "during the outage");
                await().atMost(Duration.ofSeconds(15)).until(() -> alice.replies().stream()
                        .anyMatch(r -> r.hasError() && r.getError().getCode() == ErrorCode.UNAVAILABLE));
                assertThat(alice.client().unacknowledged()).as("kept for a retry").isEqualTo(1);

                redis.restart();

                // alice's client retries by itself (same client_msg_id) once Redis takes writes again.
                await().atMost(Duration.ofSeconds(30)).until(() -> alice.client().unacknowledged() == 0);
                // carl's retry of the refused c-2: refused again while the nodes' Redis connections come back,
                // then stored. Every attempt has the same client_msg_id, so however many it takes, it is stored once.
                String[] c2 = new String[1];
                await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
                    WireFrames.write(carl, chat("bob", "c2", "carl-2"));
                    Envelope answer = nextReply(carl);
                    assertThat(answer.hasSendAck()).as("%s", answer).isTrue();
                    c2[0] = answer.getSendAck().getMsgId();
                });
                WireFrames.write(carl, chat("bob", "c2", "carl-2"));
                assertThat(nextReply(carl).getSendAck().getMsgId()).isEqualTo(c2[0]);
                WireFrames.write(carl, chat("bob", "c1", "carl-1")); // "was c-1 stored?": yes, under its first id
                assertThat(nextReply(carl).getSendAck().getMsgId()).as("c-1's retry gets its first msg_id")
                        .isEqualTo(c1);
            }
            // (the test's first connection died with the crash: a new one)
            assertThat(nodes.redis().xlen(MailboxStore.mailboxKey("bob"))).as("each message stored once")
                    .isEqualTo(53);

            Nodes.User bobAgain = nodes.login(a, "bob"); // a new process: it kept nothing, last_seq -1
            List<String> expected = new ArrayList<>(texts("m", 20, 50));
            expected.addAll(List.of("c1", "during the outage", "c2"));
            await().atMost(Duration.ofSeconds(15)).until(() -> Shown.of(bobAgain.seen()).size() >= expected.size());
            Shown.assertExactlyOnceInOrder("bob", Shown.of(bobAgain.seen()), expected);
            assertThat(Shown.of(bob.seen()).stream().map(m -> m.getContent()).toList())
                    .as("what bob saw before he logged out").containsExactlyElementsOf(texts("m", 0, 20));
        }
    }
}
