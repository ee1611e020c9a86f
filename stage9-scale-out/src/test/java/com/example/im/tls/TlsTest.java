package com.example.im.tls;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.example.im.auth.Tokens;
import com.example.im.client.ChatClient;
import com.example.im.client.ClientConfig;
import com.example.im.client.NodeLocator;
import com.example.im.client.Recorder;
import com.example.im.protocol.Envelope;
import com.example.im.protocol.Login;
import com.example.im.server.ChatServer;
import com.example.im.server.EdgeSettings;
import com.example.im.server.ServerConfig;
import com.example.im.testkit.RawSocketClient;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import javax.net.ssl.SSLHandshakeException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * TLS on both ports of a real node (docs/08-web-edge.md, "TLS"): clients that trust the node's self-signed
 * certificate chat over TCP, HTTPS and wss://; a client that trusts another certificate, or speaks plain text, gets
 * nowhere and the node keeps serving.
 */
class TlsTest {

    private static final Tokens TOKENS = new Tokens(EdgeSettings.forTests().authKey());

    @TempDir
    static Path dir;
    static SelfSignedCertificate cert;
    static SelfSignedCertificate other; // a different self-signed certificate: trusting it must not trust the node
    static ChatServer node;

    @BeforeAll
    static void start() throws Exception {
        cert = SelfSignedCertificate.generate(dir.resolve("node"), List.of());
        other = SelfSignedCertificate.generate(dir.resolve("other"), List.of());
        node = ChatServer.start(ServerConfig.forTests().withEdge(EdgeSettings.forTests()
                .withTls(cert.cert().toString(), cert.key().toString())));
    }

    @AfterAll
    static void stop() {
        if (node != null) {
            node.close();
        }
    }

    @Test
    void theGeneratedKeyIsTheOwnersOnlyAndTheCertificateNamesThisMachine() throws IOException {
        assertThat(Files.getPosixFilePermissions(cert.key()))
                .containsExactlyInAnyOrder(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE);
        assertThat(cert.hosts()).contains("localhost", "127.0.0.1", "::1");
        assertThat(SelfSignedCertificate.spkiSha256(cert.cert())).isEqualTo(cert.spkiSha256())
                .isNotEqualTo(other.spkiSha256());
    }

    @Test
    void twoClientsTrustingTheCertificateChatOverTls() throws Exception {
        Recorder alice = new Recorder();
        Recorder bob = new Recorder();
        try (ChatClient a = tlsClient(cert.cert(), alice); ChatClient b = tlsClient(cert.cert(), bob)) {
            login(a, alice, "tls-alice");
            login(b, bob, "tls-bob");
            assertThat(a.send("tls-bob", "hello over TLS")).isTrue();
            await().atMost(10, SECONDS).until(() -> bob.received("hello over TLS"));
            assertThat(b.send("tls-alice", "and back")).isTrue();
            await().atMost(10, SECONDS).until(() -> alice.received("and back"));
        }
    }

    @Test
    void aClientTrustingAnotherCertificateFailsTheHandshakeAndNeverLogsIn() {
        int before = node.sessions().size();
        assertThatThrownBy(() -> tlsClient(other.cert(), new Recorder()))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("TLS handshake with 127.0.0.1:" + node.localAddress().getPort() + " failed")
                .hasMessageContaining("--tls-trust");
        assertThat(node.sessions().size()).isEqualTo(before);
    }

    @Test
    void aPlainTextClientIsClosedAndTheNodeServesTheNextTlsClient() throws Exception {
        try (RawSocketClient plain = RawSocketClient.connect(node.localAddress())) {
            // A varint32-framed login, as a stage 7 client sends it: not a TLS record.
            byte[] login = Envelope.newBuilder().setLogin(Login.newBuilder().setUid("plain")
                    .setToken(TOKENS.issue("plain", Instant.now().plusSeconds(60)))).build().toByteArray();
            byte[] framed = new byte[login.length + 1];
            framed[0] = (byte) login.length;
            System.arraycopy(login, 0, framed, 1, login.length);
            plain.write(framed);
            assertThat(plain.awaitServerClose()).isTrue();
        }
        assertThat(node.sessions().find("plain")).isNull();
        Recorder next = new Recorder();
        try (ChatClient client = tlsClient(cert.cert(), next)) {
            login(client, next, "after-plain");
        }
    }

    @Test
    void aPeerThatNeverStartsItsHandshakeIsClosedAfterTheHandshakeTimeout() throws Exception {
        // On the HTTP port nothing else bounds it (the chat's login deadline only starts after the WebSocket upgrade).
        try (Socket silent = new Socket()) {
            silent.connect(node.httpAddress(), 5_000);
            silent.setSoTimeout((int) ServerTls.HANDSHAKE_TIMEOUT_MILLIS * 3);
            long start = System.nanoTime();
            int read;
            try {
                read = silent.getInputStream().read();
            } catch (SocketException reset) {
                read = -1;
            }
            long waited = (System.nanoTime() - start) / 1_000_000;
            assertThat(read).isEqualTo(-1);
            assertThat(waited).isBetween(ServerTls.HANDSHAKE_TIMEOUT_MILLIS - 1_000,
                    ServerTls.HANDSHAKE_TIMEOUT_MILLIS * 2);
        }
    }

