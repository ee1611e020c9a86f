package com.example.im.bench;

import com.example.im.protocol.ChatMessage;
import com.example.im.protocol.Envelope;
import com.google.protobuf.ByteString;
import com.google.protobuf.CodedInputStream;
import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.UnknownFieldSet;
import com.google.protobuf.WireFormat;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import java.io.IOException;
import java.util.Locale;

/**
 * The three stage 7 additions to the wire format a stage 7 client needs (stage7-reliable-delivery's chat.proto):
 * {@code ChatMessage.client_msg_id} (8) on sends, {@code ChatMessage.seq} (9) on pushes and the {@code Ack} frame
 * ({@code Envelope.ack}, 11). Bench is compiled against stage 6's classes (stages share class names, so it can
 * depend on one stage only; scenarios 1-9 measure stage 6 in-process), and stage 7's schema is stage 6's plus new
 * fields: these few fields are written and read here by number.
 */
final class Stage7Wire {

    static final int CLIENT_MSG_ID = 8;  // ChatMessage.client_msg_id
    static final int SEQ = 9;            // ChatMessage.seq
    static final int ENVELOPE_ACK = 11;  // Envelope.ack
    static final int ACK_SEQ = 1;        // Ack.seq

    private Stage7Wire() {
    }

    /** A client_msg_id of {@link Load#STAMP_DIGITS} digits, so every frame of a template has one size. */
    static String clientMsgId(long n) {
        return String.format(Locale.ROOT, "c%0" + Load.STAMP_DIGITS + "d", n);
    }

    /** {@code frame}'s chat with client_msg_id {@code id} (field 8, unknown to stage 6's classes, written as such). */
    static Envelope withClientMsgId(Envelope frame, String id) {
        ChatMessage chat = frame.getChat().toBuilder().mergeUnknownFields(UnknownFieldSet.newBuilder()
                .addField(CLIENT_MSG_ID, UnknownFieldSet.Field.newBuilder()
                        .addLengthDelimited(ByteString.copyFromUtf8(id)).build())
                .build()).build();
        return frame.toBuilder().setChat(chat).build();
    }

    /** A length-prefixed {@code Envelope{ack: Ack{seq}}} frame. */
    static ByteBuf ack(ByteBufAllocator alloc, long seq) {
        int ackSize = CodedOutputStream.computeInt64Size(ACK_SEQ, seq);
        int envelopeSize = CodedOutputStream.computeTagSize(ENVELOPE_ACK)
                + CodedOutputStream.computeUInt32SizeNoTag(ackSize) + ackSize;
        byte[] bytes = new byte[CodedOutputStream.computeUInt32SizeNoTag(envelopeSize) + envelopeSize];
        CodedOutputStream out = CodedOutputStream.newInstance(bytes);
        try {
            out.writeUInt32NoTag(envelopeSize);
            out.writeTag(ENVELOPE_ACK, WireFormat.WIRETYPE_LENGTH_DELIMITED);
            out.writeUInt32NoTag(ackSize);
            out.writeInt64(ACK_SEQ, seq);
            out.checkNoSpaceLeft();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        return alloc.buffer(bytes.length).writeBytes(bytes);
    }

    private static final int CHAT_TAG = Envelope.CHAT_FIELD_NUMBER << 3 | WireFormat.WIRETYPE_LENGTH_DELIMITED;
    private static final int CONTENT_TAG =
            ChatMessage.CONTENT_FIELD_NUMBER << 3 | WireFormat.WIRETYPE_LENGTH_DELIMITED;
    private static final int SEQ_TAG = SEQ << 3 | WireFormat.WIRETYPE_VARINT;

    /**
     * As {@link Load#chatStamp}, for a pushed stage 7 message: its stamp (or -1 if it is not a stamped chat), and its
     * seq in {@code seq[0]} (0 if it has none). Reads the whole chat: the seq comes after the content.
     */
    static long chatStampAndSeq(CodedInputStream in, long[] seq) throws IOException {
        seq[0] = 0;
        if (in.readTag() != CHAT_TAG) {
            return -1;
        }
        in.pushLimit(in.readRawVarint32());
        long stamp = -1;
        for (int tag = in.readTag(); tag != 0; tag = in.readTag()) {
            if (tag == SEQ_TAG) {
                seq[0] = in.readInt64();
            } else if (tag == CONTENT_TAG) {
                int length = in.readRawVarint32();
                int digits = 0;
                long value = 0;
                for (byte b; digits < Math.min(length, Load.STAMP_DIGITS)
                        && (b = in.readRawByte()) >= '0' && b <= '9'; digits++) {
                    value = value * 10 + (b - '0');
                }
                // the rest of the content (a non-digit read above counts as read)
                int read = digits < Math.min(length, Load.STAMP_DIGITS) ? digits + 1 : digits;
                in.skipRawBytes(length - read);
                stamp = digits == 0 ? -1 : value;
            } else {
                in.skipField(tag);
            }
        }
        return stamp;
    }
}
