package com.example.im.route;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.example.im.auth.TestTokens;
import com.example.im.client.ChatClient;
import com.example.im.client.NodeLocator;
import com.example.im.client.Recorder;
import com.example.im.protocol.Envelope;
import com.example.im.server.ChatServer;
import com.example.im.testkit.RedisExtension;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Review of stage 7's ChatClient: a message larger than the server's frame limit. The server answers
 * FRAME_TOO_LARGE and closes the connection (it cannot find the next frame), without a client_msg_id. Before the fix
 * the client kept the message as unacknowledged and sent it again first after every reconnect: the connection was
 * closed again, forever, and every message typed after it never reached the server.
 */
class OversizedMessageReviewTest {

    @RegisterExtension
    static final RedisExtension redis = new RedisExtension();

    private Nodes nodes;

    @BeforeEach
    void setUp() {
        nodes = new Nodes(redis.uri(), 30_000);
        nodes.redis().flushAll();
    }

    @AfterEach
    void tearDown() throws Exception {
        nodes.close();
    }

    @Test
    void aMessageTooLargeForTheServerDoesNotStopTheMessagesSentAfterIt() throws Exception {
        ChatServer node = nodes.start();
        Nodes.User bob = nodes.login(node, "bob");
        int port = node.localAddress().getPort();
        Recorder seen = new Recorder();
        try (ChatClient alice = ChatClient.connect(TestTokens.client("127.0.0.1", port).withBackoff(20, 200),
                NodeLocator.fixed("127.0.0.1", port), "alice", seen)) {
            await().until(() -> seen.count(Envelope.BodyCase.LOGIN_ACK) == 1);

            alice.send("bob", "x".repeat(70 * 1024)); // over the default 64 KiB frame limit
            alice.send("bob", "after the large one");

            await().atMost(Duration.ofSeconds(15)).until(() -> bob.received("after the large one"));
            await().atMost(Duration.ofSeconds(5)).until(() -> alice.unacknowledged() == 0);
            assertThat(bob.copiesOf("after the large one")).isEqualTo(1);
        }
    }
}
