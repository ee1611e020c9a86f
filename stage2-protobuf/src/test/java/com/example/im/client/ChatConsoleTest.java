package com.example.im.client;

import static org.assertj.core.api.Assertions.assertThat;

import com.example.im.protocol.ChatMessage;
import com.example.im.protocol.Command;
import com.example.im.protocol.CommandParser;
import com.example.im.protocol.Envelope;
import com.example.im.protocol.ErrorCode;
import com.example.im.protocol.Replies;
import java.io.BufferedReader;
import java.io.ByteArrayInputStream;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

class ChatConsoleTest {

    @Test
    void framesArePrintedAsStageOneStyleLines() {
        assertThat(ChatConsole.describe(Replies.loggedIn("alice"))).isEqualTo("OK login alice");
        assertThat(ChatConsole.describe(Replies.sent("m-1", List.of("bob"), List.of("dave"))))
                .isEqualTo("OK sent m-1 to bob (offline: dave)");
        assertThat(ChatConsole.describe(Replies.sent("m-2", List.of(), List.of("bob", "carol"))))
                .isEqualTo("OK sent m-2 to nobody (offline: bob,carol)");
        assertThat(ChatConsole.describe(Replies.error(ErrorCode.NOT_LOGGED_IN, "send a login frame first")))
                .isEqualTo("ERR not-logged-in send a login frame first");
        assertThat(ChatConsole.describe(Replies.message(ChatMessage.newBuilder().setFromUid("alice")
                .addAllToUidList(List.of("bob", "carol")).setContent("hi").build())))
                .isEqualTo("MSG alice -> [bob,carol]: hi");
        assertThat(ChatConsole.describe(Envelope.newBuilder().setChat(ChatMessage.newBuilder().setFromUid("bob")
                .setToUid("alice").setContent("yo")).build())).isEqualTo("MSG bob: yo");
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
}
