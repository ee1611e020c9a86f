package com.example.im.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.example.im.auth.TestTokens;
import com.example.im.client.ChatClient;
import com.example.im.client.ClientConfig;
import com.example.im.protocol.Envelope;
import com.example.im.protocol.ErrorCode;
import com.example.im.protocol.Ping;
import com.example.im.testkit.RawSocketClient;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The login deadline over real sockets: a connection that never names a uid is closed however lively it is.
 * Reader idle is far away, so only the deadline can close anything here.
 */
class LoginDeadlineTest {

    private static final long LOGIN_TIMEOUT_MS = 800;

    @RegisterExtension
    static final RunningServer server = new RunningServer(ServerConfig.forTests().withReaderIdleMillis(120_000)
            .withLoginTimeoutMillis(LOGIN_TIMEOUT_MS));

    @Test
    void aConnectionThatNeverLogsInIsClosedAtTheLoginDeadlineEvenWhilePinging() {
        try (RawSocketClient anonymous = RawSocketClient.connect(server.address())) {
            AtomicInteger pongs = new AtomicInteger();
            AtomicReference<Envelope> last = new AtomicReference<>();
            // Ping several times per deadline, as a live client would, and read each answer.
            await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(LOGIN_TIMEOUT_MS / 8))
                    .until(() -> {
                        WireFrames.write(anonymous, Envelope.newBuilder()
                                .setPing(Ping.newBuilder().setSentAt(pongs.get())).build());
                        Envelope reply = WireFrames.read(anonymous);
                        if (reply.hasPong()) {
                            pongs.incrementAndGet();
                            return false;
                        }
                        last.set(reply);
                        return true;
                    });
            assertThat(pongs.get()).as("pings answered before the deadline").isGreaterThan(1);
            assertThat(last.get().getError().getCode()).isEqualTo(ErrorCode.NOT_LOGGED_IN);
            assertThat(anonymous.awaitServerClose()).as("the server closed the connection").isTrue();
        }
    }

    @Test
    void aClientThatLogsInBeforeTheDeadlineIsKept() throws Exception {
        ClientConfig config = TestTokens.client("127.0.0.1", server.address().getPort())
                .withHeartbeat(LOGIN_TIMEOUT_MS / 4, LOGIN_TIMEOUT_MS * 10);
        try (ChatClient client = ChatClient.connect(config, frame -> { })) {
            client.login("punctual");
            await().until(() -> server.sessions().find("punctual") != null);
            await().during(Duration.ofMillis(LOGIN_TIMEOUT_MS * 3)).atMost(Duration.ofSeconds(10))
                    .until(() -> server.sessions().find("punctual") != null && client.isOpen());
        }
    }
}
