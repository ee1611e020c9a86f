package com.example.im.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.example.im.client.ChatClient;
import com.example.im.client.Recorder;
import com.example.im.protocol.Envelope;
import com.example.im.protocol.ErrorCode;
import com.example.im.protocol.Login;
import com.example.im.route.RedisKeys;
import com.example.im.server.ChatServer;
import com.example.im.server.ServerConfig;
import com.example.im.server.WireFrames;
import com.example.im.testkit.RawSocketClient;
import com.example.im.testkit.RedisExtension;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import redis.clients.jedis.RedisClient;

/**
 * Login tokens enforced by a real node with Redis, over real sockets (docs/08-web-edge.md, "Tokens"): every kind of
 * bad token is refused with UNAUTHENTICATED and a closed connection, and leaves no session behind, locally or in
 * Redis; the node goes on serving; the client asks its token source again at every reconnect.
 */
class AuthTest {

    @RegisterExtension
    static final RedisExtension redis = new RedisExtension();

    private ChatServer node;
    private RedisClient keys;
    private final List<AutoCloseable> closeables = new CopyOnWriteArrayList<>();

    /** The bad tokens, each for the uid "mallory". */
    enum Bad {
        MISSING {
            @Override
            String token() {
                return "";
            }
        },
        MALFORMED {
            @Override
            String token() {
                return "v1.not-a-token";
            }
        },
        EXPIRED {
            @Override
            String token() {
                return new Tokens(EdgeSettingsKey.KEY).issue("mallory", Instant.now().minusSeconds(1));
            }
        },
        FORGED {
            @Override
            String token() {
                byte[] other = new byte[32];
                new SecureRandom().nextBytes(other);
                return new Tokens(other).issue("mallory", Instant.now().plusSeconds(3600));
            }
        },
        OTHER_UID {
            @Override
            String token() {
                return TestTokens.token("alice");
            }
        },
        HUGE {
            @Override
            String token() {
                return "v1." + "A".repeat(10_000) + ".9999999999.AAAA";
            }
        };

        abstract String token();
    }

    /** The test key (TestTokens signs with it). */
    private static final class EdgeSettingsKey {
        static final byte[] KEY = com.example.im.server.EdgeSettings.forTests().authKey();
    }

    @BeforeEach
    void start() throws InterruptedException {
        node = ChatServer.start(ServerConfig.forTests().withRedis(redis.uri(), 30_000, 30_000));
        keys = RedisClient.create(URI.create(redis.uri()));
    }

    @AfterEach
    void stop() throws Exception {
        for (AutoCloseable c : closeables) {
            c.close();
        }
        keys.close();
        node.close();
    }

    @ParameterizedTest
    @EnumSource(Bad.class)
    void aBadTokenIsRefusedTheConnectionClosedAndNoSessionKept(Bad bad) {
        try (RawSocketClient mallory = RawSocketClient.connect(node.localAddress())) {
            WireFrames.write(mallory, Envelope.newBuilder().setLogin(Login.newBuilder().setUid("mallory")
                    .setToken(bad.token())).build());
            Envelope reply = WireFrames.read(mallory);
            assertThat(reply.getError().getCode()).isEqualTo(ErrorCode.UNAUTHENTICATED);
            assertThat(reply.getError().getText()).isNotEmpty();
            assertThat(mallory.awaitServerClose()).as("the node hangs up").isTrue();
        }
        assertThat(node.sessions().uids()).doesNotContain("mallory");
        assertThat(keys.exists(RedisKeys.session("mallory"))).as("no session in Redis").isFalse();

        // The node still serves the next client, who has a valid token.
        try (RawSocketClient alice = RawSocketClient.connect(node.localAddress())) {
            WireFrames.write(alice, Envelope.newBuilder().setLogin(TestTokens.login("alice")).build());
            assertThat(WireFrames.read(alice).getLoginAck().getUid()).isEqualTo("alice");
            assertThat(node.sessions().uids()).contains("alice");
            await().until(() -> keys.exists(RedisKeys.session("alice")));
        }
    }

