package com.example.im.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.example.im.balance.LoadBalancer;
import com.example.im.protocol.ChatMessage;
import com.example.im.protocol.Command;
import com.example.im.protocol.CommandParser;
import com.example.im.protocol.Envelope;
import com.example.im.protocol.ErrorCode;
import com.example.im.protocol.Replies;
import com.example.im.registry.NodeDirectory;
import com.example.im.registry.Registry;
import com.example.im.registry.ZkNodeLocator;
import java.io.BufferedReader;
import java.io.ByteArrayInputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Properties;
import org.junit.jupiter.api.Test;

class ChatConsoleTest {

    @Test
    void framesArePrintedAsStageOneStyleLines() {
        assertThat(ChatConsole.describe(Replies.loggedIn("alice"))).isEqualTo("OK login alice");
        assertThat(ChatConsole.describe(Replies.sent("m-1", List.of("bob"), List.of("dave"))))
                .isEqualTo("OK sent m-1 to bob (offline, stored for their next login: dave)");
        assertThat(ChatConsole.describe(Replies.sent("m-2", List.of(), List.of("bob", "carol"))))
                .isEqualTo("OK sent m-2 to nobody (offline, stored for their next login: bob,carol)");
        assertThat(ChatConsole.describe(Replies.error(ErrorCode.NOT_LOGGED_IN, "send a login frame first")))
                .isEqualTo("ERR not-logged-in send a login frame first");
        assertThat(ChatConsole.describe(Replies.message(ChatMessage.newBuilder().setFromUid("alice")
                .addAllToUidList(List.of("bob", "carol")).setContent("hi").build())))
                .isEqualTo("MSG alice -> [bob,carol]: hi");
        assertThat(ChatConsole.describe(Envelope.newBuilder().setChat(ChatMessage.newBuilder().setFromUid("bob")
                .setToUid("alice").setContent("yo")).build())).isEqualTo("MSG bob: yo");
    }

    @Test
    void aRefusedLoginSaysWhyAndWhatToDo() {
        assertThat(ChatConsole.describe(Replies.error(ErrorCode.UNAUTHENTICATED, "the token expired at X")))
                .startsWith("ERR unauthenticated the token expired at X").contains("--token");
    }

    @Test
    void tokenFlagsChooseTheTokenSource() {
        com.example.im.config.Flags fixed = com.example.im.config.Flags.parse(new String[] {"--token", "v1.x.1.y"},
                ClientConfig.FLAGS);
        assertThat(ClientConfig.fromFlags(fixed).tokens().tokenFor("alice")).isEqualTo("v1.x.1.y");
        com.example.im.config.Flags url = com.example.im.config.Flags.parse(new String[] {"--token-url",
                "http://127.0.0.1:8001/dev/token"}, ClientConfig.FLAGS);
        assertThat(ClientConfig.fromFlags(url).tokens().toString()).contains("/dev/token");
        assertThatThrownBy(() -> ClientConfig.fromFlags(com.example.im.config.Flags.parse(new String[] {"--token",
                "t", "--token-url", "http://x/"}, ClientConfig.FLAGS))).hasMessageContaining("not both");
        assertThatThrownBy(() -> ClientConfig.fromFlags(com.example.im.config.Flags.parse(new String[] {
                "--token-url", "ftp://x/"}, ClientConfig.FLAGS))).hasMessageContaining("--token-url");
    }

    @Test
    void typedLinesAreDecodedInTheConsoleCharsetNotAlwaysUtf8() throws Exception {
        // A Chinese Windows console sends GBK: decoding it as UTF-8 gave "line is not valid UTF-8 text".
        Charset gbk = Charset.forName("GBK");
        Charset chosen = ChatConsole.consoleCharset(gbk, "UTF-8", "UTF-8");
        assertThat(chosen).isEqualTo(gbk);
        BufferedReader typed = ChatConsole.typedLines(
                new ByteArrayInputStream("SEND bob 你好\n".getBytes(gbk)), chosen);
        assertThat(CommandParser.parse(typed.readLine())).isEqualTo(new Command.Send("bob", "你好"));
    }

    @Test
    void withoutAConsoleTheStdoutThenThePlatformEncodingDecides() {
        Charset gbk = Charset.forName("GBK");
        assertThat(ChatConsole.consoleCharset(null, "GBK", "UTF-8")).isEqualTo(gbk);
        assertThat(ChatConsole.consoleCharset(null, null, "GBK")).isEqualTo(gbk);
        assertThat(ChatConsole.consoleCharset(null, "no-such-charset", "GBK")).isEqualTo(gbk);
        assertThat(ChatConsole.consoleCharset(null, null, null)).isEqualTo(Charset.defaultCharset().equals(
                StandardCharsets.US_ASCII) ? StandardCharsets.UTF_8 : Charset.defaultCharset());
        // The POSIX "C" locale names ASCII; UTF-8 reads the same ASCII and also everything else.
        assertThat(ChatConsole.consoleCharset(null, "ANSI_X3.4-1968", null)).isEqualTo(StandardCharsets.UTF_8);
    }

    @Test
    void theConsoleQuietsZooKeeperAndCuratorUnlessTheUserChoseLevels() {
        Properties none = new Properties();
        ChatConsole.quietLibraryLogs(none);
        assertThat(none).containsEntry("org.slf4j.simpleLogger.log.org.apache.zookeeper", "error")
                .containsEntry("org.slf4j.simpleLogger.log.org.apache.curator", "error");

        Properties chosen = new Properties();
        chosen.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "debug");
        ChatConsole.quietLibraryLogs(chosen);
        assertThat(chosen).hasSize(1);
    }

    @Test
    void aZooKeeperThatDoesNotAnswerIsNamedAsTheReasonNoNodeIsKnown() throws Exception {
        int silent;
        try (ServerSocket probe = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            silent = probe.getLocalPort(); // free again once closed: nothing answers there
        }
        try (ZkNodeLocator locator = new ZkNodeLocator(
                new NodeDirectory(Registry.curator("127.0.0.1:" + silent, 10_000)), LoadBalancer.named("random"))) {
            assertThatThrownBy(() -> locator.locate("alice", null))
                    .hasMessage("ZooKeeper does not answer, so no chat node is known yet");
        }
    }
}
