package com.example.im.checker.run;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.example.im.checker.analysis.Analysis;
import com.example.im.checker.analysis.Outcome;
import com.example.im.checker.history.Event;
import com.example.im.checker.history.History;
import com.example.im.checker.wire.ChatMessage;
import com.example.im.checker.wire.Envelope;
import com.example.im.checker.wire.Gap;
import com.example.im.checker.wire.LoginAck;
import com.example.im.checker.wire.SendAck;
import com.example.im.embedded.EmbeddedZooKeeper;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.retry.RetryOneTime;
import org.junit.jupiter.api.Test;

/**
 * The reliable client mode (stage 7's client behaviour) against a scripted node: a real ZooKeeper for the directory,
 * a plain server socket speaking the wire protocol, and the test playing the node frame by frame.
 */
class ReliableClientTest {

    @Test
    void displayShowsTheNextSeqOnlyAndMovesPastAGap() {
        Display d = new Display();
        assertThat(d.last()).isEqualTo(-1);
        assertThat(d.offer(4)).isEqualTo(Display.Decision.SHOW); // the first one, whatever its seq: the server's cursor
        assertThat(d.offer(4)).isEqualTo(Display.Decision.ALREADY_SHOWN);
        assertThat(d.offer(2)).isEqualTo(Display.Decision.ALREADY_SHOWN);
        assertThat(d.offer(6)).isEqualTo(Display.Decision.AHEAD);
        assertThat(d.offer(5)).isEqualTo(Display.Decision.SHOW);
        assertThat(d.offer(0)).isEqualTo(Display.Decision.SHOW); // not from a mailbox
        assertThat(d.last()).isEqualTo(5);
        d.gap(9);
        assertThat(d.offer(10)).isEqualTo(Display.Decision.SHOW);
        d.gap(3); // an old gap moves nothing back
        assertThat(d.last()).isEqualTo(10);
    }

