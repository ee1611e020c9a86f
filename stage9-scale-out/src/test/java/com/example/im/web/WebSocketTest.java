package com.example.im.web;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.example.im.auth.TestTokens;
import com.example.im.client.ChatClient;
import com.example.im.client.NodeLocator;
import com.example.im.client.Recorder;
import com.example.im.protocol.Envelope;
import com.example.im.protocol.ErrorCode;
import com.example.im.protocol.Login;
import com.example.im.protocol.ChatMessage;
import com.example.im.protocol.Ack;
import com.example.im.server.ChatServer;
import com.example.im.server.ServerConfig;
import com.example.im.testkit.RedisExtension;
import java.net.http.WebSocketHandshakeException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * WebSocket clients on real nodes (docs/08-web-edge.md, "One envelope, two encodings" and "Tests"): both encodings
 * chat with a TCP client across nodes, and every kind of bad input gets the answer it should, without hurting the
 * node.
 */
class WebSocketTest {

    @RegisterExtension
    static final RedisExtension redis = new RedisExtension();

    private static ChatServer single;

    @BeforeAll
    static void startSingle() throws InterruptedException {
        single = ChatServer.start(ServerConfig.forTests());
    }

    @AfterAll
    static void stopSingle() {
        single.close();
    }

    private static int http() {
        return single.httpAddress().getPort();
    }

    static Envelope login(String uid, long lastSeq) {
        return Envelope.newBuilder().setLogin(Login.newBuilder().setUid(uid).setLastSeq(lastSeq)
                .setToken(WsClient.token(uid))).build();
    }

    static Envelope chat(String to, String text, String clientMsgId) {
        return Envelope.newBuilder().setChat(ChatMessage.newBuilder().setToUid(to).setContent(text)
                .setClientMsgId(clientMsgId)).build();
    }

    private static WsClient loggedIn(int httpPort, String subprotocol, String uid) throws Exception {
        WsClient ws = WsClient.connect(httpPort, subprotocol);
        ws.send(login(uid, -1));
        await().until(() -> ws.count(Envelope.BodyCase.LOGIN_ACK) == 1);
        return ws;
    }

