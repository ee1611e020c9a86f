package com.example.im.route;

import static org.assertj.core.api.Assertions.assertThat;

import com.example.im.auth.TestTokens;
import com.example.im.protocol.Ack;
import com.example.im.protocol.ChatMessage;
import com.example.im.protocol.Envelope;
import com.example.im.server.ChatServer;
import com.example.im.server.WireFrames;
import com.example.im.testkit.RawSocketClient;
import java.util.List;

/** Frames for the tests that speak the protocol on a raw socket, so that they decide what is sent and acked. */
final class RawProtocol {

    private RawProtocol() {
    }

    /** A raw client logged in as {@code uid} on {@code node}: it acknowledges only when the test says so. */
    static RawSocketClient rawLogin(ChatServer node, String uid, long lastSeq) {
        RawSocketClient raw = RawSocketClient.connect(node.localAddress());
        WireFrames.write(raw, Envelope.newBuilder().setLogin(TestTokens.login(uid).setLastSeq(lastSeq))
                .build());
        assertThat(WireFrames.read(raw).hasLoginAck()).isTrue();
        return raw;
    }

    static Envelope chat(String to, String content, String clientMsgId) {
        return Envelope.newBuilder().setChat(ChatMessage.newBuilder().setToUid(to).setContent(content)
                .setClientMsgId(clientMsgId)).build();
    }

    static Envelope group(List<String> to, String content, String clientMsgId) {
        return Envelope.newBuilder().setChat(ChatMessage.newBuilder().addAllToUidList(to).setContent(content)
                .setClientMsgId(clientMsgId)).build();
    }

    static Envelope ack(long seq) {
        return Envelope.newBuilder().setAck(Ack.newBuilder().setSeq(seq)).build();
    }

    /** The next frame that is a chat message (skips acks and pongs). */
    static ChatMessage nextMessage(RawSocketClient raw) {
        while (true) {
            Envelope frame = WireFrames.read(raw);
            if (frame.hasChat()) {
                return frame.getChat();
            }
        }
    }

    /** The next answer to a send: a SendAck or an error (skips pushes and pongs). */
    static Envelope nextReply(RawSocketClient raw) {
        while (true) {
            Envelope frame = WireFrames.read(raw);
            if (frame.hasSendAck() || frame.hasError()) {
                return frame;
            }
        }
    }
}
