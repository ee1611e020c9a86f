package com.example.im.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.example.im.auth.TestTokens;
import com.example.im.protocol.Envelope;
import com.example.im.protocol.ErrorCode;
import com.example.im.server.ChatServer;
import com.example.im.server.ServerConfig;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Reconnect over real sockets: the server goes away and comes back on the same port; the clients cope alone. */
class ReconnectTest {

    private ChatServer server;
    private final List<ChatClient> clients = new CopyOnWriteArrayList<>();

    @AfterEach
    void tearDown() {
        clients.forEach(ChatClient::close);
        if (server != null) {
            server.close();
        }
    }

    private ChatClient client(int port, Recorder recorder) throws InterruptedException {
        ClientConfig config = TestTokens.client("127.0.0.1", port).withBackoff(20, 200);
        ChatClient client = ChatClient.connect(config, recorder);
        clients.add(client);
        return client;
    }

    @Test
    void afterAServerRestartClientsReconnectLogInAgainAndChat() throws Exception {
        server = ChatServer.start(ServerConfig.forTests());
        int port = server.localAddress().getPort();
        Recorder aliceSees = new Recorder();
        Recorder bobSees = new Recorder();
        ChatClient alice = client(port, aliceSees);
        ChatClient bob = client(port, bobSees);
        alice.login("alice");
        bob.login("bob");
        await().until(() -> aliceSees.count(Envelope.BodyCase.LOGIN_ACK) == 1
                && bobSees.count(Envelope.BodyCase.LOGIN_ACK) == 1);

        server.close();
        await().until(() -> aliceSees.events.stream().anyMatch(e -> e.contains("reconnecting")));
        assertThat(alice.isOpen()).isFalse();
        server = ChatServer.start(ServerConfig.forTests().withPort(port));

        // No user action: both reconnect and log in again as themselves.
        await().atMost(Duration.ofSeconds(10)).until(() -> aliceSees.count(Envelope.BodyCase.LOGIN_ACK) == 2
                && bobSees.count(Envelope.BodyCase.LOGIN_ACK) == 2 && alice.isOpen() && bob.isOpen());
        assertThat(aliceSees.events).anyMatch(e -> e.contains("logging in again as alice"));
        assertThat(server.sessions().uids()).contains("alice", "bob");

        alice.send("bob", "back again");
        await().until(() -> bobSees.frames.stream()
                .anyMatch(f -> f.getChat().getContent().equals("back again") && f.getChat().getFromUid().equals("alice")));
        assertThat(aliceSees.closed).isFalse();
    }

    @Test
    void framesSentWhileReconnectingAreQueuedUpToTheBoundAndSentAfterTheNewLogin() throws Exception {
        server = ChatServer.start(ServerConfig.forTests());
        int port = server.localAddress().getPort();
        Recorder sees = new Recorder();
        ClientConfig config = new ClientConfig("127.0.0.1", port, 5_000, 15_000, 20, 200, 2, true,
                TestTokens.source(), null);
        ChatClient alice = ChatClient.connect(config, sees);
        clients.add(alice);
        alice.login("alice");
        await().until(() -> sees.count(Envelope.BodyCase.LOGIN_ACK) == 1);

        server.close();
        await().until(() -> sees.events.stream().anyMatch(e -> e.contains("reconnecting")));
        // A message to herself proves the order: sent before the new login it would get NOT_LOGGED_IN.
        assertThat(alice.send("alice", "queued 1")).isTrue();
        assertThat(alice.send("alice", "queued 2")).isTrue();
        assertThat(alice.send("alice", "one too many")).as("the queue holds 2").isFalse();

        server = ChatServer.start(ServerConfig.forTests().withPort(port));
        await().atMost(Duration.ofSeconds(10)).until(() -> sees.frames.stream()
                .filter(f -> f.hasChat()).map(f -> f.getChat().getContent()).toList()
                .equals(List.of("queued 1", "queued 2")));
        assertThat(sees.frames).noneMatch(f -> f.hasError() && f.getError().getCode() == ErrorCode.NOT_LOGGED_IN);
    }

    @Test
    void aKickedClientDoesNotReconnect() throws Exception {
        server = ChatServer.start(ServerConfig.forTests());
        int port = server.localAddress().getPort();
        Recorder firstSees = new Recorder();
        Recorder secondSees = new Recorder();
        ChatClient first = client(port, firstSees);
        first.login("alice");
        await().until(() -> firstSees.count(Envelope.BodyCase.LOGIN_ACK) == 1);
        ChatClient second = client(port, secondSees);
        second.login("alice");

        await().until(firstSees.closed::get);
        assertThat(firstSees.frames).anyMatch(f -> f.hasError() && f.getError().getCode() == ErrorCode.KICKED);
        // Had it reconnected, it would log in again and kick the second client: the two would fight forever.
        await().during(Duration.ofMillis(500)).atMost(Duration.ofSeconds(2))
                .until(() -> secondSees.count(Envelope.BodyCase.ERROR) == 0 && second.isOpen());
        assertThat(firstSees.events).isEmpty();
        assertThat(first.isOpen()).isFalse();
    }

    @Test
    void aFrameSentWhileTheClientClosesIsRefusedNotReportedAsSent() throws Exception {
        server = ChatServer.start(ServerConfig.forTests());
        CountDownLatch listenerBusy = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        // Holding the client's I/O thread in the listener freezes the moment between close() and the channel's close.
        ChatClient.Listener holdsTheIoThread = frame -> {
            if (frame.hasWhoReply()) {
                listenerBusy.countDown();
                try {
                    release.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        };
        ChatClient alice = ChatClient.connect(TestTokens.client("127.0.0.1", server.localAddress().getPort()),
                holdsTheIoThread);
        clients.add(alice);
        alice.login("alice");
        alice.who();
        await().until(() -> listenerBusy.getCount() == 0);

        Thread closer = new Thread(alice::close, "closer");
        closer.start();
        // WAITING: close() has begun and waits for the I/O thread to close the channel.
        await().until(() -> closer.getState() == Thread.State.WAITING);
        boolean accepted = alice.send("alice", "too late");
        release.countDown();
        await().until(() -> !closer.isAlive());

        assertThat(accepted).as("send() during close() went into a closing channel and was never sent").isFalse();
    }
}
