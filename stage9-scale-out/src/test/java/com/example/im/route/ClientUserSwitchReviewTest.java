package com.example.im.route;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.example.im.auth.TestTokens;
import com.example.im.client.ChatClient;
import com.example.im.client.NodeLocator;
import com.example.im.client.Recorder;
import com.example.im.protocol.ChatMessage;
import com.example.im.protocol.Envelope;
import com.example.im.protocol.ErrorCode;
import com.example.im.server.ChatServer;
import com.example.im.testkit.RedisExtension;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Review of stage 7's ChatClient: a LOGIN the server refuses (ALREADY_LOGGED_IN: "open another connection to switch")
 * must not change who the client logs in as after a reconnect. Before the fix it did, and with the first user's
 * last_seq: the second user's messages up to that seq were never pushed to this client, with no Gap.
 */
class ClientUserSwitchReviewTest {

    @RegisterExtension
    static final RedisExtension redis = new RedisExtension();

    private static final RedisRouting.DeliverySettings FAST = new RedisRouting.DeliverySettings(
            new MailboxStore.Retention(10_000, 3_600_000), 256, 300, 300);

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

    private static ChatMessage message(String id, String to) {
        return ChatMessage.newBuilder().setMsgId(id).setFromUid("alice").setToUid(to).setContent(id).build();
    }

    private static boolean shown(Recorder seen, String content) {
        return seen.frames.stream().anyMatch(f -> f.hasChat() && f.getChat().getContent().equals(content));
    }

    @Test
    void aRefusedSecondLoginDoesNotChangeWhoTheClientLogsInAsAfterAReconnect() throws Exception {
        ChatServer node = nodes.start(nodes.config().withDelivery(FAST));
        long bobsThird = 0;
        for (int i = 1; i <= 3; i++) {
            bobsThird = node.routing().mailboxes().append("bob", message("for-bob-" + i, "bob"));
            node.routing().mailboxes().append("carol", message("for-carol-" + i, "carol"));
        }
        long shownUpTo = bobsThird;
        Recorder seen = new Recorder();
        int port = node.localAddress().getPort();
        try (ChatClient client = ChatClient.connect(TestTokens.client("127.0.0.1", port).withBackoff(20, 200),
                NodeLocator.fixed("127.0.0.1", port), "bob", seen)) {
            await().until(() -> client.lastSeq() == shownUpTo);

            client.login("carol"); // a typo'd LOGIN in the console, say: the server refuses it
            await().until(() -> seen.frames.stream().anyMatch(f -> f.hasError()
                    && f.getError().getCode() == ErrorCode.ALREADY_LOGGED_IN));

            node.sessions().find("bob").close(); // the link drops; the client reconnects by itself
            await().atMost(Duration.ofSeconds(10)).until(() -> seen.count(Envelope.BodyCase.LOGIN_ACK) == 2);
            Envelope second = seen.frames.stream().filter(Envelope::hasLoginAck).skip(1).findFirst().orElseThrow();
            assertThat(second.getLoginAck().getUid()).isEqualTo("bob");

            node.routing().mailboxes().append("bob", message("for-bob-4", "bob"));
            await().atMost(Duration.ofSeconds(10)).until(() -> shown(seen, "for-bob-4"));
            assertThat(seen.frames.stream().filter(Envelope::hasChat).map(f -> f.getChat().getContent()))
                    .containsExactly("for-bob-1", "for-bob-2", "for-bob-3", "for-bob-4");
        }
    }
}
