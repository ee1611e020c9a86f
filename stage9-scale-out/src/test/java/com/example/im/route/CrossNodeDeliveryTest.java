package com.example.im.route;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.example.im.protocol.ChatMessage;
import com.example.im.protocol.Envelope;
import com.example.im.protocol.InboxEntry;
import com.example.im.server.ChatServer;
import com.example.im.testkit.RedisExtension;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import redis.clients.jedis.RedisClient;
import redis.clients.jedis.StreamEntryID;
import redis.clients.jedis.params.XReadParams;
import redis.clients.jedis.resps.StreamEntryBinary;

/** Messages between users on different nodes, through a real Redis. */
class CrossNodeDeliveryTest {

    @RegisterExtension
    static final RedisExtension redis = new RedisExtension();

    private Nodes nodes;
    private ChatServer a;
    private ChatServer b;
    private ChatServer c;

    @BeforeEach
    void startThreeNodes() throws InterruptedException {
        nodes = new Nodes(redis.uri(), 30_000);
        a = nodes.start();
        b = nodes.start();
        c = nodes.start();
    }

    @AfterEach
    void tearDown() throws Exception {
        nodes.close();
    }

    @Test
    void privateChatCrossesNodesInBothDirections() throws Exception {
        Nodes.User alice = nodes.login(a, "alice");
        Nodes.User bob = nodes.login(b, "bob");

        alice.send("bob", "hello from A");
        await().until(() -> bob.received("hello from A"));
        Envelope delivered = bob.seen().frames.stream().filter(Envelope::hasChat).findFirst().orElseThrow();
        assertThat(delivered.getChat().getFromUid()).isEqualTo("alice");
        assertThat(alice.replies()).singleElement()
                .satisfies(ack -> assertThat(ack.getSendAck().getSentUidsList()).containsExactly("bob"));

        bob.send("alice", "hello from B");
        await().until(() -> alice.received("hello from B"));
    }

    @Test
    void aGroupSpanningThreeNodesReachesEveryOnlineMemberAndNamesTheOfflineOnes() throws Exception {
        Nodes.User alice = nodes.login(a, "alice");
        Nodes.User bob = nodes.login(b, "bob");
        Nodes.User carol = nodes.login(c, "carol");
        Nodes.User anna = nodes.login(a, "anna"); // a member on the sender's own node

        alice.client().sendGroup(List.of("bob", "dave", "carol", "anna", "erin"), "team meeting");

        await().until(() -> bob.received("team meeting") && carol.received("team meeting")
                && anna.received("team meeting"));
        await().until(() -> alice.replies().size() == 1);
        Envelope ack = alice.replies().get(0);
        assertThat(ack.getSendAck().getSentUidsList()).containsExactly("bob", "carol", "anna");
        assertThat(ack.getSendAck().getOfflineUidsList()).containsExactly("dave", "erin");
    }

    /**
     * Stage 6 answered OFFLINE; stage 7 stores the message in the recipient's mailbox, lists them as offline in the
     * SendAck (stored, not pushed yet) and pushes it at their first login, on whichever node.
     */
    @Test
    void aRecipientWithNoSessionAnywhereIsListedOfflineAndGetsTheMessageAtTheirLogin() throws Exception {
        Nodes.User alice = nodes.login(a, "alice");
        alice.send("nobody", "hello?");
        await().until(() -> alice.replies().size() == 1);
        assertThat(alice.replies().get(0).hasSendAck()).as("%s", alice.replies().get(0)).isTrue();
        assertThat(alice.replies().get(0).getSendAck().getOfflineUidsList()).containsExactly("nobody");
        assertThat(alice.replies().get(0).getSendAck().getSentUidsList()).isEmpty();

        Nodes.User nobody = nodes.login(c, "nobody");
        await().until(() -> nobody.received("hello?"));
        Envelope delivered = nobody.seen().frames.stream().filter(Envelope::hasChat).findFirst().orElseThrow();
        assertThat(delivered.getChat().getFromUid()).isEqualTo("alice");
        assertThat(delivered.getChat().getSeq()).as("the first message of nobody's mailbox")
                .isEqualTo(Long.parseLong(nodes.redis().get(MailboxStore.startKey("nobody"))) + 1);
    }

    /**
     * Stage 6 put one Delivery per target node in its inbox; stage 7 appends the message to every member's mailbox
     * and puts one Notify per target node, naming its members, in its inbox.
     */
    @Test
    void aGroupIsNotifiedOncePerTargetNodeNotOncePerMember() throws Exception {
        // Three users whose sessions name a node that made its inbox and is not consuming it ("ghost"), so the
        // inbox can be inspected.
        RedisClient inspect = nodes.redis();
        inspect.xgroupCreate(RedisKeys.inbox("ghost"), RedisKeys.GROUP, new StreamEntryID(0, 0), true);
        SessionStore store = new SessionStore(inspect, 30_000);
        for (String uid : List.of("g1", "g2", "g3")) {
            store.claim(uid, new SessionRef("s-" + uid, "ghost"));
        }
        Nodes.User alice = nodes.login(a, "alice");

        alice.client().sendGroup(List.of("g1", "g2", "g3"), "one entry please");
        await().until(() -> alice.replies().size() == 1);
        assertThat(alice.replies().get(0).getSendAck().getSentUidsList()).containsExactly("g1", "g2", "g3");

        assertThat(inspect.xlen(RedisKeys.inbox("ghost"))).as("entries in the ghost node's inbox").isEqualTo(1);
        List<Map.Entry<byte[], List<StreamEntryBinary>>> read = inspect.xreadBinary(
                XReadParams.xReadParams().count(10),
                Map.of(RedisKeys.inbox("ghost").getBytes(StandardCharsets.UTF_8), new StreamEntryID(0, 0)));
        InboxEntry entry = InboxEntry.parseFrom(read.get(0).getValue().get(0).getFields().get(RedisKeys.FIELD));
        assertThat(entry.getNotify().getUidsList()).containsExactly("g1", "g2", "g3");
        for (String uid : List.of("g1", "g2", "g3")) {
            List<ChatMessage> mailbox = a.routing().mailboxes().read(uid, 0, 10).messages();
            assertThat(mailbox).as("the mailbox of " + uid).singleElement().satisfies(message -> {
                assertThat(message.getFromUid()).isEqualTo("alice");
                assertThat(message.getContent()).isEqualTo("one entry please");
                assertThat(message.getSeq()).isEqualTo(Long.parseLong(inspect.get(MailboxStore.startKey(uid))) + 1);
            });
        }
    }
}
