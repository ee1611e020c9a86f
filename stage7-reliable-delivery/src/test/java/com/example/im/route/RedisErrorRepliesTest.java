package com.example.im.route;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.example.im.protocol.ChatMessage;
import com.example.im.protocol.Delivery;
import com.example.im.protocol.Envelope;
import com.example.im.protocol.ErrorCode;
import com.example.im.protocol.InboxEntry;
import com.example.im.server.ChatServer;
import com.example.im.testkit.RedisExtension;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import redis.clients.jedis.RedisClient;
import redis.clients.jedis.StreamEntryID;
import redis.clients.jedis.params.XAddParams;

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

    @Test
    void anInboxEntryWhoseForwardRedisRefusesStaysPendingAndMovesOnOnceRedisAccepts() throws Exception {
        ChatServer a = nodes.start("a");
        // An entry in A's inbox for dave, who is not on A: his session says he moved to "ghost", whose inbox key
        // is the wrong type, so A's forward of the entry gets WRONGTYPE.
        daveOnANodeWhoseInboxIsTheWrongType();
        ChatMessage message = ChatMessage.newBuilder().setMsgId("m-1").setFromUid("alice").setToUid("dave")
                .setContent("forwarded later").build();
        control.xadd(RedisKeys.inbox("a").getBytes(StandardCharsets.UTF_8), XAddParams.xAddParams(),
                Map.of(RedisKeys.FIELD, InboxEntry.newBuilder().setDelivery(Delivery.newBuilder()
                        .setMessage(message).addToUids("dave")).build().toByteArray()));

        // Read, refused, and kept: still pending in A's inbox, not acknowledged and deleted.
        await().until(() -> control.xpending(RedisKeys.inbox("a"), RedisKeys.GROUP).getTotal() == 1);
        assertThat(control.xlen(RedisKeys.inbox("a"))).isEqualTo(1);

        // Redis accepts the forward from now on: "ghost" has a real inbox (a stream with its consumer group).
        control.del(RedisKeys.inbox("ghost"));
        control.xgroupCreate(RedisKeys.inbox("ghost"), RedisKeys.GROUP, new StreamEntryID(0, 0), true);
        await().atMost(Duration.ofSeconds(10)).until(() -> control.exists(RedisKeys.inbox("ghost"))
                && control.xlen(RedisKeys.inbox("ghost")) == 1);
        await().until(() -> control.xlen(RedisKeys.inbox("a")) == 0);
    }
}
