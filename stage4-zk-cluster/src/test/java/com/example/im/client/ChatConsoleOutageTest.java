package com.example.im.client;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import com.example.im.config.Flags;
import com.example.im.server.ChatServer;
import com.example.im.server.ServerConfig;
import com.example.im.testkit.ZooKeeperExtension;
import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.StringReader;
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
        ClientConfig config = ClientConfig.of("127.0.0.1", 0).withBackoff(20, 200);
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
}
