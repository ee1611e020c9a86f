package com.example.im.web;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.example.im.auth.Tokens;
import com.example.im.protocol.Ack;
import com.example.im.protocol.ChatMessage;
import com.example.im.protocol.Envelope;
import com.example.im.protocol.Login;
import com.example.im.registry.Cluster;
import com.example.im.server.ChatServer;
import com.example.im.server.EdgeSettings;
import com.example.im.server.ServerConfig;
import com.example.im.server.WireFrames;
import com.example.im.testkit.RawSocketClient;
import com.example.im.testkit.RedisExtension;
import com.example.im.testkit.ZooKeeperExtension;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.openqa.selenium.By;
import org.openqa.selenium.WebElement;

/**
 * The cluster page in real headless Chromium against a real two-node cluster (docs/08-web-edge.md, "The cluster page",
 * "Tests"): both nodes are listed, the numbers move while TCP users chat, a stopped node shows up as "left". Leaves
 * {@code target/screenshots/cluster.png} (the one in docs/images/stage8-cluster.png is a copy of it).
 */
class ClusterPageBrowserIT {

    @RegisterExtension
    @Order(1)
    static final ZooKeeperExtension zk = new ZooKeeperExtension();

    @RegisterExtension
    @Order(2)
    static final RedisExtension redis = new RedisExtension();

    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final Tokens TOKENS = new Tokens(EdgeSettings.forTests().authKey());

    private static RawSocketClient login(ChatServer node, String uid) {
        RawSocketClient raw = RawSocketClient.connect(node.localAddress());
        WireFrames.write(raw, Envelope.newBuilder().setLogin(Login.newBuilder().setUid(uid).setLastSeq(0)
                .setToken(TOKENS.issue(uid, Instant.now().plusSeconds(600)))).build());
        assertThat(WireFrames.read(raw).hasLoginAck()).isTrue();
        return raw;
    }

    private static WebElement row(Browser browser, ChatServer node) {
        List<WebElement> rows = browser.driver()
                .findElements(By.cssSelector("tr.node[data-node-id='" + node.nodeId() + "']"));
        return rows.isEmpty() ? null : rows.get(0);
    }

    private static String cell(Browser browser, ChatServer node, String cls) {
        WebElement row = row(browser, node);
        return row == null ? null : row.findElement(By.cssSelector("." + cls)).getText();
    }

    private static double number(String text) {
        try {
            return text == null ? Double.NaN : Double.parseDouble(text.replace(" ms", ""));
        } catch (NumberFormatException e) {
            return Double.NaN; // "–": not measured yet
        }
    }

    @Test
    void thePageListsBothNodesItsNumbersMoveWithTrafficAndAStoppedNodeIsALeftEvent() throws Exception {
        long started = System.nanoTime();
        ServerConfig config = ServerConfig.forTests().withZooKeeper(zk.connectString(), 200)
                .withRedis(redis.uri(), 3_000, 30_000).withZkSessionTimeout(2_000);
        AtomicBoolean chatting = new AtomicBoolean(true);
        try (Cluster cluster = new Cluster(zk.connectString(), config);
             Browser browser = new Browser()) {
            ChatServer a = cluster.startNode();
            ChatServer b = cluster.startNode();
            browser.open("http://127.0.0.1:" + a.httpAddress().getPort() + "/cluster.html");

            await().atMost(WAIT).until(() -> row(browser, a) != null && row(browser, b) != null);
            assertThat(cell(browser, a, "connections")).isEqualTo("0");
            assertThat(browser.driver().findElement(By.id("chat-link")).getAttribute("href")).endsWith("/");

            // Alice on A writes to bob on B, a message every 100 ms; bob acknowledges each.
            RawSocketClient alice = cluster.track(login(a, "alice"));
            RawSocketClient bob = cluster.track(login(b, "bob"));
            Thread sender = new Thread(() -> {
                for (int i = 0; chatting.get(); i++) {
                    WireFrames.write(alice, Envelope.newBuilder().setChat(ChatMessage.newBuilder().setToUid("bob")
                            .setContent("m" + i).setClientMsgId("c" + i)).build());
                    try {
                        Thread.sleep(100); // pacing the traffic (not waiting for anything)
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            }, "alice");
            Thread reader = new Thread(() -> {
                try {
                    while (chatting.get()) {
                        Envelope frame = WireFrames.read(bob);
                        if (frame.hasChat()) {
                            WireFrames.write(bob, Envelope.newBuilder()
                                    .setAck(Ack.newBuilder().setSeq(frame.getChat().getSeq())).build());
                        }
                    }
                } catch (RuntimeException | AssertionError e) {
                    // the socket closed at the end of the test
                }
            }, "bob");
            sender.setDaemon(true);
            reader.setDaemon(true);
            sender.start();
            reader.start();

            await().atMost(WAIT).until(() -> "1".equals(cell(browser, a, "connections"))
                    && "1".equals(cell(browser, b, "connections")));
            await().atMost(WAIT).until(() -> number(cell(browser, a, "msgs-per-sec")) > 0
                    && number(cell(browser, b, "p50")) >= 0);
            // A few more samples, so that the sparklines have something to show in the screenshot.
            await().atMost(WAIT).until(() -> browser.driver()
                    .findElements(By.cssSelector("tr.node .spark-msgs polyline")).stream()
                    .allMatch(line -> line.getAttribute("points").split(" ").length >= 5));
            assertThat(browser.driver().findElements(By.cssSelector("#events li[data-type='joined']")))
                    .hasSizeGreaterThanOrEqualTo(2);
            browser.screenshot("cluster");

            chatting.set(false);
            sender.join(5_000);
            b.close();
            await().atMost(WAIT).until(() -> row(browser, b) == null && browser.driver()
                    .findElements(By.cssSelector("#events li[data-type='left'][data-node='" + b.nodeId() + "']"))
                    .size() == 1);
            browser.screenshot("cluster-after-a-node-left");
            System.out.printf("cluster page browser test took %d ms%n", (System.nanoTime() - started) / 1_000_000);
        } finally {
            chatting.set(false);
        }
    }
}
