package com.example.im.route;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.example.im.protocol.Envelope;
import com.example.im.protocol.ErrorCode;
import com.example.im.server.ChatServer;
import com.example.im.testkit.RedisExtension;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import redis.clients.jedis.RedisClient;

/**
 * Redis is up but answers an inbox write with an error reply (WRONGTYPE, -OOM): the sender must hear that its message
 * was not queued, never a SendAck for it.
 */
class RedisErrorRepliesTest {

    @RegisterExtension
    final RedisExtension redis = new RedisExtension();

    private Nodes nodes;
    private RedisClient control;

    @BeforeEach
    void setUp() {
        nodes = new Nodes(redis.uri(), 10_000);
        control = nodes.redis();
    }

    @AfterEach
    void tearDown() throws Exception {
        control.configSet("maxmemory", "0");
        nodes.close();
    }

    /**
     * dave's session points at node "ghost", whose inbox key holds a string: the XADD there gets WRONGTYPE while
     * every other write still succeeds. No node consumes "ghost"'s inbox, so nothing else trips over the bad key.
     */
    private void daveOnANodeWhoseInboxIsTheWrongType() {
        control.set(RedisKeys.session("dave"), new SessionRef("s-dave", "ghost").encode());
        control.set(RedisKeys.inbox("ghost"), "not a stream");
    }

    @Test
    void aSenderGetsAnErrorNotASendAckWhenRedisRefusesTheForward() throws Exception {
        ChatServer a = nodes.start("a");
        Nodes.User alice = nodes.login(a, "alice");
        daveOnANodeWhoseInboxIsTheWrongType();

        alice.send("dave", "refused");

        await().until(() -> !alice.replies().isEmpty());
        Envelope reply = alice.replies().get(0);
        assertThat(reply.hasError()).as("reply %s", reply).isTrue();
        assertThat(reply.getError().getCode()).isEqualTo(ErrorCode.UNAVAILABLE);
    }

    @Test
    void aGroupSendWithOneRefusedTargetDoesNotClaimThatMemberAsSent() throws Exception {
        ChatServer a = nodes.start("a");
        ChatServer b = nodes.start("b");
        Nodes.User alice = nodes.login(a, "alice");
        Nodes.User bob = nodes.login(b, "bob");
        daveOnANodeWhoseInboxIsTheWrongType();

        alice.client().sendGroup(List.of("bob", "dave"), "half queued");

        await().until(() -> bob.received("half queued")); // bob's node accepted its entry: bob gets the message
        await().until(() -> !alice.replies().isEmpty());
        Envelope reply = alice.replies().get(0);
        assertThat(reply.hasSendAck() && reply.getSendAck().getSentUidsList().contains("dave"))
                .as("reply %s claims dave as sent", reply).isFalse();
        assertThat(reply.hasError()).as("reply %s", reply).isTrue();
        assertThat(reply.getError().getCode()).isEqualTo(ErrorCode.UNAVAILABLE);
    }

    /** The reproduction: Redis out of memory refuses XADD with -OOM (reads still work). */
    @Test
    void aSenderGetsAnErrorWhenRedisIsOutOfMemory() throws Exception {
        ChatServer a = nodes.start("a");
        ChatServer b = nodes.start("b");
        Nodes.User alice = nodes.login(a, "alice");
        Nodes.User bob = nodes.login(b, "bob");

        control.configSet("maxmemory", "1");
        alice.send("bob", "no room");

        await().until(() -> !alice.replies().isEmpty());
        Envelope reply = alice.replies().get(0);
        assertThat(reply.hasError()).as("reply %s", reply).isTrue();
        assertThat(reply.getError().getCode()).isEqualTo(ErrorCode.UNAVAILABLE);
        assertThat(bob.received("no room")).isFalse();
    }
}
