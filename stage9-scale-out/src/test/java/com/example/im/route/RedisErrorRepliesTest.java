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
 * Redis is up but answers a write with an error reply (WRONGTYPE, -OOM): the sender must hear that its message was not
 * stored, never a SendAck for it.
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
     * dave's mailbox key holds a string: the append there gets WRONGTYPE while every other write still succeeds.
     * (Stage 6 provoked this on dave's node's inbox; in stage 7 a refused notification is not an error any more,
     * because the message is in the mailbox and the node's comparison pass finds it. A refused append is.)
     */
    private void daveWithAMailboxOfTheWrongType() {
        control.set(MailboxStore.mailboxKey("dave"), "not a stream");
    }

    @Test
    void aSenderGetsAnErrorNotASendAckWhenRedisRefusesTheAppend() throws Exception {
        ChatServer a = nodes.start("a");
        Nodes.User alice = nodes.login(a, "alice");
        daveWithAMailboxOfTheWrongType();

        alice.send("dave", "refused");

        await().until(() -> !alice.replies().isEmpty());
        Envelope reply = alice.replies().get(0);
        assertThat(reply.hasError()).as("reply %s", reply).isTrue();
        assertThat(reply.getError().getCode()).isEqualTo(ErrorCode.UNAVAILABLE);
        assertThat(reply.getError().getClientMsgId()).as("so that the client can send it again").isNotEmpty();
        assertThat(control.get(MailboxStore.seqKey("dave"))).as("a refused append takes no seq").isNull();
    }

    @Test
    void aGroupSendWithOneRefusedMemberIsNotAcknowledgedAndItsRetryStoresEveryMemberOnce() throws Exception {
        ChatServer a = nodes.start("a");
        ChatServer b = nodes.start("b");
        Nodes.User alice = nodes.login(a, "alice");
        Nodes.User bob = nodes.login(b, "bob");
        daveWithAMailboxOfTheWrongType();

        alice.client().sendGroup(List.of("bob", "dave"), "half stored");

        await().until(() -> bob.received("half stored")); // bob's append succeeded: bob gets the message
        await().until(() -> !alice.replies().isEmpty());
        Envelope reply = alice.replies().get(0);
        assertThat(reply.hasSendAck()).as("reply %s acknowledges a message dave's mailbox refused", reply).isFalse();
        assertThat(reply.getError().getCode()).isEqualTo(ErrorCode.UNAVAILABLE);

        // Redis accepts dave's mailbox from now on. The client sends the message again by itself (UNAVAILABLE is
        // for now only), with the same client_msg_id: stored for dave, not a second time for bob.
        control.del(MailboxStore.mailboxKey("dave"));
        await().atMost(Duration.ofSeconds(15)).until(() -> alice.replies().stream().anyMatch(Envelope::hasSendAck));
        Envelope ack = alice.replies().stream().filter(Envelope::hasSendAck).findFirst().orElseThrow();
        assertThat(ack.getSendAck().getClientMsgId()).isEqualTo(reply.getError().getClientMsgId());
        assertThat(ack.getSendAck().getSentUidsList()).containsExactly("bob");
        assertThat(ack.getSendAck().getOfflineUidsList()).containsExactly("dave");
        assertThat(a.routing().mailboxes().read("dave", 0, 10).messages()).singleElement()
                .satisfies(m -> assertThat(m.getSeq())
                        .isEqualTo(Long.parseLong(control.get(MailboxStore.startKey("dave"))) + 1));
        assertThat(a.routing().mailboxes().read("bob", 0, 10).messages()).as("bob's mailbox").hasSize(1);
        assertThat(bob.copiesOf("half stored")).isEqualTo(1);
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

    /**
     * dave's session points at node "ghost", whose inbox key holds a string: the XADD there gets WRONGTYPE. No node
     * consumes "ghost"'s inbox, so nothing else trips over the bad key.
     */
    private void daveOnANodeWhoseInboxIsTheWrongType() {
        control.set(RedisKeys.session("dave"), new SessionRef("s-dave", "ghost").encode());
        control.set(RedisKeys.inbox("ghost"), "not a stream");
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
