package com.example.im.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.example.im.auth.Tokens;
import com.example.im.protocol.Ack;
import com.example.im.protocol.ChatMessage;
import com.example.im.protocol.Envelope;
import com.example.im.protocol.ErrorCode;
import com.example.im.protocol.Login;
import com.example.im.registry.Cluster;
import com.example.im.server.ChatServer;
import com.example.im.server.EdgeSettings;
import com.example.im.server.ServerConfig;
import com.example.im.server.WireFrames;
import com.example.im.testkit.RawSocketClient;
import com.example.im.testkit.RedisExtension;
import com.example.im.testkit.ZooKeeperExtension;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.example.im.registry.NodeInfo;
import com.example.im.registry.Registry;
import com.example.im.protocol.Delivery;
import com.example.im.protocol.InboxEntry;
import com.example.im.route.RedisKeys;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.time.Duration;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.curator.framework.CuratorFramework;
import org.apache.zookeeper.CreateMode;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import redis.clients.jedis.RedisClient;
import redis.clients.jedis.params.XAddParams;

/**
 * The meters at {@code /metrics} and the cluster at {@code /api/cluster} on a real two-node cluster (ZooKeeper and
 * Redis), with TCP clients that speak the protocol themselves and ack when the test says so (docs/08-web-edge.md,
 * "Metrics", "The cluster page").
 */
class MetricsTest {

    @RegisterExtension
    @Order(1)
    static final ZooKeeperExtension zk = new ZooKeeperExtension();

    @RegisterExtension
    @Order(2)
    static final RedisExtension redis = new RedisExtension();

    private static final Tokens TOKENS = new Tokens(EdgeSettings.forTests().authKey());
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private static final ObjectMapper JSON = new ObjectMapper();

    private final List<AutoCloseable> clients = new ArrayList<>();

    private ServerConfig config() {
        return ServerConfig.forTests().withZooKeeper(zk.connectString(), 100)
                .withRedis(redis.uri(), 3_000, 30_000).withZkSessionTimeout(2_000);
    }

    /** A raw TCP client on {@code node}, logged in as {@code uid} with a signed token. */
    private RawSocketClient login(ChatServer node, String uid) {
        RawSocketClient raw = RawSocketClient.connect(node.localAddress());
        clients.add(raw);
        WireFrames.write(raw, Envelope.newBuilder().setLogin(Login.newBuilder().setUid(uid).setLastSeq(0)
                .setToken(TOKENS.issue(uid, Instant.now().plusSeconds(600)))).build());
        assertThat(WireFrames.read(raw).hasLoginAck()).isTrue();
        return raw;
    }

    private static Envelope chat(String to, String text, String clientMsgId) {
        return Envelope.newBuilder().setChat(ChatMessage.newBuilder().setToUid(to).setContent(text)
                .setClientMsgId(clientMsgId)).build();
    }

    /** The next chat message on {@code raw} (skipping send acks and pongs). */
    private static ChatMessage nextMessage(RawSocketClient raw) {
        while (true) {
            Envelope frame = WireFrames.read(raw);
            if (frame.hasChat()) {
                return frame.getChat();
            }
        }
    }