    @Test
    void jsonAndBinaryWebSocketClientsChatWithATcpClientOnAnotherNode() throws Exception {
        ServerConfig config = ServerConfig.forTests().withRedis(redis.uri(), 3_000, 30_000);
        try (ChatServer a = ChatServer.start(config); ChatServer b = ChatServer.start(config)) {
            Recorder carolSeen = new Recorder();
            try (ChatClient carol = ChatClient.connect(
                    TestTokens.client("127.0.0.1", b.localAddress().getPort()).withReconnect(false),
                    NodeLocator.fixed("127.0.0.1", b.localAddress().getPort()), "carol", carolSeen);
                 WsClient alice = loggedIn(a.httpAddress().getPort(), WebSocketEnvelopeCodec.JSON, "alice");
                 WsClient dave = loggedIn(a.httpAddress().getPort(), WebSocketEnvelopeCodec.PROTO, "dave")) {
                await().until(() -> carolSeen.count(Envelope.BodyCase.LOGIN_ACK) == 1);
                assertThat(alice.subprotocol).isEqualTo(WebSocketEnvelopeCodec.JSON);
                assertThat(dave.subprotocol).isEqualTo(WebSocketEnvelopeCodec.PROTO);

                alice.send(chat("carol", "json to tcp", "a-1"));
                dave.send(chat("carol", "proto to tcp", "d-1"));
                await().until(() -> carolSeen.received("json to tcp") && carolSeen.received("proto to tcp"));
                await().until(() -> alice.count(Envelope.BodyCase.SEND_ACK) == 1
                        && dave.count(Envelope.BodyCase.SEND_ACK) == 1);
                assertThat(alice.received).allMatch(m -> m instanceof String);
                assertThat(dave.received).allMatch(m -> m instanceof byte[]);
                assertThat(alice.envelopes().stream().filter(Envelope::hasSendAck).findFirst().orElseThrow()
                        .getSendAck().getClientMsgId()).isEqualTo("a-1");

                carol.send("alice", "tcp to json");
                carol.send("dave", "tcp to proto");
                await().until(() -> alice.receivedChat("tcp to json") && dave.receivedChat("tcp to proto"));
                Envelope got = alice.envelopes().stream().filter(Envelope::hasChat).findFirst().orElseThrow();
                assertThat(got.getChat().getFromUid()).isEqualTo("carol");
                assertThat(got.getChat().getSeq()).as("a mailbox seq, through the JSON mapping").isPositive();
                // The JSON mapping writes 64-bit numbers as strings (JavaScript's numbers lose digits past 2^53).
                assertThat(alice.received.stream().map(String.class::cast).filter(t -> t.contains("\"chat\""))
                        .findFirst().orElseThrow()).contains("\"seq\":\"" + got.getChat().getSeq() + "\"");
                alice.send(Envelope.newBuilder().setAck(Ack.newBuilder().setSeq(got.getChat().getSeq())).build());

                // Same client_msg_id again: stored once, acknowledged with the same msg_id, carol sees it once.
                alice.send(chat("carol", "json to tcp", "a-1"));
                await().until(() -> alice.count(Envelope.BodyCase.SEND_ACK) == 2);
                var acks = alice.envelopes().stream().filter(Envelope::hasSendAck).toList();
                assertThat(acks.get(1).getSendAck().getMsgId()).isEqualTo(acks.get(0).getSendAck().getMsgId());
                carol.send("alice", "after the retry");
                await().until(() -> alice.receivedChat("after the retry"));
                assertThat(carolSeen.frames.stream().filter(f -> f.hasChat()
                        && f.getChat().getContent().equals("json to tcp")).count()).isEqualTo(1);
            }
        }
    }

    @Test
    void aFrameOverTheMaximumIsRefusedWith1009AndTheNodeStaysUp() throws Exception {
        try (WsClient big = loggedIn(http(), WebSocketEnvelopeCodec.JSON, "big")) {
            assertThat(single.sessions().find("big")).isNotNull();
            big.sendText("{\"chat\":{\"toUid\":\"x\",\"content\":\"" + "y".repeat(ServerConfig.forTests().maxFrameLength())
                    + "\"}}");
            assertThat(big.closed.get(10, TimeUnit.SECONDS)).isEqualTo(1009);
            assertThat(big.envelopes()).as("told why before the close")
                    .anyMatch(e -> e.hasError() && e.getError().getCode() == ErrorCode.FRAME_TOO_LARGE);
        }
        await().until(() -> single.sessions().find("big") == null);
        try (WsClient after = loggedIn(http(), WebSocketEnvelopeCodec.JSON, "after")) {
            assertThat(after.isClosed()).isFalse();
        }
    }

    @Test
    void aMessageOverTheMaximumInFragmentsIsRefusedWith1009Too() throws Exception {
        try (WsClient big = loggedIn(http(), WebSocketEnvelopeCodec.JSON, "fragments")) {
            String half = "y".repeat(ServerConfig.forTests().maxFrameLength() / 2 + 10);
            big.sendTextFragments("{\"chat\":{\"toUid\":\"x\",\"content\":\"", half, half, "\"}}");
            assertThat(big.closed.get(10, TimeUnit.SECONDS)).isEqualTo(1009);
            assertThat(big.envelopes()).as("told why before the close")
                    .anyMatch(e -> e.hasError() && e.getError().getCode() == ErrorCode.FRAME_TOO_LARGE);
        }
        await().until(() -> single.sessions().find("fragments") == null);
    }

