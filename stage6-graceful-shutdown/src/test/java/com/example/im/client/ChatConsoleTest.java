package com.example.im.client;

import static org.assertj.core.api.Assertions.assertThat;

import com.example.im.protocol.ChatMessage;
import com.example.im.protocol.Envelope;
import com.example.im.protocol.ErrorCode;
import com.example.im.protocol.Replies;
import java.util.List;
import org.junit.jupiter.api.Test;

class ChatConsoleTest {

    @Test
    void framesArePrintedAsStageOneStyleLines() {
        assertThat(ChatConsole.describe(Replies.loggedIn("alice"))).isEqualTo("OK login alice");
        assertThat(ChatConsole.describe(Replies.sent("m-1", List.of("bob"), List.of("dave"))))
                .isEqualTo("OK sent m-1 to bob (offline: dave)");
        assertThat(ChatConsole.describe(Replies.error(ErrorCode.NOT_LOGGED_IN, "send a login frame first")))
                .isEqualTo("ERR not-logged-in send a login frame first");
        assertThat(ChatConsole.describe(Replies.message(ChatMessage.newBuilder().setFromUid("alice")
                .addAllToUidList(List.of("bob", "carol")).setContent("hi").build())))
                .isEqualTo("MSG alice -> [bob,carol]: hi");
        assertThat(ChatConsole.describe(Envelope.newBuilder().setChat(ChatMessage.newBuilder().setFromUid("bob")
                .setToUid("alice").setContent("yo")).build())).isEqualTo("MSG bob: yo");
    }
}
