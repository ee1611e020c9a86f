package com.example.im.bench;

import static org.assertj.core.api.Assertions.assertThat;

import com.example.im.protocol.ChatMessage;
import com.example.im.protocol.Envelope;
import com.google.protobuf.ByteString;
import com.google.protobuf.CodedInputStream;
import com.google.protobuf.UnknownFieldSet;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufInputStream;
import io.netty.buffer.PooledByteBufAllocator;
import java.io.IOException;
import org.junit.jupiter.api.Test;

/**
 * The stage 7 fields the load generator writes and reads by number (bench is compiled against stage 6's classes):
 * parsed back here with the generated stage 6 parser, where stage 7's fields are unknown fields of those numbers.
 * Scenario 10's run against a stage 7 node checks the rest (a malformed ack or client_msg_id is answered with an
 * error frame, which fails the run).
 */
class Stage7WireTest {

    @Test
    void aTemplateWithAClientMsgIdCarriesEachMessagesOwnIdAndStamp() throws IOException {
        for (int size : new int[] {1, 20, 32, 1000}) {
            Load.Template template = new Load.Template(Load.chat("bob", 0, size), true);
            assertThat(template.hasClientMsgId()).isTrue();
            ByteBuf frame = template.frame(PooledByteBufAllocator.DEFAULT, 1_234_567L, 42);
            try {
                Envelope sent = Envelope.parseDelimitedFrom(new ByteBufInputStream(frame));
                ChatMessage chat = sent.getChat();
                assertThat(chat.getToUid()).isEqualTo("bob");
                assertThat(chat.getContent()).isEqualTo(Load.content(1_234_567L, size));
                assertThat(chat.getUnknownFields().getField(Stage7Wire.CLIENT_MSG_ID).getLengthDelimitedList())
                        .containsExactly(ByteString.copyFromUtf8("c0000000000000000042"));
            } finally {
                frame.release();
            }
        }
        assertThat(new Load.Template(Load.chat("bob", 0, 32)).hasClientMsgId()).isFalse();
    }

    @Test
    void aPushedMessageGivesItsStampAndSeq() throws IOException {
        long[] seq = new long[1];
        for (long s : new long[] {1, 300, 1L << 40}) {
            ChatMessage pushed = ChatMessage.newBuilder().setMsgId("m1").setFromUid("alice").setToUid("bob")
                    .setContent(Load.content(987_654_321L, 32)).setTimestamp(5)
                    .setUnknownFields(UnknownFieldSet.newBuilder().addField(Stage7Wire.SEQ,
                            UnknownFieldSet.Field.newBuilder().addVarint(s).build()).build())
                    .build();
            byte[] bytes = Envelope.newBuilder().setChat(pushed).build().toByteArray();
            assertThat(Stage7Wire.chatStampAndSeq(CodedInputStream.newInstance(bytes), seq)).isEqualTo(987_654_321L);
            assertThat(seq[0]).isEqualTo(s);
        }
        byte[] noStamp = Envelope.newBuilder().setChat(ChatMessage.newBuilder().setContent("hello")).build()
                .toByteArray();
        assertThat(Stage7Wire.chatStampAndSeq(CodedInputStream.newInstance(noStamp), seq)).isEqualTo(-1);
    }

    @Test
    void anAckFrameIsAnEnvelopeWithAckSeq() throws IOException {
        for (long s : new long[] {0, 1, 127, 128, 1L << 40}) {
            ByteBuf frame = Stage7Wire.ack(PooledByteBufAllocator.DEFAULT, s);
            try {
                Envelope ack = Envelope.parseDelimitedFrom(new ByteBufInputStream(frame));
                assertThat(frame.isReadable()).as("bytes after the frame").isFalse();
                ByteString body = ack.getUnknownFields().getField(Stage7Wire.ENVELOPE_ACK).getLengthDelimitedList()
                        .get(0);
                UnknownFieldSet fields = UnknownFieldSet.parseFrom(body);
                assertThat(fields.getField(Stage7Wire.ACK_SEQ).getVarintList()).containsExactly(s);
            } finally {
                frame.release();
            }
        }
    }
}
