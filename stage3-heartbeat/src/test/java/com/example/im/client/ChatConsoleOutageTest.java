package com.example.im.client;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import com.example.im.server.ChatServer;
import com.example.im.server.ServerConfig;
import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.StringReader;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The console while the server is gone and its client keeps reconnecting, over real sockets. */
class ChatConsoleOutageTest {

    private ChatServer server;
    private ChatClient client;
    private final ByteArrayOutputStream shown = new ByteArrayOutputStream();
    private final CountDownLatch closed = new CountDownLatch(1);

    @AfterEach
    void tearDown() {
        if (client != null) {
            client.close();
        }
        if (server != null) {
            server.close();
        }
    }

    private String shown() {
        return shown.toString(UTF_8);
    }

    @Test
    void quitWhileReconnectingExitsAndFiresOnCloseOnce() throws Exception {
        server = ChatServer.start(ServerConfig.forTests());
        ClientConfig config = ClientConfig.of("127.0.0.1", server.localAddress().getPort()).withBackoff(20, 200);
        client = ChatClient.connect(config, ChatConsole.printer(new PrintStream(shown, true, UTF_8), closed));
        client.login("alice");
        await().until(() -> shown().contains("OK login alice"));

        server.close(); // the only server: the client retries with nowhere to go
        server = null;
        await().until(() -> shown().contains("reconnect failed"));

        // The console returns only when the client reported its end: before the fix it waited for ever.
        assertTimeoutPreemptively(Duration.ofSeconds(5),
                () -> ChatConsole.converse(client, new BufferedReader(new StringReader("QUIT\n")), closed),
                "QUIT must end the console while it reconnects");
        assertThat(shown().lines().filter(line -> line.equals("(connection closed)")))
                .as("onClose fires exactly once").hasSize(1);
    }
}
