package com.example.im.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.example.im.auth.TestTokens;
import com.example.im.client.ChatClient;
import com.example.im.client.ClientConfig;
import com.example.im.protocol.ChatMessage;
import com.example.im.protocol.Envelope;
import com.example.im.protocol.ErrorCode;
import com.example.im.testkit.RawSocketClient;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The article's 假死 connection over real sockets: a client that logged in and then went silent without closing
 * (a frozen process, a pulled cable — its socket never sends FIN or RST). Timings are shortened; the logic is the
 * production one.
 */
class FrozenClientTest {

    private static final long READER_IDLE_MS = 600;

    @RegisterExtension
    static final RunningServer server = new RunningServer(
            ServerConfig.forTests().withReaderIdleMillis(READER_IDLE_MS));

    @Test
    void aFrozenClientIsEvictedItsSessionRemovedAndMessagesToItGetOffline() {
        try (RawSocketClient frozen = RawSocketClient.connect(server.address())) {
            WireFrames.write(frozen, WireFrames.login("frozen"));
            assertThat(WireFrames.read(frozen).getLoginAck().getUid()).isEqualTo("frozen");
            assertThat(server.sessions().find("frozen")).isNotNull();

            // From here on "frozen" neither sends nor reads: only the server's idle timer can notice.
            await().atMost(Duration.ofSeconds(10)).until(() -> server.sessions().find("frozen") == null);
            assertThat(frozen.awaitServerClose()).as("the server closed the dead connection").isTrue();
        }
        try (RawSocketClient bob = RawSocketClient.connect(server.address())) {
            WireFrames.write(bob, WireFrames.login("bob-f"));
            WireFrames.read(bob);
            WireFrames.write(bob, Envelope.newBuilder()
                    .setChat(ChatMessage.newBuilder().setToUid("frozen").setContent("are you there?")).build());
            Envelope reply = WireFrames.read(bob);
            assertThat(reply.getError().getCode()).isEqualTo(ErrorCode.OFFLINE);
        }
    }

    @Test
    void aClientThatPingsIsNeverEvicted() throws Exception {
        ClientConfig config = TestTokens.client("127.0.0.1", server.address().getPort())
                .withHeartbeat(READER_IDLE_MS / 4, READER_IDLE_MS * 3);
        try (ChatClient client = ChatClient.connect(config, frame -> { })) {
            client.login("pinger");
            await().until(() -> server.sessions().find("pinger") != null);
            // Five reader-idle periods of nothing but heartbeats: the session must stay the whole time.
            await().during(Duration.ofMillis(READER_IDLE_MS * 5)).atMost(Duration.ofSeconds(10))
                    .until(() -> server.sessions().find("pinger") != null && client.isOpen());
        }
    }
}
