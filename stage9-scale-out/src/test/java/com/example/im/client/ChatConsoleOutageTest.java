package com.example.im.client;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import com.example.im.auth.TestTokens;
import com.example.im.config.Flags;
import com.example.im.server.ChatServer;
import com.example.im.server.ServerConfig;
import com.example.im.testkit.ZooKeeperExtension;
import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.StringReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The console while every node is gone and its client keeps reconnecting, over real sockets and a real ZooKeeper;
 * the console finds its node through ZooKeeper as it does when run by hand ({@code --zk}).
 */
class ChatConsoleOutageTest {

    @RegisterExtension
    final ZooKeeperExtension zk = new ZooKeeperExtension();

    private ChatServer node;
    private NodeLocator locator;
    private ChatClient client;
    private final ByteArrayOutputStream shown = new ByteArrayOutputStream();
    private final CountDownLatch closed = new CountDownLatch(1);

    @AfterEach
    void tearDown() throws Exception {
        if (client != null) {
            client.close();
        }
        if (locator instanceof AutoCloseable zkClient) {
            zkClient.close();
        }
        if (node != null) {
            node.close();
        }
    }

    private String shown() {
        return shown.toString(UTF_8);
    }

    /** One node registered in ZooKeeper; alice found it the console's way and is logged in there. */
    private void aliceOnTheOnlyNode() throws InterruptedException {
        node = ChatServer.start(ServerConfig.forTests().withZooKeeper(zk.connectString(), 100));
        ClientConfig config = TestTokens.client("127.0.0.1", 0).withBackoff(20, 200);
        locator = ChatConsole.locator(Flags.parse(new String[] {"--zk", zk.connectString()}, ClientConfig.FLAGS),
                config);
        client = ChatClient.connect(config, locator, "alice",
                ChatConsole.printer(new PrintStream(shown, true, UTF_8), closed));
        await().until(() -> shown().contains("OK login alice"));
    }

    @Test
    void quitWhileReconnectingExitsAndFiresOnCloseOnce() throws Exception {
        aliceOnTheOnlyNode();
        node.close(); // all nodes gone: the client retries with nowhere to go
        node = null;
        await().until(() -> shown().contains("reconnect failed"));

        // The console returns only when the client reported its end: before the fix it waited for ever.
        assertTimeoutPreemptively(Duration.ofSeconds(5),
                () -> ChatConsole.converse(client, new BufferedReader(new StringReader("QUIT\n")), closed),
                "QUIT must end the console while it reconnects");
        assertThat(shown().lines().filter(line -> line.equals("(connection closed)")))
                .as("onClose fires exactly once").hasSize(1);
    }

    @Test
    void aZooKeeperOutageIsOneWarningLineNotAStackTracePerRetry() throws Exception {
        // The tests read src/test/resources: it must say what the shipped jar's logging config says.
        assertThat(Files.readString(Path.of("src/test/resources/simplelogger.properties")))
                .isEqualTo(Files.readString(Path.of("src/main/resources/simplelogger.properties")));
        aliceOnTheOnlyNode();
        node.close();
        node = null;

        PrintStream realErr = System.err; // slf4j-simple writes to whatever System.err is at the time
        ByteArrayOutputStream logged = new ByteArrayOutputStream();
        System.setErr(new PrintStream(new OutputStream() {
            @Override
            public void write(int b) {
                realErr.write(b);
                logged.write(b);
            }

            @Override
            public void write(byte[] b, int off, int len) {
                realErr.write(b, off, len);
                logged.write(b, off, len);
            }
        }, true, UTF_8));
        try {
            zk.stopServer(0); // and now ZooKeeper too
            // ZooKeeper's client retries about once a second: four seconds give it several tries.
            await("no stack trace in the log while ZooKeeper is down").during(Duration.ofSeconds(4))
                    .atMost(Duration.ofSeconds(6))
                    .until(() -> logged.toString(UTF_8).lines()
                            .noneMatch(line -> line.startsWith("\tat ") || line.contains("Exception")));
            await().until(() -> logged.toString(UTF_8).contains("unreachable; retrying"));
        } finally {
            System.setErr(realErr);
        }
        assertThat(logged.toString(UTF_8).lines().filter(line -> line.contains("ZooKeeper"))
                .filter(line -> line.contains("unreachable"))).as("one warning for the outage").hasSize(1);
    }
}
