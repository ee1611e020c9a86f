package com.example.im.web;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.example.im.auth.TestTokens;
import com.example.im.client.ChatClient;
import com.example.im.client.NodeLocator;
import com.example.im.client.Recorder;
import com.example.im.protocol.Envelope;
import com.example.im.registry.Cluster;
import com.example.im.server.ChatServer;
import com.example.im.server.EdgeSettings;
import com.example.im.server.ServerConfig;
import com.example.im.testkit.RedisExtension;
import com.example.im.testkit.ZooKeeperExtension;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The chat page in real headless Chromium against real nodes (ZooKeeper, Redis), end to end (docs/08-web-edge.md,
 * "Tests"): two pages chat across nodes, a TCP console user joins in, a node goes away under a page, a user comes
 * back to offline messages. Run by failsafe in the {@code browser-tests} profile (active where chromedriver is).
 */
class ChatPageBrowserIT {

    @RegisterExtension
    @Order(1)
    static final ZooKeeperExtension zk = new ZooKeeperExtension();

    @RegisterExtension
    @Order(2)
    static final RedisExtension redis = new RedisExtension();

    private static final Duration WAIT = Duration.ofSeconds(30);

    private Cluster cluster() {
        ServerConfig config = ServerConfig.forTests().withZooKeeper(zk.connectString(), 200)
                .withRedis(redis.uri(), 3_000, 30_000).withZkSessionTimeout(2_000)
                .withEdge(EdgeSettings.forTests().withDevTokenIssuer(true));
        return new Cluster(zk.connectString(), config);
    }

    private static String http(ChatServer node) {
        return "http://127.0.0.1:" + node.httpAddress().getPort();
    }

    @Test
    void pagesOnTwoNodesChatWithEachOtherAndATcpUserAndSurviveTheirNodeClosing() throws Exception {
        long started = System.nanoTime();
        try (Cluster cluster = cluster();
             Browser aliceBrowser = new Browser();
             Browser bobBrowser = new Browser()) {
            ChatServer a = cluster.startNode();
            ChatServer b = cluster.startNode();
            awaitListed(aliceBrowser, a, 2);

            ChatPage alice = new ChatPage(aliceBrowser).login(http(a), "alice");
            ChatPage bob = new ChatPage(bobBrowser).login(http(b), "bob");
            assertThat(alice.node()).isEqualTo(a.nodeId());
            assertThat(bob.node()).isEqualTo(b.nodeId());

            // Both ways, across the nodes.
            alice.send("bob", "hello bob, from node A");
            await().atMost(WAIT).until(() -> bob.texts().contains("hello bob, from node A"));
            bob.send("alice", "hi alice <b>not bold</b>");
            await().atMost(WAIT).until(() -> alice.texts().contains("hi alice <b>not bold</b>"));
            assertThat(aliceBrowser.driver().findElements(org.openqa.selenium.By.cssSelector("#messages b")))
                    .as("text is text, never markup").isEmpty();

            // A console (TCP) user on node B joins in.
            Recorder carolSeen = new Recorder();
            ChatClient carol = cluster.track(ChatClient.connect(
                    TestTokens.client("127.0.0.1", b.localAddress().getPort()).withReconnect(false),
                    NodeLocator.fixed("127.0.0.1", b.localAddress().getPort()), "carol", carolSeen));
            await().atMost(WAIT).until(() -> carolSeen.count(Envelope.BodyCase.LOGIN_ACK) == 1);
            carol.send("alice", "carol here, on the console");
            await().atMost(WAIT).until(() -> alice.texts().contains("carol here, on the console"));
            alice.send("carol", "welcome carol");
            await().atMost(WAIT).until(() -> carolSeen.received("welcome carol"));
            alice.send("bob,carol", "to the group");
            await().atMost(WAIT).until(() -> bob.texts().contains("to the group") && carolSeen.received("to the group"));
            await().atMost(WAIT).until(() -> alice.sent().size() == 3 && bob.sent().size() == 1);
            alice.browser().screenshot("chat-alice");
            bob.browser().screenshot("chat-bob");
            List<ChatPage.Shown> before = alice.messages();

            // Node A closes (gracefully: GoAway) while bob and carol write to alice and alice writes to bob.
            int count = 10;
            Thread closing = new Thread(a::close, "closing " + a.nodeId());
            closing.start();
            IntStream.range(0, count).forEach(i -> {
                carol.send("alice", "during " + i);
                alice.send("bob", "alice during " + i);
            });
            closing.join(WAIT.toMillis());
            assertThat(closing.isAlive()).isFalse();

            await().atMost(WAIT).until(() -> alice.node().equals(b.nodeId()) && alice.status().equals("connected"));
            await().atMost(WAIT).until(() -> IntStream.range(0, count)
                    .allMatch(i -> alice.texts().contains("during " + i) && bob.texts().contains("alice during " + i)));
            await().atMost(WAIT).until(() -> alice.sent().size() == 3 + count);
            List<ChatPage.Shown> after = alice.messages();
            assertThat(after).as("the history is kept").startsWith(before.toArray(ChatPage.Shown[]::new));
            assertUnique(after);
            assertUnique(bob.messages());
            assertThat(alice.copies().values()).allMatch(n -> n == 1);
            assertThat(bob.copies().values()).allMatch(n -> n == 1);
            alice.browser().screenshot("chat-alice-after-failover");

            // bob goes away (his page closes); alice writes to him; bob comes back in a fresh page and gets them.
            bobBrowser.driver().get("about:blank");
            await().atMost(WAIT).until(() -> b.sessions().find("bob") == null);
            alice.send("bob", "while you were away 1");
            alice.send("bob", "while you were away 2");
            await().atMost(WAIT).until(() -> alice.sent().size() == 3 + count + 2);
            ChatPage bobAgain = new ChatPage(bobBrowser).login(http(b), "bob");
            await().atMost(WAIT).until(() -> bobAgain.texts().containsAll(
                    List.of("while you were away 1", "while you were away 2")));
            assertThat(bobAgain.messages()).as("a fresh page gets only what bob had not acknowledged")
                    .extracting(ChatPage.Shown::text)
                    .containsExactly("while you were away 1", "while you were away 2");
            bobAgain.browser().screenshot("chat-bob-offline-messages");
            copyToDocs(Path.of("target", "screenshots", "chat-alice.png"));
        } finally {
            System.out.printf("browser test took %d ms%n", (System.nanoTime() - started) / 1_000_000);
        }
    }

