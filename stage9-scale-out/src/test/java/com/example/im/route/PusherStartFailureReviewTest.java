package com.example.im.route;

import static org.assertj.core.api.Assertions.assertThat;

import com.example.im.auth.TestTokens;
import com.example.im.protocol.ChatMessage;
import com.example.im.protocol.Envelope;
import com.example.im.protocol.ErrorCode;
import com.example.im.server.ChatServer;
import com.example.im.server.WireFrames;
import com.example.im.testkit.RawSocketClient;
import com.example.im.testkit.RedisExtension;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import redis.clients.jedis.RedisClient;

/**
 * Review of stage 7's Pusher.start: a login with last_seq -1 (a client that kept nothing: every new ChatClient)
 * reads the user's acknowledged cursor from Redis before the first push. Before the fix, when that read failed the
 * connection stayed logged in with no cursor, and nothing was ever pushed to it (the comparison pass skips
 * connections without one): messages acknowledged to their senders, not shown, no error. Now the client is told
 * UNAVAILABLE and the connection is closed, so it logs in again.
 */
class PusherStartFailureReviewTest {

    @RegisterExtension
    static final RedisExtension redis = new RedisExtension();

    private Nodes nodes;
    private RedisClient inspect;

    @BeforeEach
    void setUp() {
        nodes = new Nodes(redis.uri(), 30_000);
        inspect = nodes.redis();
        inspect.flushAll();
    }

    @AfterEach
    void tearDown() throws Exception {
        nodes.close();
    }

    @Test
    void aLoginWhoseAcknowledgedCursorCannotBeReadIsToldSoNotLeftWithoutPushes() throws Exception {
        ChatServer node = nodes.start();
        node.routing().mailboxes().append("bob", ChatMessage.newBuilder().setMsgId("m-1").setFromUid("alice")
                .setToUid("bob").setContent("waiting for bob").build());
        // Redis refuses the read of bob's cursor (a stand-in for a timeout or a -LOADING at that moment).
        inspect.lpush(MailboxStore.ackKey("bob"), "not a number");

        try (RawSocketClient bob = RawSocketClient.connect(node.localAddress())) {
            WireFrames.write(bob, Envelope.newBuilder().setLogin(TestTokens.login("bob").setLastSeq(-1))
                    .build());
            assertThat(WireFrames.read(bob).hasLoginAck()).isTrue();
            Envelope next = WireFrames.read(bob); // before the fix: nothing, ever (the read times out)
            assertThat(next.hasError()).as("%s", next).isTrue();
            assertThat(next.getError().getCode()).isEqualTo(ErrorCode.UNAVAILABLE);
            assertThat(bob.awaitServerClose()).isTrue();
        }
    }
}
