package com.example.im.web;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.example.im.auth.TestTokens;
import com.example.im.balance.RoundRobinBalancer;
import com.example.im.client.ChatClient;
import com.example.im.client.Recorder;
import com.example.im.protocol.ChatMessage;
import com.example.im.protocol.Envelope;
import com.example.im.protocol.Login;
import com.example.im.registry.NodeDirectory;
import com.example.im.registry.NodeInfo;
import com.example.im.registry.Registry;
import com.example.im.registry.ZkNodeLocator;
import com.example.im.server.ChatServer;
import com.example.im.server.EdgeSettings;
import com.example.im.server.ServerConfig;
import com.example.im.testkit.ZooKeeperExtension;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A node behind port mappings (docs/09-scale-out.md, "Advertised addresses"): bound on 127.0.0.1 and free ports,
 * reachable — as far as anyone is told — only through two forwarders, one per port, whose ports it advertises. The
 * HTTP address is advertised under another host name ({@code localhost}) than the TCP one, so the test also tells
 * the two advertised hosts apart. Whoever follows ZooKeeper or {@code /api/nodes} must come through the forwarders.
 */
class AdvertisedAddressTest {

    @RegisterExtension
    final ZooKeeperExtension zk = new ZooKeeperExtension();

    private PortMapping tcp;
    private PortMapping http;
    private ChatServer node;

    @BeforeEach
    void startBehindMappings() throws Exception {
        tcp = new PortMapping();
        http = new PortMapping();
        ServerConfig config = ServerConfig.forTests().withZooKeeper(zk.connectString(), 100)
                .withAdvertised("127.0.0.1", tcp.port())
                .withEdge(EdgeSettings.forTests().withAdvertisedHttp("localhost", http.port()));
        node = ChatServer.start(config);
        tcp.forwardTo(node.localAddress());
        http.forwardTo(node.httpAddress());
        assertThat(node.localAddress().getPort()).isNotEqualTo(tcp.port());
        assertThat(node.httpAddress().getPort()).isNotEqualTo(http.port());
    }

    @AfterEach
    void stop() throws Exception {
        if (node != null) {
            node.close();
        }
        tcp.close();
        http.close();
    }

    @Test
    void zooKeeperHoldsTheAdvertisedAddressesAndAClientThatFindsTheNodeThereComesThroughTheMapping()
            throws Exception {
        try (NodeDirectory directory = new NodeDirectory(Registry.curator(zk.connectString(), 10_000))) {
            assertThat(directory.awaitInitialized(10, TimeUnit.SECONDS)).isTrue();
            await().atMost(Duration.ofSeconds(10)).until(() -> directory.nodes().size() == 1);
            NodeInfo registered = directory.nodes().get(0);
            assertThat(registered).isEqualTo(new NodeInfo("127.0.0.1:" + tcp.port(), "127.0.0.1", tcp.port(), 0,
                    http.port(), false, "localhost"));

            // The console's way in: ZkNodeLocator over the directory.
            Recorder seen = new Recorder();
            try (ChatClient alice = ChatClient.connect(TestTokens.client("127.0.0.1", 0).withBackoff(20, 200),
                    new ZkNodeLocator(directory, new RoundRobinBalancer(0)), "alice", seen)) {
                await().atMost(Duration.ofSeconds(10)).until(() -> seen.count(Envelope.BodyCase.LOGIN_ACK) == 1);
                alice.send("alice", "through the mapping");
                await().atMost(Duration.ofSeconds(10)).until(() -> seen.received("through the mapping"));
                assertThat(tcp.accepted()).as("connections through the TCP mapping").isEqualTo(1);
                assertThat(node.sessions().find("alice")).isNotNull();
            }
        }
    }

    @Test
    void apiNodesListsTheAdvertisedHttpAddressAndAWebSocketThatFollowsItComesThroughTheMapping() throws Exception {
        // Asked at the bound port: what the node says does not depend on how it was reached.
        HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        JsonNode[] listed = new JsonNode[1];
        await().atMost(Duration.ofSeconds(10)).until(() -> {
            HttpResponse<String> response = client.send(HttpRequest.newBuilder(
                            URI.create("http://127.0.0.1:" + node.httpAddress().getPort() + "/api/nodes"))
                    .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
            listed[0] = new ObjectMapper().readTree(response.body());
            return listed[0].path("nodes").size() == 1; // the node's own directory has seen its znode
        });
        JsonNode me = listed[0].path("nodes").get(0);
        assertThat(me.path("host").asText()).isEqualTo("127.0.0.1");
        assertThat(me.path("port").asInt()).isEqualTo(tcp.port());
        assertThat(me.path("httpHost").asText()).isEqualTo("localhost");
        assertThat(me.path("httpPort").asInt()).isEqualTo(http.port());
        assertThat(node.pageUrl()).isEqualTo("http://localhost:" + http.port() + "/");

        // What chat.js does: ws://httpHost:httpPort/ws from the list, not the page's own location.
        URI ws = URI.create("ws://" + me.path("httpHost").asText() + ":" + me.path("httpPort").asInt()
                + WebEdge.WS_PATH);
        try (WsClient bob = WsClient.connect(ws, WebSocketEnvelopeCodec.JSON)) {
            bob.send(Envelope.newBuilder().setLogin(Login.newBuilder().setUid("bob").setLastSeq(-1)
                    .setToken(WsClient.token("bob"))).build());
            await().atMost(Duration.ofSeconds(10)).until(() -> bob.count(Envelope.BodyCase.LOGIN_ACK) == 1);
            bob.send(Envelope.newBuilder().setChat(ChatMessage.newBuilder().setToUid("bob")
                    .setContent("page through the mapping").setClientMsgId("m1")).build());
            await().atMost(Duration.ofSeconds(10)).until(() -> bob.receivedChat("page through the mapping"));
            assertThat(http.accepted()).as("connections through the HTTP mapping").isEqualTo(1);
        }
    }
}
