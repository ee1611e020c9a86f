package com.example.im.checker.run;

import static org.assertj.core.api.Assertions.assertThat;

import com.example.im.checker.WireClient;
import com.example.im.checker.analysis.Promise;
import com.example.im.checker.wire.ChatMessage;
import com.example.im.checker.wire.Envelope;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import redis.clients.jedis.RedisClient;

/**
 * The article's inbox, a Redis list per node ({@code LPUSH} to send, {@code BRPOP} to receive), loses a message that
 * a node has popped and not yet written when it crashes: {@code BRPOP} removed it from Redis, and the only copy dies
 * with the process. docs/05-redis-forwarding.md, "First, the article's inbox loses a message" shows this test;
 * stage 5's {@code ReliableInboxTest} is the same crash against the stream inbox, where the message survives.
 *
 * <p>Deterministic without a test hook: node n2 is frozen with SIGSTOP while its {@code BRPOP} waits inside Redis.
 * Alice's message, pushed then, is popped by Redis for that waiting {@code BRPOP} at once and sent to n2's socket,
 * where n2 cannot read it; {@code kill -9} then ends n2 with the message in its socket buffer.
 */
@Timeout(120)
class ArticleInboxCrashTest {

    @TempDir
    Path dir;

    // tag::crash[]
    @Test
    void aMessagePoppedByANodeThatDiesBeforeWritingItIsLostForGood() throws Exception {
        Promise promise;
        try (InputStream in = getClass().getResourceAsStream("/naive.promise")) {
            promise = Promise.parse(new String(in.readAllBytes(), StandardCharsets.UTF_8));
        }
        Stage naive = Stage.of("naive", System.getProperty("java.class.path"), promise::get);
        try (Cluster cluster = new Cluster(naive, 2, dir); RedisClient redis = RedisClient.create(cluster.redisUri())) {
            Node n1 = cluster.nodes.get(0);
            Node n2 = cluster.nodes.get(1);
            try (WireClient alice = WireClient.login(n1.port, "alice")) {
                WireClient bob = WireClient.login(n2.port, "bob");
                send(alice, "the path works");
                assertThat(bob.next().getChat().getContent()).isEqualTo("the path works");

                // Freeze n2 while its BRPOP waits in Redis. BRPOP gives up after 1 s and the node asks again at once,
                // so a freeze can land between two BRPOPs: then the message stays in the list (n2 takes it when it
                // resumes) and the freeze is tried again.
                boolean poppedIntoAFrozenNode = false;
                for (int attempt = 1; attempt <= 10 && !poppedIntoAFrozenNode; attempt++) {
                    n2.signal("STOP");
                    String content = "lost #" + attempt;
                    send(alice, content); // acknowledged: the LPUSH succeeded
                    if (redis.llen("n2") == 0) {
                        poppedIntoAFrozenNode = true; // Redis popped it for the frozen node's BRPOP
                    } else {
                        n2.signal("CONT");
                        assertThat(bob.next().getChat().getContent()).isEqualTo(content);
                    }
                }
                assertThat(poppedIntoAFrozenNode).as("no freeze landed inside a BRPOP in 10 tries").isTrue();

                n2.kill9(); // the crash: the popped message was in n2's socket buffer only
                bob.close();
                n2.start();
                try (WireClient bobAgain = WireClient.login(n2.port, "bob")) {
                    // Nothing of it is left in Redis: n2's list is empty and no other key holds a message.
                    assertThat(redis.llen("n2")).isZero();
                    assertThat(redis.keys("*")).containsExactlyInAnyOrder(
                            "chat:user:session:alice", "chat:user:session:bob");
                    // The next message arrives, and it is the first thing bob gets: the acknowledged one is gone.
                    send(alice, "after the crash");
                    Envelope next = bobAgain.next();
                    assertThat(next.getChat().getContent()).isEqualTo("after the crash");
                }
            }
        }
    }
    // end::crash[]

    /** Sends a private message to bob and waits for its acknowledgement (which the naive node gives after LPUSH). */
    private static void send(WireClient alice, String content) throws Exception {
        alice.send(ChatMessage.newBuilder().setToUid("bob").setContent(content));
        Envelope ack = alice.next();
        assertThat(ack.hasSendAck()).as("%s", ack).isTrue();
        assertThat(ack.getSendAck().getSentUidsList()).containsExactly("bob");
    }
}
