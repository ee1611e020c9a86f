package com.example.im.route;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.example.im.auth.TestTokens;
import com.example.im.client.ChatClient;
import com.example.im.client.NodeLocator;
import com.example.im.client.Recorder;
import com.example.im.protocol.Envelope;
import com.example.im.protocol.ErrorCode;
import com.example.im.server.ChatServer;
import com.example.im.server.SessionMap;
import com.example.im.server.WireFrames;
import com.example.im.testkit.RawSocketClient;
import com.example.im.testkit.RedisExtension;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import redis.clients.jedis.RedisClient;
import redis.clients.jedis.Protocol;

/**
 * "The newest login wins" under faults (docs/05-redis-forwarding.md, "Login and logout without blocking the event
 * loop"): a claim Redis refused, a kick that never arrived, a claim that came late, a renewal that raced a logout, a
 * kick that raced a message.
 */
class SessionRepairTest {

    @RegisterExtension
    static final RedisExtension redis = new RedisExtension();

    private Nodes nodes;
    private final List<AutoCloseable> clients = new ArrayList<>();

    @BeforeEach
    void setUp() {
        nodes = new Nodes(redis.uri(), 1_500); // renewed every 0.5 s
        // Stage 7's mailboxes outlive a test: without this, alice's 20 MB from the kick test would greet her at
        // every later login in this class.
        nodes.redis().flushAll();
    }

    @AfterEach
    void tearDown() throws Exception {
        try (RedisClient admin = RedisClient.create(java.net.URI.create(redis.uri()))) {
            admin.configSet("maxmemory", "0");
        }
        for (AutoCloseable client : clients) {
            client.close();
        }
        nodes.close();
    }

    /** A client on {@code node} that sends its login and does not wait for the answer. */
    private Nodes.User connect(ChatServer node, String uid) throws InterruptedException {
        Recorder seen = new Recorder();
        int port = node.localAddress().getPort();
        ChatClient client = ChatClient.connect(TestTokens.client("127.0.0.1", port).withReconnect(false),
                NodeLocator.fixed("127.0.0.1", port), uid, seen);
        clients.add(client);
        return new Nodes.User(uid, client, seen);
    }

    private static boolean kicked(Nodes.User user) {
        return user.seen().frames.stream().anyMatch(f -> f.hasError() && f.getError().getCode() == ErrorCode.KICKED);
    }

    @Test
    void aLoginIsRefusedWhenRedisCannotRecordTheSession() throws Exception {
        ChatServer a = nodes.start();
        RedisClient admin = nodes.redis();
        admin.configSet("maxmemory", "1"); // every write is now refused with -OOM

        Nodes.User alice = connect(a, "alice");

        await().atMost(Duration.ofSeconds(10)).until(() -> alice.seen().closed.get());
        assertThat(alice.seen().frames).as("no LoginAck: no other node could reach alice")
                .noneMatch(Envelope::hasLoginAck)
                .anyMatch(f -> f.hasError() && f.getError().getCode() == ErrorCode.UNAVAILABLE);
        assertThat(a.sessions().find("alice")).isNull();
    }

    @Test
    void aConnectionWhoseSessionRedisGaveToAnotherIsClosedByTheRenewal() throws Exception {
        ChatServer a = nodes.start();
        RedisClient inspect = nodes.redis();
        Nodes.User alice = nodes.login(a, "alice");

        // alice logged in on another node, and the kick to this one was lost (that node died before pushing it).
        inspect.set(RedisKeys.session("alice"), "s1@elsewhere");

        await().atMost(Duration.ofSeconds(5)).until(() -> alice.seen().closed.get());
        assertThat(kicked(alice)).isTrue();
        assertThat(a.sessions().find("alice")).isNull();
        assertThat(inspect.get(RedisKeys.session("alice"))).as("the other session is left alone")
                .isEqualTo("s1@elsewhere");
    }

    // tag::renewal-race[]
    @Test
    void aRenewalPassThatRacesALogoutDoesNotBringTheSessionBack() throws Exception {
        ChatServer a = nodes.start();
        RedisClient inspect = nodes.redis();
        Nodes.User alice = nodes.login(a, "alice");
        SessionRef ref = new SessionRef(a.sessions().find("alice").attr(SessionMap.SESSION_ID).get(), a.nodeId());

        // The renewal took its snapshot (alice is here), then alice logged out and her session was deleted ...
        alice.client().close();
        await().until(() -> inspect.get(RedisKeys.session("alice")) == null);
        // ... and only now does the renewal's write reach Redis.
        a.routing().sessionStore().renew(Map.of("alice", ref));

        assertThat(inspect.get(RedisKeys.session("alice"))).as("no ghost session for a whole TTL").isNull();
    }
    // end::renewal-race[]