    private static HttpResponse<String> get(ChatServer node, String path) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + node.httpAddress().getPort() + path))
                .timeout(Duration.ofSeconds(10)).GET().build(), HttpResponse.BodyHandlers.ofString());
    }

    /** The value of one sample line of {@code node}'s /metrics, e.g. {@code im_logins_total{result="ok"}}. */
    static double metric(ChatServer node, String name, String label) throws Exception {
        return value(get(node, "/metrics").body(), name, label);
    }

    static double value(String text, String name, String label) {
        // Micrometer writes labels sorted by name; match the one asked for anywhere in the braces.
        Pattern line = Pattern.compile("^" + Pattern.quote(name) + "(\\{[^}]*\\})? (\\S+)$", Pattern.MULTILINE);
        Matcher m = line.matcher(text);
        while (m.find()) {
            if (label == null || (m.group(1) != null && m.group(1).contains(label))) {
                return Double.parseDouble(m.group(2));
            }
        }
        throw new AssertionError(name + (label == null ? "" : "{" + label + "}") + " not in /metrics:\n" + text);
    }

    private static JsonNode cluster(ChatServer node) throws Exception {
        HttpResponse<String> response = get(node, "/api/cluster");
        assertThat(response.statusCode()).isEqualTo(200);
        return JSON.readTree(response.body());
    }

    private static List<String> nodeIds(JsonNode cluster) {
        List<String> ids = new ArrayList<>();
        cluster.get("nodes").forEach(n -> ids.add(n.get("nodeId").asText()));
        return ids;
    }

    @Test
    void countersAndTheLatencyTimerMoveAsClientsChatAndTheClusterPageSeesBothNodes() throws Exception {
        try (Cluster cluster = new Cluster(zk.connectString(), config())) {
            ChatServer a = cluster.startNode();
            ChatServer b = cluster.startNode();
            try {
                HttpResponse<String> scrape = get(a, "/metrics");
                assertThat(scrape.statusCode()).isEqualTo(200);
                assertThat(scrape.headers().firstValue("content-type")).hasValue(NodeMetrics.CONTENT_TYPE);
                assertThat(scrape.body()).contains("# TYPE im_messages_accepted_total counter")
                        .contains("jvm_memory_used_bytes").contains("im_node_info{node=\"" + a.nodeId() + "\"} 1");

                RawSocketClient alice = login(a, "alice");
                RawSocketClient bob = login(b, "bob");
                assertThat(metric(a, "im_connections", "transport=\"tcp\"")).isEqualTo(1);
                assertThat(metric(a, "im_connections", "transport=\"ws\"")).isEqualTo(0);
                assertThat(metric(a, "im_logins_total", "result=\"ok\"")).isEqualTo(1);

                // A login that is refused (an invalid uid, and no token) counts as refused, not as ok.
                RawSocketClient refused = RawSocketClient.connect(a.localAddress());
                clients.add(refused);
                WireFrames.write(refused, WireFrames.login("no spaces allowed"));
                Envelope answer = WireFrames.read(refused);
                assertThat(answer.hasError()).isTrue();
                assertThat(answer.getError().getCode()).isIn(ErrorCode.BAD_INPUT, ErrorCode.UNAUTHENTICATED);
                await().until(() -> metric(a, "im_logins_total", "result=\"refused\"") == 1);
                assertThat(metric(a, "im_logins_total", "result=\"ok\"")).isEqualTo(1);
                refused.close();

                int count = 20;
                for (int i = 0; i < count; i++) {
                    WireFrames.write(alice, chat("bob", "m" + i, "c" + i));
                }
                // Bob shows each message and acknowledges it, as a client does (one that waits for all 20 before its
                // first ack gets one message until the resend: the pusher's window counts from acked seq 0).
                for (int i = 0; i < count; i++) {
                    long seq = nextMessage(bob).getSeq();
                    WireFrames.write(bob, Envelope.newBuilder().setAck(Ack.newBuilder().setSeq(seq)).build());
                }

                await().untilAsserted(() -> assertThat(metric(a, "im_messages_accepted_total", null)).isEqualTo(count));
                await().until(() -> metric(b, "im_acks_received_total", null) == count);
                assertThat(metric(b, "im_messages_pushed_total", null)).isGreaterThanOrEqualTo(count); // resends count
                // One latency sample per message the ack covered, recorded at the recipient's node.
                await().untilAsserted(() -> assertThat(metric(b, "im_delivery_latency_seconds_count", null))
                        .as("latency samples; /metrics of B:%n%s", get(b, "/metrics").body()).isEqualTo(count));
                assertThat(b.metrics().latencyCount()).isEqualTo(count);
                assertThat(metric(b, "im_delivery_latency_quantile_seconds", "quantile=\"0.99\""))
                        .isGreaterThan(0).isLessThan(60); // an estimate from buckets: near the max, not exactly it
                assertThat(metric(b, "im_delivery_latency_seconds_bucket", "le=\"+Inf\"")).isEqualTo(count);
                assertThat(metric(a, "im_delivery_latency_seconds_count", null)).isZero();
                assertThat(metric(b, "im_messages_accepted_total", null)).isZero();

                // The cluster as any node sees it: both nodes, each with its own numbers.
                await().atMost(Duration.ofSeconds(20)).until(() -> {
                    JsonNode view = cluster(b);
                    return nodeIds(view).containsAll(List.of(a.nodeId(), b.nodeId()))
                            && byId(view, a.nodeId()).get("reachable").asBoolean()
                            && byId(view, a.nodeId()).get("accepted").asDouble() == count;
                });
                JsonNode view = cluster(b);
                JsonNode nodeA = byId(view, a.nodeId());
                assertThat(nodeA.get("connections").asInt()).isEqualTo(1);
                assertThat(nodeA.get("url").asText())
                        .isEqualTo("http://" + nodeA.get("host").asText() + ":" + a.httpAddress().getPort() + "/");
                assertThat(nodeA.get("series").get("t").size()).isGreaterThanOrEqualTo(1);
                assertThat(byId(view, b.nodeId()).get("p99Ms").isNumber()).isTrue();
                assertThat(events(view, "joined")).contains(a.nodeId(), b.nodeId());
                assertThat(events(view, "started")).contains(b.nodeId());

                // A browser's connection (WebSocket, JSON frames) counts under transport "ws".
                CompletableFuture<String> loginAck = new CompletableFuture<>();
                WebSocket carol = HTTP.newWebSocketBuilder().subprotocols("im.v1.json")
                        .buildAsync(URI.create("ws://127.0.0.1:" + a.httpAddress().getPort() + "/ws"),
                                new WebSocket.Listener() {
                                    @Override
                                    public CompletionStage<?> onText(WebSocket ws, CharSequence data, boolean last) {
                                        loginAck.complete(data.toString());
                                        return null;
                                    }
                                }).get(10, TimeUnit.SECONDS);
                carol.sendText("{\"login\":{\"uid\":\"carol\",\"lastSeq\":\"0\",\"token\":\""
                        + TOKENS.issue("carol", Instant.now().plusSeconds(600)) + "\"}}", true);
                assertThat(loginAck.get(10, TimeUnit.SECONDS)).contains("loginAck");
                assertThat(metric(a, "im_connections", "transport=\"ws\"")).isEqualTo(1);
                assertThat(metric(a, "im_connections", "transport=\"tcp\"")).isEqualTo(1);
                carol.sendClose(WebSocket.NORMAL_CLOSURE, "bye").get(10, TimeUnit.SECONDS);
                await().until(() -> metric(a, "im_connections", "transport=\"ws\"") == 0);

                // A closed connection leaves the gauge.
                alice.close();
                await().until(() -> metric(a, "im_connections", "transport=\"tcp\"") == 0);

                // A stopped node: a "left" event on the survivor, and it leaves the table.
                cluster(a); // keep A's sampling on
                b.close();
                await().atMost(Duration.ofSeconds(20)).until(() -> {
                    JsonNode after = cluster(a);
                    return events(after, "left").contains(b.nodeId()) && !nodeIds(after).contains(b.nodeId());
                });
                // Bob, still on B, was told to go away when B stopped.
                assertThat(b.metrics().registry().get("im.goaways").counter().count()).isEqualTo(1);
            } finally {
                for (AutoCloseable client : clients) {
                    client.close();
                }
            }
        }
    }

    @Test
    void aNodeThatDoesNotAnswerIsShownUnreachableWithoutHoldingTheAnswerUp() throws Exception {
        try (Cluster cluster = new Cluster(zk.connectString(), config());
             ServerSocket silent = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
             CuratorFramework curator = Registry.curator(zk.connectString(), 10_000)) {
            ChatServer a = cluster.startNode();
            // A "node" in ZooKeeper whose HTTP port accepts connections (the kernel does) and never answers: a hung
            // process. Its scrape must time out, not hold up the page or the other nodes' numbers.
            NodeInfo ghost = new NodeInfo("ghost", "127.0.0.1", 1, 0, silent.getLocalPort(), false);
            curator.create().withMode(CreateMode.EPHEMERAL).forPath(Registry.SERVERS_PATH + "/ghost", ghost.toJson());
            await().atMost(Duration.ofSeconds(20)).until(() -> {
                JsonNode view = cluster(a);
                JsonNode g = byId(view, "ghost");
                return g != null && !g.get("reachable").asBoolean() && g.get("connections").isNull()
                        && byId(view, a.nodeId()).get("reachable").asBoolean();
            });
            long t0 = System.nanoTime();
            cluster(a);
            assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(1));
            assertThat(events(cluster(a), "joined")).contains("ghost");
        }
    }

    @Test
    void theInboxLagGaugeShowsWhatWaitsInTheNodesInbox() throws Exception {
        try (Cluster cluster = new Cluster(zk.connectString(), config());
             RedisClient inspect = RedisClient.create(URI.create(redis.uri()))) {
            ChatServer a = cluster.startNode();
            assertThat(metric(a, "im_inbox_lag_entries", null)).isZero();
            // Entries for a user connected nowhere: the consumer reads them and keeps them pending (it retries
            // until they are undeliverable, 30 s here), so they are the inbox's lag meanwhile.
            int count = 3;
            for (int i = 0; i < count; i++) {
                ChatMessage message = ChatMessage.newBuilder().setMsgId("waiting-" + i).setFromUid("sam")
                        .setToUid("nobody").setContent("w" + i).setTimestamp(System.currentTimeMillis()).build();
                inspect.xadd(RedisKeys.inbox(a.nodeId()).getBytes(StandardCharsets.UTF_8), XAddParams.xAddParams(),
                        Map.of(RedisKeys.FIELD, InboxEntry.newBuilder()
                                .setDelivery(Delivery.newBuilder().setMessage(message).addToUids("nobody"))
                                .build().toByteArray()));
            }
            await().untilAsserted(() -> assertThat(metric(a, "im_inbox_lag_entries", null)).isEqualTo(count));
            assertThat(a.routing().inboxLag()).isEqualTo(count);
        }
    }

    private static JsonNode byId(JsonNode view, String nodeId) {
        for (JsonNode n : view.get("nodes")) {
            if (n.get("nodeId").asText().equals(nodeId)) {
                return n;
            }
        }
        return null;
    }

    private static List<String> events(JsonNode view, String type) {
        List<String> nodes = new ArrayList<>();
        view.get("events").forEach(e -> {
            if (e.get("type").asText().equals(type)) {
                nodes.add(e.get("node").asText());
            }
        });
        return nodes;
    }
}
