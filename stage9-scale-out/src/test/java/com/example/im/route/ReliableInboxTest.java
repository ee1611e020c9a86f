package com.example.im.route;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.example.im.server.ChatServer;
import com.example.im.testkit.RedisExtension;
import java.time.Duration;
import java.util.Map;
import redis.clients.jedis.StreamEntryID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import redis.clients.jedis.RedisClient;
import redis.clients.jedis.params.XAddParams;
import redis.clients.jedis.params.XReadGroupParams;
import redis.clients.jedis.resps.StreamPendingSummary;

/** The inbox survives a crash between reading a message and delivering it. */
class ReliableInboxTest {

    @RegisterExtension
    static final RedisExtension redis = new RedisExtension();

    private Nodes nodes;

    @BeforeEach
    void setUp() {
        nodes = new Nodes(redis.uri(), 30_000);
        nodes.redis().flushAll(); // stage 7's mailboxes and their seqs outlive a test
    }

    @AfterEach
    void tearDown() throws Exception {
        nodes.close();
    }

    // tag::crash[]
    @Test
    void aMessageReadButNotDeliveredBeforeACrashIsDeliveredOnceAfterTheRestart() throws Exception {
        ChatServer a = nodes.start();
        ChatServer b = nodes.start("node-b");
        RedisClient inspect = nodes.redis();
        Nodes.User alice = nodes.login(a, "alice");
        nodes.login(b, "bob");

        // Test-only hook: B's consumer stops right after its next read, before delivering, as if killed there.
        b.routing().inbox().crashAfterNextRead();
        alice.send("bob", "survive the crash");
        await().until(() -> pending(inspect) == 1);
        b.halt();

        // B comes back under the same node id: same inbox, same consumer name. bob reconnects to it.
        ChatServer b2 = nodes.start("node-b");
        Nodes.User bob = nodes.login(b2, "bob");

        await().atMost(Duration.ofSeconds(15)).until(() -> bob.received("survive the crash"));
        await().until(() -> pending(inspect) == 0);
        // Once: a later message arrives, and still only one copy of the first.
        alice.send("bob", "and after");
        await().until(() -> bob.received("and after"));
        assertThat(bob.copiesOf("survive the crash")).isEqualTo(1);
        assertThat(inspect.xlen(RedisKeys.inbox("node-b"))).as("acknowledged entries are deleted").isZero();
    }
    // end::crash[]

    /**
     * Stage 6 wrote the message again after the restart (at-least-once: a second copy). In stage 7 the inbox entry is
     * only a notification, read again and acknowledged after the restart; the message itself comes from bob's
     * mailbox, after the cursor his client acknowledged, so a new connection gets what follows and never a second
     * copy of what was shown.
     */
    @Test
    void aNotificationHandledButNotAcknowledgedBeforeACrashShowsNothingTwiceAfterTheRestart() throws Exception {
        ChatServer a = nodes.start();
        ChatServer b = nodes.start("node-b");
        RedisClient inspect = nodes.redis();
        Nodes.User alice = nodes.login(a, "alice");
        Nodes.User bob = nodes.login(b, "bob");

        // Test-only hook: B's consumer stops after handling the entry (the push to bob), before its XACK.
        b.routing().inbox().crashBeforeNextAck();
        alice.send("bob", "written, not acknowledged");
        await().until(() -> bob.received("written, not acknowledged"));
        assertThat(pending(inspect)).as("the entry is still pending: no XACK").isEqualTo(1);
        // bob's client acknowledged his first seq, and B recorded it, before the crash.
        long first = Long.parseLong(inspect.get(MailboxStore.startKey("bob"))) + 1;
        await().until(() -> Long.toString(first).equals(inspect.get(MailboxStore.ackKey("bob"))));
        b.halt();

        // B comes back under the same node id and reads its pending entry again; bob reconnects to it.
        ChatServer b2 = nodes.start("node-b");
        Nodes.User bobAgain = nodes.login(b2, "bob");
        await().atMost(Duration.ofSeconds(15)).until(() -> pending(inspect) == 0);
        alice.send("bob", "and after");
        await().until(() -> bobAgain.received("and after"));
        assertThat(bobAgain.seen().frames.stream().filter(f -> f.hasChat()).map(f -> f.getChat().getSeq()))
                .as("only what follows the acknowledged cursor").containsExactly(first + 1);
        assertThat(bob.copiesOf("written, not acknowledged") + bobAgain.copiesOf("written, not acknowledged"))
                .as("shown once in all").isEqualTo(1);
    }

    private static long pending(RedisClient inspect) {
        StreamPendingSummary summary = inspect.xpending(RedisKeys.inbox("node-b"), RedisKeys.GROUP);
        return summary.getTotal();
    }

    @Test
    void aDrainIsNotHeldUpByEntriesAlreadyAcknowledged() throws Exception {
        RedisClient inspect = nodes.redis();
        // An entry that was acknowledged but not deleted (the XDEL after the XACK failed): it is done.
        String key = RedisKeys.inbox("node-d");
        inspect.xgroupCreate(key, RedisKeys.GROUP, new StreamEntryID(0, 0), true);
        inspect.xadd(key, XAddParams.xAddParams(), Map.of("e", ""));
        inspect.xreadGroup(RedisKeys.GROUP, "earlier", XReadGroupParams.xReadGroupParams()
                .count(1), Map.of(key, StreamEntryID.XREADGROUP_UNDELIVERED_ENTRY));
        inspect.xack(key, RedisKeys.GROUP, inspect.xrange(key, (StreamEntryID) null, null).get(0).getID());

        ChatServer d = nodes.start("node-d");
        d.close();

        assertThat(d.lastShutdown().step("drain inbox").outcome()).startsWith("inbox empty");
    }
}