    @Test
    void aLateClaimDoesNotKickTheUsersNewerSessionOnAnotherNode() throws Exception {
        ChatServer a = nodes.start();
        ChatServer b = nodes.start();
        RedisClient admin = nodes.redis();

        // Forty connections are open on A; then Redis stalls (not down: writes just wait, for less than the nodes'
        // 2 s socket timeout) and all forty log in at once: a login storm queues up on A's session lanes.
        List<RawSocketClient> storm = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            storm.add(RawSocketClient.connect(a.localAddress()));
        }
        long pausedAt = System.nanoTime();
        admin.sendCommand(Protocol.Command.CLIENT, "PAUSE", "1500", "WRITE");
        for (int i = 0; i < storm.size(); i++) {
            WireFrames.write(storm.get(i), WireFrames.login("storm" + i));
        }
        // alice logs in on A behind the storm, gives up (her connection drops) and logs in on B.
        Nodes.User first = connect(a, "alice");
        await().until(() -> a.sessions().find("alice") != null);
        first.client().close();
        await().until(() -> a.sessions().find("alice") == null);
        Nodes.User alice = connect(b, "alice");
        assertThat(Duration.ofNanos(System.nanoTime() - pausedAt)).as("all of it happened while Redis stalled")
                .isLessThan(Duration.ofMillis(1_200));

        await().atMost(Duration.ofSeconds(10)).until(() -> alice.seen().count(Envelope.BodyCase.LOGIN_ACK) == 1);
        for (RawSocketClient client : storm) {
            assertThat(WireFrames.read(client).hasLoginAck()).isTrue(); // the storm's claims have all run
            client.close();
        }
        // A's late work for alice (her claim, her release) has run by now; it must not have touched B's session.
        await().during(Duration.ofMillis(1_500)).atMost(Duration.ofSeconds(5))
                .until(() -> !kicked(alice) && alice.client().isOpen());
        assertThat(SessionRef.parse(admin.get(RedisKeys.session("alice"))).nodeId()).isEqualTo(b.nodeId());
    }

    // tag::kick[]
    @Test
    void aKickedConnectionThatIsSlowToCloseGetsNothingMoreAndMessagesFollowTheUser() throws Exception {
        // A slow reader is closed only past 64 MiB here: this test needs one that stays connected while stuck.
        ChatServer a = nodes.start(nodes.config().withSlowReaderBounds(64 << 20, 60_000));
        ChatServer b = nodes.start();
        Nodes.User bob = nodes.login(a, "bob");
        try (RawSocketClient stuck = RawSocketClient.connect(a.localAddress(), 8 * 1024)) {
            WireFrames.write(stuck, WireFrames.login("alice"));
            assertThat(WireFrames.read(stuck).hasLoginAck()).isTrue();
            // alice's old device stops reading: what A writes to it piles up behind the socket buffers.
            String filler = "x".repeat(40_000);
            for (int i = 0; i < 500; i++) {
                bob.send("alice", filler);
            }
            await().atMost(Duration.ofSeconds(20)).until(() -> bob.replies().size() == 500);

            // alice logs in on B; A is told to kick the old connection, whose KICKED frame cannot leave yet.
            Nodes.User alice = nodes.login(b, "alice");
            await().atMost(Duration.ofSeconds(10)).until(() -> a.sessions().find("alice") == null);
            for (int i = 0; i < 10; i++) {
                bob.send("alice", "after " + i);
            }
            // Stage 7: what piled up behind the stuck connection was never acknowledged by alice, so it follows
            // her too, from her mailbox, ahead of the rest and once (20 MB paced by her acks, not 20 MB at once).
            await().atMost(Duration.ofSeconds(20))
                    .until(() -> IntStream.range(0, 10).allMatch(i -> alice.received("after " + i)));
            assertThat(alice.copiesOf(filler)).isEqualTo(500);
            assertThat(bob.replies()).noneMatch(Envelope::hasError);
        }
    }
    // end::kick[]
}