    @Test
    void aRefusedLoginDoesNotKickTheRealUsersSession() {
        try (RawSocketClient alice = RawSocketClient.connect(node.localAddress());
             RawSocketClient mallory = RawSocketClient.connect(node.localAddress())) {
            WireFrames.write(alice, Envelope.newBuilder().setLogin(TestTokens.login("alice")).build());
            assertThat(WireFrames.read(alice).hasLoginAck()).isTrue();
            WireFrames.write(mallory, Envelope.newBuilder().setLogin(Login.newBuilder().setUid("alice")
                    .setToken(Bad.FORGED.token())).build());
            assertThat(WireFrames.read(mallory).getError().getCode()).isEqualTo(ErrorCode.UNAUTHENTICATED);
            assertThat(mallory.awaitServerClose()).isTrue();
            // alice's connection is untouched: she is still the session, and still answered.
            assertThat(node.sessions().find("alice")).isNotNull();
            WireFrames.write(alice, Envelope.newBuilder().setWho(com.example.im.protocol.Who.getDefaultInstance())
                    .build());
            assertThat(WireFrames.read(alice).getWhoReply().getUidsList()).containsExactly("alice");
        }
    }

    @Test
    void theSameCheckGuardsWebSocketLogins() throws Exception {
        BlockingText ws = BlockingText.open(node.httpAddress().getPort());
        ws.socket.sendText("{\"login\":{\"uid\":\"mallory\",\"lastSeq\":\"0\"}}", true);
        await().atMost(Duration.ofSeconds(10)).until(() -> !ws.texts.isEmpty());
        assertThat(ws.texts.get(0)).contains("UNAUTHENTICATED");
        await().atMost(Duration.ofSeconds(10)).until(() -> ws.ended.get() != null);
        // A close frame says why (1008, policy violation), not an abnormal end (1006) a browser could not tell apart.
        assertThat(ws.ended.get()).isEqualTo("close 1008");
        assertThat(node.sessions().uids()).doesNotContain("mallory");
        assertThat(keys.exists(RedisKeys.session("mallory"))).isFalse();

        BlockingText ok = BlockingText.open(node.httpAddress().getPort());
        ok.socket.sendText("{\"login\":{\"uid\":\"alice\",\"lastSeq\":\"0\",\"token\":\"" + TestTokens.token("alice")
                + "\"}}", true);
        await().atMost(Duration.ofSeconds(10)).until(() -> ok.texts.stream().anyMatch(t -> t.contains("loginAck")));
        ok.socket.abort();
    }

    @Test
    void aClientRefusedAsUnauthenticatedEndsInsteadOfReconnectingForever() throws Exception {
        AtomicInteger asked = new AtomicInteger();
        Recorder seen = new Recorder();
        ChatClient client = ChatClient.connect(TestTokens.client("127.0.0.1", node.localAddress().getPort())
                .withBackoff(20, 200).withTokens(uid -> {
                    asked.incrementAndGet();
                    return "v1.bad";
                }), com.example.im.client.NodeLocator.fixed("127.0.0.1", node.localAddress().getPort()),
                "alice", seen);
        closeables.add(client);
        await().atMost(Duration.ofSeconds(10)).until(seen.closed::get);
        assertThat(seen.frames).anySatisfy(f -> assertThat(f.getError().getCode())
                .isEqualTo(ErrorCode.UNAUTHENTICATED));
        assertThat(asked.get()).as("one login, no reconnect loop").isEqualTo(1);
        assertThat(client.send("bob", "hello?")).isFalse();
    }