    @Test
    void textOnTheBinarySubprotocolIsAnErrorAndClose1003() throws Exception {
        try (WsClient ws = WsClient.connect(http(), WebSocketEnvelopeCodec.PROTO)) {
            ws.sendText("{\"login\":{\"uid\":\"x\"}}");
            assertThat(ws.closed.get(10, TimeUnit.SECONDS)).isEqualTo(1003);
            assertThat(ws.received).hasSize(1).allMatch(m -> m instanceof byte[]);
            assertThat(ws.envelopes().get(0).getError().getCode()).isEqualTo(ErrorCode.BAD_INPUT);
        }
    }

    @Test
    void binaryOnTheJsonSubprotocolIsAnErrorAndClose1003() throws Exception {
        try (WsClient ws = WsClient.connect(http(), WebSocketEnvelopeCodec.JSON)) {
            ws.sendBinary(login("x", -1).toByteArray());
            assertThat(ws.closed.get(10, TimeUnit.SECONDS)).isEqualTo(1003);
            assertThat(ws.received).hasSize(1).allMatch(m -> m instanceof String);
            assertThat(ws.envelopes().get(0).getError().getCode()).isEqualTo(ErrorCode.BAD_INPUT);
        }
    }

    @Test
    void malformedJsonIsAnsweredAndTheConnectionStaysOpen() throws Exception {
        try (WsClient ws = WsClient.connect(http(), WebSocketEnvelopeCodec.JSON)) {
            ws.sendText("{\"login\":");
            await().until(() -> ws.count(Envelope.BodyCase.ERROR) == 1);
            assertThat(ws.envelopes().get(0).getError().getCode()).isEqualTo(ErrorCode.MALFORMED_FRAME);
            ws.send(login("malformed", -1));
            await().until(() -> ws.count(Envelope.BodyCase.LOGIN_ACK) == 1);
            assertThat(ws.isClosed()).isFalse();
        }
    }

    @Test
    void anUnknownJsonFieldIsIgnoredAsProtobufIgnoresOneAndAnUnknownCaseIsAnUnknownFrame() throws Exception {
        try (WsClient ws = WsClient.connect(http(), WebSocketEnvelopeCodec.JSON)) {
            // A newer client's field (protobuf's binary encoding skips unknown fields; the JSON one must too).
            ws.sendText("{\"login\":{\"uid\":\"newer\",\"lastSeq\":\"-1\",\"token\":\"" + WsClient.token("newer")
                    + "\",\"deviceName\":\"a field from the future\"}}");
            await().until(() -> ws.count(Envelope.BodyCase.LOGIN_ACK) == 1);
            ws.sendText("{\"fromTheFuture\":{}}");
            await().until(() -> ws.count(Envelope.BodyCase.ERROR) == 1);
            assertThat(ws.envelopes().stream().filter(Envelope::hasError).findFirst().orElseThrow()
                    .getError().getCode()).isEqualTo(ErrorCode.UNKNOWN_FRAME);
            assertThat(ws.isClosed()).isFalse();
        }
    }

    @Test
    void aHandshakeOnAnotherPathIs404() {
        assertThatThrownBy(() -> WsClient.connect(http(), "/chat", WebSocketEnvelopeCodec.JSON))
                .isInstanceOf(ExecutionException.class)
                .cause().isInstanceOfSatisfying(WebSocketHandshakeException.class,
                        e -> assertThat(e.getResponse().statusCode()).isEqualTo(404));
    }

    @Test
    void aClientThatNamesNoSubprotocolSpeaksJson() throws Exception {
        try (WsClient ws = WsClient.connect(http(), null)) {
            assertThat(ws.subprotocol).isEmpty();
            ws.sendText("{\"login\":{\"uid\":\"plain\",\"lastSeq\":\"-1\",\"token\":\"" + WsClient.token("plain")
                    + "\"}}");
            await().until(() -> ws.count(Envelope.BodyCase.LOGIN_ACK) == 1);
            assertThat(ws.received.get(0)).isInstanceOf(String.class);
        }
    }
}
