package com.example.im.route;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.example.im.protocol.Envelope;
import com.example.im.protocol.ErrorCode;
import com.example.im.server.ChatServer;
import com.example.im.server.SessionMap;
import com.example.im.testkit.RedisExtension;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import redis.clients.jedis.RedisClient;

/** Who owns a session, across nodes: duplicate login, the stale-delete race, and the TTL after a crash. */
class SessionOwnershipTest {

    @RegisterExtension
    static final RedisExtension redis = new RedisExtension();

    private Nodes nodes;

    @BeforeEach
    void setUp() {
        nodes = new Nodes(redis.uri(), 1_500);
    }

    @AfterEach
    void tearDown() throws Exception {
        nodes.close();
    }

    private static SessionRef refOf(ChatServer node, String uid) {
        return new SessionRef(node.sessions().find(uid).attr(SessionMap.SESSION_ID).get(), node.nodeId());
    }

    @Test
    void aDuplicateLoginOnAnotherNodeKicksTheFirstConnection() throws Exception {
        ChatServer a = nodes.start();
        ChatServer b = nodes.start();
        Nodes.User first = nodes.login(a, "alice");
        Nodes.User second = nodes.login(b, "alice");

        await().until(() -> first.seen().closed.get());
        assertThat(first.seen().frames).anyMatch(f -> f.hasError() && f.getError().getCode() == ErrorCode.KICKED);
        await().until(() -> a.sessions().find("alice") == null);

        Nodes.User bob = nodes.login(a, "bob");
        bob.send("alice", "which alice?");
        await().until(() -> second.received("which alice?"));
        assertThat(second.client().isOpen()).isTrue();
    }

    // tag::race[]
    @Test
    void aNodeThatLostTheUserCannotDeleteTheUsersNewSession() throws Exception {
        ChatServer a = nodes.start();
        ChatServer b = nodes.start();
        RedisClient inspect = nodes.redis();
        Nodes.User onA = nodes.login(a, "alice");
        SessionRef old = refOf(a, "alice");

        nodes.login(b, "alice"); // alice moves to B; A is told to kick its connection
        SessionRef current = refOf(b, "alice");
        await().until(() -> onA.seen().closed.get() && a.sessions().find("alice") == null);

        // A's own cleanup (channelInactive -> compare-and-delete) has run by now, and must have left B's session.
        // Here it runs once more, as late as it could ever come: it must still find nothing of its own to delete.
        assertThat(a.routing().sessionStore().releaseIfOwned("alice", old)).isFalse();
        assertThat(inspect.get(RedisKeys.session("alice"))).isEqualTo(current.encode());
        // An unconditional DEL — the article's cleanup — would have logged alice out of B.
    }
    // end::race[]

    /**
     * Stage 6 answered a message to such a user with OFFLINE; in stage 7 it is stored in their mailbox, the SendAck
     * lists them as offline (stored, not pushed), and they get it at their next login, on any node.
     */
    @Test
    void theUsersOfANodeKilledWithoutCleanupExpireByTtlAndTheirMessagesWaitForTheNextLogin() throws Exception {
        ChatServer a = nodes.start();
        ChatServer b = nodes.start();
        RedisClient inspect = nodes.redis();
        nodes.login(a, "alice");
        Nodes.User bob = nodes.login(b, "bob");
        assertThat(inspect.get(RedisKeys.session("alice"))).isNotNull();

        a.halt(); // like kill -9: nothing is removed from Redis

        assertThat(inspect.get(RedisKeys.session("alice"))).as("still there right after the crash").isNotNull();
        await().atMost(Duration.ofSeconds(10)).until(() -> inspect.get(RedisKeys.session("alice")) == null);
        bob.send("alice", "are you there?");
        await().until(() -> bob.replies().stream().anyMatch(r -> r.hasSendAck()
                && r.getSendAck().getOfflineUidsList().equals(List.of("alice"))));
        assertThat(bob.replies()).noneMatch(Envelope::hasError);

        Nodes.User alice = nodes.login(b, "alice");
        await().until(() -> alice.received("are you there?"));
        assertThat(alice.copiesOf("are you there?")).isEqualTo(1);
    }

    @Test
    void sessionsOfALiveNodeAreRenewedBeyondTheirTtl() throws Exception {
        ChatServer a = nodes.start();
        RedisClient inspect = nodes.redis();
        nodes.login(a, "alice");
        // Three TTLs later the session is still there: the node keeps renewing it.
        await().during(Duration.ofMillis(4_500)).atMost(Duration.ofSeconds(8))
                .until(() -> inspect.get(RedisKeys.session("alice")) != null);
        assertThat(inspect.pttl(RedisKeys.session("alice"))).isBetween(1L, 1_500L);
    }
}