    @Test
    void aReconnectAsksForAFreshTokenSoAnExpiredOneIsNotSentAgain() throws Exception {
        AtomicInteger asked = new AtomicInteger();
        AtomicReference<Instant> firstExpiry = new AtomicReference<>();
        Tokens tokens = new Tokens(EdgeSettingsKey.KEY);
        TokenSource shortLived = uid -> {
            asked.incrementAndGet();
            Instant expiry = Instant.now().plusSeconds(2);
            firstExpiry.compareAndSet(null, expiry);
            return tokens.issue(uid, expiry);
        };
        Recorder seen = new Recorder();
        ChatClient client = ChatClient.connect(TestTokens.client("127.0.0.1", node.localAddress().getPort())
                .withBackoff(20, 200).withTokens(shortLived),
                com.example.im.client.NodeLocator.fixed("127.0.0.1", node.localAddress().getPort()), "alice", seen);
        closeables.add(client);
        await().atMost(Duration.ofSeconds(10)).until(() -> seen.count(Envelope.BodyCase.LOGIN_ACK) == 1);
        // The first token expires while alice is connected (a node checks tokens at login only) ...
        await().atMost(Duration.ofSeconds(10)).until(() -> Instant.now().isAfter(firstExpiry.get().plusSeconds(1)));
        assertThat(client.isOpen()).isTrue();
        // ... then the link breaks: the node closes her connection.
        node.sessions().find("alice").close().sync();
        await().atMost(Duration.ofSeconds(10)).until(() -> seen.count(Envelope.BodyCase.LOGIN_ACK) == 2);
        assertThat(asked.get()).as("asked at the login and again at the reconnect").isEqualTo(2);
        assertThat(seen.frames).noneMatch(f -> f.hasError() && f.getError().getCode() == ErrorCode.UNAUTHENTICATED);
    }

    @Test
    void theDevIssuerClientSaysClearlyWhenTheNodeHasNoIssuer() {
        URI url = URI.create("http://127.0.0.1:" + node.httpAddress().getPort() + DevTokenIssuer.PATH);
        TokenSource source = TokenSource.devIssuer(url, Duration.ofSeconds(3));
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> source.tokenFor("alice"))
                .isInstanceOf(TokenSource.TokenUnavailable.class).hasMessageContaining("404")
                .hasMessageContaining("--dev-token-issuer");
    }

    @Test
    void theDevIssuerClientGetsATokenTheNodeAccepts() throws Exception {
        ChatServer issuing = ChatServer.start(ServerConfig.forTests().withEdge(
                com.example.im.server.EdgeSettings.forTests().withDevTokenIssuer(true)));
        closeables.add(issuing);
        URI url = URI.create("http://127.0.0.1:" + issuing.httpAddress().getPort() + DevTokenIssuer.PATH);
        Recorder seen = new Recorder();
        ChatClient client = ChatClient.connect(TestTokens.client("127.0.0.1", issuing.localAddress().getPort())
                .withTokens(TokenSource.devIssuer(url, Duration.ofSeconds(3))),
                com.example.im.client.NodeLocator.fixed("127.0.0.1", issuing.localAddress().getPort()), "alice",
                seen);
        closeables.add(0, client);
        await().atMost(Duration.ofSeconds(10)).until(() -> seen.count(Envelope.BodyCase.LOGIN_ACK) == 1);
    }

    /** A WebSocket client (im.v1.json) that keeps the text frames it receives. */
    private static final class BlockingText implements WebSocket.Listener {
        final List<String> texts = new CopyOnWriteArrayList<>();
        final AtomicReference<String> ended = new AtomicReference<>();
        private final StringBuilder partial = new StringBuilder();
        WebSocket socket;

        static BlockingText open(int port) throws Exception {
            BlockingText listener = new BlockingText();
            listener.socket = HttpClient.newHttpClient().newWebSocketBuilder().subprotocols("im.v1.json")
                    .connectTimeout(Duration.ofSeconds(5))
                    .buildAsync(URI.create("ws://127.0.0.1:" + port + "/ws"), listener).get(10, TimeUnit.SECONDS);
            return listener;
        }

        @Override
        public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
            partial.append(data);
            if (last) {
                texts.add(partial.toString());
                partial.setLength(0);
            }
            webSocket.request(1);
            return CompletableFuture.completedFuture(null);
        }

        @Override
        public CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
            ended.set("close " + statusCode);
            return CompletableFuture.completedFuture(null);
        }

        @Override
        public void onError(WebSocket webSocket, Throwable error) {
            ended.set("error " + error);
        }
    }
}
