package com.example.im.bench;

import static org.assertj.core.api.Assertions.assertThat;

import com.example.im.protocol.ChatMessage;
import com.google.protobuf.CodedInputStream;
import com.example.im.protocol.Envelope;
import com.example.im.protocol.ErrorCode;
import com.example.im.protocol.ErrorReply;
import com.example.im.protocol.Format;
import com.example.im.protocol.LoginAck;
import com.example.im.protocol.Pong;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufInputStream;
import io.netty.buffer.PooledByteBufAllocator;
import java.io.IOException;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The load generator's shortcuts on the wire: what it sends and what it reads must be what the .proto says. */
class LoadTest {

    private static final long[] STAMPS = {0, 7, 42, 1_234_567_890_123L, Long.MAX_VALUE};
    private static final int[] SIZES = {1, 19, 20, 21, 32, 1000};

    /** A frame from {@code template}, stamped, parsed back with the generated parser (length prefix included). */
    private static Envelope sent(Load.Template template, long stamp) throws IOException {
        ByteBuf frame = template.frame(PooledByteBufAllocator.DEFAULT, stamp);
        try {
            Envelope envelope = Envelope.parseDelimitedFrom(new ByteBufInputStream(frame));
            assertThat(frame.isReadable()).as("bytes after the frame").isFalse();
            return envelope;
        } finally {
            frame.release();
        }
    }

    @Test
    void aPatchedTemplateIsTheChatFrameWithThatStamp() throws IOException {
        for (int size : SIZES) {
            Load.Template template = new Load.Template(Load.chat("bob", 0, size));
            for (long stamp : STAMPS) {
                ChatMessage chat = sent(template, stamp).getChat();

                assertThat(chat.getToUid()).isEqualTo("bob");
                assertThat(chat.getContent()).isEqualTo(Load.content(stamp, size))
                        .hasSize(Math.max(size, Load.STAMP_DIGITS + 1))
                        .startsWith(String.format("%019d ", stamp));
                assertThat(Long.parseLong(chat.getContent().substring(0, Load.STAMP_DIGITS))).isEqualTo(stamp);
            }
        }
    }

    @Test
    void aPatchedGroupTemplateKeepsEveryRecipient() throws IOException {
        List<String> members = List.of("m1", "m2", "m3");
        Load.Template template = new Load.Template(Load.group(members, 0, 32));

        ChatMessage chat = sent(template, 99).getChat();

        assertThat(chat.getToUidListList()).isEqualTo(members);
        assertThat(chat.getContent()).isEqualTo(Load.content(99, 32));
    }

    @Test
    void theFastReadFindsTheStampOfAChatTheServerStamped() throws IOException {
        for (int size : SIZES) {
            for (long stamp : STAMPS) {
                Envelope delivered = Envelope.newBuilder().setChat(ChatMessage.newBuilder()
                        .setMsgId("node-1-42").setFromUid("alice").setToUid("bob").setFormat(Format.IMAGE)
                        .setTimestamp(1_790_000_000_000L).setContent(Load.content(stamp, size))).build();

                assertThat(chatStamp(delivered)).as("size %d, stamp %d", size, stamp).isEqualTo(stamp);
            }
        }
    }

    @Test
    void everyOtherFrameIsLeftToTheFullDecode() throws IOException {
        assertThat(chatStamp(Envelope.newBuilder().setLoginAck(LoginAck.newBuilder().setUid("123")).build()))
                .isEqualTo(-1);
        assertThat(chatStamp(Envelope.newBuilder().setError(ErrorReply.newBuilder().setCode(ErrorCode.OFFLINE)
                .setText("123 offline")).build())).isEqualTo(-1);
        assertThat(chatStamp(Envelope.newBuilder().setPong(Pong.newBuilder().setPingSentAt(123)).build()))
                .isEqualTo(-1);
        assertThat(chatStamp(Envelope.newBuilder().setChat(ChatMessage.newBuilder().setToUid("123")
                .setContent("hello")).build())).as("a chat with no stamp").isEqualTo(-1);
    }

    private static long chatStamp(Envelope frame) throws IOException {
        return Load.chatStamp(CodedInputStream.newInstance(frame.toByteArray()));
    }
}