    @Test
    void httpsTrustingTheCertificateGetsTheNodeListAndTrustingAnotherDoesNot() throws Exception {
        URI uri = URI.create("https://127.0.0.1:" + node.httpAddress().getPort() + "/api/nodes");
        HttpRequest get = HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(10)).build();
        HttpResponse<String> response = https(cert.cert()).send(get, HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.body()).contains("\"self\":\"" + node.nodeId() + "\"").contains("\"tls\":true");

        assertThatThrownBy(() -> https(other.cert()).send(get, HttpResponse.BodyHandlers.ofString()))
                .isInstanceOf(SSLHandshakeException.class);
        // And plain http:// on the TLS port gets no answer but a closed connection.
        assertThatThrownBy(() -> HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build()
                .send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + node.httpAddress().getPort()
                        + "/api/nodes")).timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString()))
                .isInstanceOf(IOException.class);
    }

    @Test
    void aBrowserStyleClientLogsInAndChatsOverWss() throws Exception {
        HttpClient http = https(cert.cert());
        JsonSocket alice = JsonSocket.open(http, node.httpAddress());
        JsonSocket bob = JsonSocket.open(http, node.httpAddress());
        try {
            alice.send("{\"login\":{\"uid\":\"wss-alice\",\"lastSeq\":\"0\",\"token\":\""
                    + TOKENS.issue("wss-alice", Instant.now().plusSeconds(300)) + "\"}}");
            bob.send("{\"login\":{\"uid\":\"wss-bob\",\"lastSeq\":\"0\",\"token\":\""
                    + TOKENS.issue("wss-bob", Instant.now().plusSeconds(300)) + "\"}}");
            await().atMost(10, SECONDS).until(() -> alice.saw("\"loginAck\"") && bob.saw("\"loginAck\""));
            alice.send("{\"chat\":{\"toUid\":\"wss-bob\",\"content\":\"hello over wss\",\"clientMsgId\":\"c1\"}}");
            await().atMost(10, SECONDS).until(() -> bob.saw("hello over wss"));
            await().atMost(10, SECONDS).until(() -> alice.saw("\"sendAck\""));
        } finally {
            alice.abort();
            bob.abort();
        }
        assertThatThrownBy(() -> JsonSocket.open(https(other.cert()), node.httpAddress()))
                .hasCauseInstanceOf(SSLHandshakeException.class);
    }

    private static ChatClient tlsClient(Path trusted, Recorder listener) throws InterruptedException {
        InetSocketAddress at = node.localAddress();
        ClientConfig config = ClientConfig.of("127.0.0.1", at.getPort()).withReconnect(false)
                .withTlsTrust(trusted.toString());
        return ChatClient.connect(config, NodeLocator.fixed("127.0.0.1", at.getPort()), null, listener);
    }

    /** Logs in with a signed token (the login frame is sent as is, so it carries one whatever the client does). */
    private static void login(ChatClient client, Recorder recorder, String uid) {
        client.send(Envelope.newBuilder().setLogin(Login.newBuilder().setUid(uid).setLastSeq(-1)
                .setToken(TOKENS.issue(uid, Instant.now().plusSeconds(300)))).build());
        await().atMost(10, SECONDS).until(() -> recorder.count(Envelope.BodyCase.LOGIN_ACK) == 1);
        assertThat(node.sessions().find(uid)).isNotNull();
    }

    /** java.net.http trusting exactly the certificate in {@code pem} (hostname verification stays on). */
    static HttpClient https(Path pem) {
        return HttpClient.newBuilder().sslContext(ClientTls.jdkTrusting(pem)).connectTimeout(Duration.ofSeconds(5))
                .build();
    }

    /** A WebSocket speaking im.v1.json, as the browser page does; records the text it receives. */
    static final class JsonSocket implements WebSocket.Listener {
        final List<String> received = new CopyOnWriteArrayList<>();
        private final StringBuilder partial = new StringBuilder();
        private WebSocket socket;

        static JsonSocket open(HttpClient http, InetSocketAddress at) throws Exception {
            JsonSocket listener = new JsonSocket();
            try {
                listener.socket = http.newWebSocketBuilder().subprotocols("im.v1.json")
                        .connectTimeout(Duration.ofSeconds(10))
                        .buildAsync(URI.create("wss://127.0.0.1:" + at.getPort() + "/ws"), listener)
                        .get(15, SECONDS);
            } catch (ExecutionException e) {
                throw new IOException("wss handshake failed", e.getCause());
            }
            return listener;
        }

        void send(String json) throws Exception {
            socket.sendText(json, true).get(10, SECONDS);
        }

        boolean saw(String fragment) {
            return received.stream().anyMatch(text -> text.contains(fragment));
        }

        void abort() {
            socket.abort();
        }

        @Override
        public CompletionStage<?> onText(WebSocket ws, CharSequence data, boolean last) {
            partial.append(data);
            if (last) {
                received.add(partial.toString());
                partial.setLength(0);
            }
            ws.request(1);
            return CompletableFuture.completedFuture(null);
        }
    }
}