    @Test
    void thePromiseChoosesTheClientAndTheRedisDurability() {
        java.util.Map<String, String> promise = new java.util.HashMap<>(java.util.Map.of("main", "x.Main",
                "uses", "zk, redis"));
        Stage plain = Stage.of("s", "s.jar", promise::get);
        assertThat(plain.reliableClient()).isFalse();
        assertThat(plain.redisAof()).isFalse();
        promise.put("client", "reliable");
        promise.put("redis", "appendonly-always");
        Stage seven = Stage.of("s", "s.jar", promise::get);
        assertThat(seven.reliableClient()).isTrue();
        assertThat(seven.redisAof()).isTrue();
        promise.put("client", "retrying");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> Stage.of("s", "s.jar", promise::get))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("reliable");
        promise.put("client", "stop-and-wait");
        promise.put("uses", "zk");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> Stage.of("s", "s.jar", promise::get))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("no Redis");
    }

    @Test
    void clientMsgIdsNameTheSendersMessageNumber() {
        assertThat(CheckClient.clientMsgId("c07", 12)).isEqualTo("c07-12");
        assertThat(CheckClient.seqOf("c07", "c07-12")).isEqualTo(12);
        assertThat(CheckClient.seqOf("c07", "c08-12")).isEqualTo(-1);
        assertThat(CheckClient.seqOf("c07", "c07-x")).isEqualTo(-1);
        assertThat(CheckClient.seqOf("c07", "")).isEqualTo(-1);
        assertThat(CheckClient.seqOf("c0", "c07-1")).isEqualTo(-1);
    }

    @Test
    void aSendIsRetriedWithItsIdAfterAReconnectAndOnlyTheNextSeqIsShown() throws Exception {
        try (EmbeddedZooKeeper zk = EmbeddedZooKeeper.start(-1);
             ServerSocket server = new ServerSocket(0, 10, InetAddress.getLoopbackAddress());
             CuratorFramework curator = CuratorFrameworkFactory.newClient(zk.connectString(), new RetryOneTime(100));
             Directory directory = new Directory(zk.connectString());
             History history = new History(null)) {
            server.setSoTimeout(15_000);
            curator.start();
            curator.create().creatingParentsIfNeeded().forPath(Directory.ROOT + "/n1", ("{\"nodeId\":\"n1\","
                    + "\"host\":\"127.0.0.1\",\"port\":" + server.getLocalPort() + "}").getBytes(StandardCharsets.UTF_8));
            await().atMost(Duration.ofSeconds(10)).until(() -> directory.nodes().size() == 1);
            EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
            CheckClient client = new CheckClient("c00", directory, group, history, 1, true);
            try {
                client.start();

                // First connection: login with last_seq -1 (nothing kept), a message with its id, then the node dies.
                Socket first = server.accept();
                first.setSoTimeout(10_000);
                Envelope login = read(first);
                assertThat(login.getLogin().getUid()).isEqualTo("c00");
                assertThat(login.getLogin().getLastSeq()).isEqualTo(-1);
                write(first, Envelope.newBuilder().setLoginAck(LoginAck.newBuilder().setUid("c00")).build());
                // Pushes: seq 1 shown, seq 1 again dropped, seq 3 dropped (ahead), seq 2 shown; the acks follow.
                write(first, push("c20", 1, 1), push("c20", 1, 1), push("c20", 3, 3), push("c20", 2, 2));
                await().atMost(Duration.ofSeconds(10)).until(client::idle);
                assertThat(client.trySend(List.of("c20"))).isTrue();
                Envelope sent = readSkipping(first, Envelope.BodyCase.CHAT);
                assertThat(sent.getChat().getClientMsgId()).isEqualTo("c00-1");
                assertThat(sent.getChat().getContent()).isEqualTo("c00:1");
                first.close(); // no SendAck: the client must keep the message

                // Second connection: login with the last seq shown; the same message again, with the same id.
                Socket second = server.accept();
                second.setSoTimeout(10_000);
                Envelope again = read(second);
                assertThat(again.getLogin().getLastSeq()).isEqualTo(2);
                assertThat(client.idle()).isFalse();
                write(second, Envelope.newBuilder().setLoginAck(LoginAck.newBuilder().setUid("c00")).build());
                Envelope resent = readSkipping(second, Envelope.BodyCase.CHAT);
                assertThat(resent.getChat().getClientMsgId()).isEqualTo("c00-1");
                assertThat(resent.getChat().getContent()).isEqualTo("c00:1");
                write(second, Envelope.newBuilder().setSendAck(SendAck.newBuilder().setMsgId("m1")
                        .setClientMsgId("c00-1").addOfflineUids("c20")).build());
                await().atMost(Duration.ofSeconds(10)).until(client::idle);
                // A gap moves the client past trimmed seqs; the next after it is shown, and acknowledged.
                write(second, Envelope.newBuilder().setGap(Gap.newBuilder().setFromSeq(3).setToSeq(5)).build(),
                        push("c20", 6, 6));
                Envelope ack;
                do {
                    ack = readSkipping(second, Envelope.BodyCase.ACK); // an ack of 5 (the gap) may come first
                } while (ack.getAck().getSeq() < 6);
                assertThat(ack.getAck().getSeq()).isEqualTo(6);
                second.close();
            } finally {
                client.stop();
                group.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
            }

            List<Event> events = history.events();
            assertThat(events.stream().filter(e -> e.type().equals("deliver")).map(Event::box))
                    .containsExactly(1L, 2L, 6L);
            assertThat(events.stream().filter(e -> e.type().equals("dropped")).map(Event::box)).containsExactly(1L, 3L);
            assertThat(events.stream().filter(e -> e.type().equals("resend")).map(Event::seq)).containsExactly(1L);
            assertThat(events.stream().filter(e -> e.type().equals("noreply"))).isEmpty();
            assertThat(events.stream().filter(e -> e.type().equals("gap"))).hasSize(1);
            // The retried send is accepted; c20 listed as offline means stored for its next login, not rejected.
            Analysis stored = Analysis.of(events, 1000, true);
            assertThat(stored.count(Outcome.LOST_ACKED)).isEqualTo(1);
            assertThat(stored.count(Outcome.REJECTED)).isZero();
            assertThat(stored.clientNotes()).containsKeys("messages sent again (same client_msg_id)",
                    "gaps (trimmed ranges) reported");
            assertThat(Analysis.of(events, 1000, false).count(Outcome.REJECTED)).isEqualTo(1);
        }
    }

    private static Envelope push(String from, long number, long seq) {
        return Envelope.newBuilder().setChat(ChatMessage.newBuilder().setFromUid(from).setToUid("c00")
                .setContent(from + ":" + number).setMsgId("m-" + from + "-" + number).setSeq(seq)).build();
    }

    private static void write(Socket s, Envelope... frames) throws IOException {
        for (Envelope f : frames) {
            f.writeDelimitedTo(s.getOutputStream());
        }
        s.getOutputStream().flush();
    }

    private static Envelope read(Socket s) throws IOException {
        Envelope e = Envelope.parseDelimitedFrom(s.getInputStream());
        assertThat(e).as("a frame before the connection closed").isNotNull();
        return e;
    }

    /** The next frame of this kind; pings and acks in between are skipped. */
    private static Envelope readSkipping(Socket s, Envelope.BodyCase kind) throws IOException {
        while (true) {
            Envelope e = read(s);
            if (e.getBodyCase() == kind) {
                return e;
            }
        }
    }
}
