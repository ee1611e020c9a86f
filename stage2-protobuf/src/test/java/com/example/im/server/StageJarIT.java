package com.example.im.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.example.im.protocol.ChatMessage;
import com.example.im.protocol.Envelope;
import com.example.im.protocol.ErrorCode;
import com.example.im.testkit.RawSocketClient;
import com.example.im.testkit.StageJar;
import com.example.im.testkit.scenario.ChatDriver;
import com.example.im.testkit.scenario.GroupChatScenarios;
import java.net.InetSocketAddress;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The packaged jar as its users run it — a fresh JVM from {@code java -jar target/stage2-protobuf.jar}, default
 * flags but the address — tested only from outside over the network: the shared scenarios (group chat included) and
 * the bad-input cases. Where it runs follows {@code -Dim.infra} (testkit's {@link StageJar}: a forked process, or a
 * container).
 */
class StageJarIT {

    @RegisterExtension
    static final StageJar server = new StageJar();

    @Nested
    class Scenarios extends GroupChatScenarios {

        @Override
        protected ChatDriver driver() {
            return new ProtobufChatDriver(server.address(), ServerConfig.DEFAULT_MAX_FRAME);
        }
    }

    @Nested
    class BadInput extends BadInputCases {

        @Override
        protected InetSocketAddress address() {
            return server.address();
        }

        /** From outside, a session is gone once a message to its uid is refused as offline. */
        @Override
        protected void assertSessionGone(String uid) {
            try (RawSocketClient prober = RawSocketClient.connect(server.address())) {
                WireFrames.write(prober, WireFrames.login("prober-" + uid));
                assertThat(WireFrames.read(prober).getLoginAck().getUid()).isEqualTo("prober-" + uid);
                await().until(() -> {
                    WireFrames.write(prober, Envelope.newBuilder()
                            .setChat(ChatMessage.newBuilder().setToUid(uid).setContent("still there?")).build());
                    Envelope reply = WireFrames.read(prober);
                    return reply.hasError() && reply.getError().getCode() == ErrorCode.OFFLINE;
                });
            }
        }
    }
}