    @Test
    void aPageWhoseNodeDiesReconnectsToTheOtherAndMissesNothing() throws Exception {
        long started = System.nanoTime();
        try (Cluster cluster = cluster(); Browser aliceBrowser = new Browser()) {
            ChatServer a = cluster.startNode();
            ChatServer b = cluster.startNode();
            awaitListed(aliceBrowser, a, 2);
            ChatPage alice = new ChatPage(aliceBrowser).login(http(a), "alice");
            Recorder carolSeen = new Recorder();
            ChatClient carol = cluster.track(ChatClient.connect(
                    TestTokens.client("127.0.0.1", b.localAddress().getPort()).withReconnect(false),
                    NodeLocator.fixed("127.0.0.1", b.localAddress().getPort()), "carol", carolSeen));
            await().atMost(WAIT).until(() -> carolSeen.count(Envelope.BodyCase.LOGIN_ACK) == 1);
            carol.send("alice", "before the crash");
            await().atMost(WAIT).until(() -> alice.texts().contains("before the crash"));

            a.halt(); // no GoAway, no drain: the page finds out from the dropped connection
            int count = 5;
            IntStream.range(0, count).forEach(i -> {
                carol.send("alice", "after the crash " + i);
                alice.send("carol", "alice after the crash " + i);
            });
            await().atMost(WAIT).until(() -> alice.node().equals(b.nodeId()) && alice.status().equals("connected"));
            await().atMost(WAIT).until(() -> IntStream.range(0, count).allMatch(i ->
                    alice.texts().contains("after the crash " + i)
                            && carolSeen.received("alice after the crash " + i)));
            await().atMost(WAIT).until(() -> alice.sent().size() == count);
            assertThat(alice.messages().get(0).text()).isEqualTo("before the crash");
            assertUnique(alice.messages());
            assertThat(alice.copies().values()).allMatch(n -> n == 1);
            IntStream.range(0, count).forEach(i -> assertThat(carolSeen.frames.stream().filter(f -> f.hasChat()
                    && f.getChat().getContent().equals("alice after the crash " + i)).count()).isEqualTo(1));
            alice.browser().screenshot("chat-alice-after-crash");
        } finally {
            System.out.printf("browser test (halt) took %d ms%n", (System.nanoTime() - started) / 1_000_000);
        }
    }

    @Test
    void withoutTheDevelopmentIssuerThePageAsksForATokenAndUsesAPastedOne() throws Exception {
        ServerConfig config = ServerConfig.forTests().withRedis(redis.uri(), 3_000, 30_000); // issuer off
        try (ChatServer node = ChatServer.start(config); Browser browser = new Browser()) {
            browser.open(http(node) + "/");
            await().atMost(WAIT).until(() -> !browser.driver()
                    .findElements(org.openqa.selenium.By.cssSelector("#node-choice option")).isEmpty());
            var driver = browser.driver();
            driver.findElement(org.openqa.selenium.By.id("uid")).sendKeys("erin");
            driver.findElement(org.openqa.selenium.By.id("login")).click();
            await().atMost(WAIT).until(() -> driver.findElement(org.openqa.selenium.By.id("login-note")).getText()
                    .contains("this node has no development token issuer"));
            assertThat(driver.findElement(org.openqa.selenium.By.id("token")).isDisplayed()).isTrue();
            browser.screenshot("chat-token-needed");
            driver.findElement(org.openqa.selenium.By.id("token")).sendKeys(WsClient.token("erin"));
            driver.findElement(org.openqa.selenium.By.id("login")).click();
            new ChatPage(browser).awaitConnected();
            assertThat(node.sessions().find("erin")).isNotNull();
        }
    }

    /** Waits until the node list served by {@code node} has {@code count} nodes. */
    private static void awaitListed(Browser browser, ChatServer node, int count) {
        await().atMost(WAIT).until(() -> {
            browser.open(http(node) + "/api/nodes");
            return browser.driver().getPageSource().split("\"nodeId\"").length - 1 == count;
        });
    }

    private static void assertUnique(List<ChatPage.Shown> shown) {
        assertThat(shown).extracting(ChatPage.Shown::seq).doesNotHaveDuplicates();
        assertThat(shown).extracting(ChatPage.Shown::msgId).doesNotHaveDuplicates();
    }

    /**
     * The README's screenshot, docs/images/stage8-chat.png (stage9-scale-out/../docs), only when asked for with
     * {@code -Dim.docs.screenshot=true}: an ordinary run must not change a committed file.
     */
    private static void copyToDocs(Path screenshot) throws java.io.IOException {
        Path docs = Path.of("..", "docs", "images");
        if (Boolean.getBoolean("im.docs.screenshot") && Files.isDirectory(docs.getParent())) {
            Files.createDirectories(docs);
            Files.copy(screenshot, docs.resolve("stage8-chat.png"), StandardCopyOption.REPLACE_EXISTING);
        }
    }
}
