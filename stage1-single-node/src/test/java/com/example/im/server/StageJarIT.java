package com.example.im.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.example.im.testkit.RawSocketClient;
import com.example.im.testkit.StageJar;
import com.example.im.testkit.scenario.ChatDriver;
import com.example.im.testkit.scenario.ChatScenarios;
import java.net.InetSocketAddress;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The packaged jar as its users run it — a fresh JVM from {@code java -jar target/stage1-single-node.jar}, default
 * flags but the address — tested only from outside over the network: the shared scenarios and the bad-input cases.
 * Where it runs follows {@code -Dim.infra} (testkit's {@link StageJar}: a forked process, or a container).
 */
class StageJarIT {

    @RegisterExtension
    static final StageJar server = new StageJar();

    @Nested
    class Scenarios extends ChatScenarios {

        @Override
        protected ChatDriver driver() {
            return new LineChatDriver(server.address(), ServerConfig.DEFAULT_MAX_LINE);
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
                prober.writeLine("LOGIN prober-" + uid);
                assertThat(prober.readLine()).isEqualTo("OK login prober-" + uid);
                await().until(() -> {
                    prober.writeLine("SEND " + uid + " still there?");
                    return prober.readLine().equals("ERR offline " + uid);
                });
            }
        }
    }
}
