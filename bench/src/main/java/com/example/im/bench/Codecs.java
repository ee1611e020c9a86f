package com.example.im.bench;

import com.example.im.protocol.ChatMessage;
import com.example.im.protocol.Envelope;
import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.InvalidProtocolBufferException;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufUtil;
import io.netty.util.ByteProcessor;
import java.nio.CharBuffer;
import java.nio.charset.StandardCharsets;

/**
 * The two wire formats, doing per message what their stage's Netty handlers do, without the channel machinery
 * around them (which is the same for both and would only blur the difference):
 * <ul>
 *   <li>text (stage 1): {@code LineEncoder} = UTF-8 encode + "\n"; {@code LineBasedFrameDecoder} = find "\n" and
 *       slice; {@code StringDecoder} = UTF-8 decode; then the client splits the line;</li>
 *   <li>protobuf (stage 2): build the stamped {@code Envelope}; {@code ProtobufEncoder} = serialize;
 *       {@code ProtobufVarint32LengthFieldPrepender} = varint32 length + bytes; {@code Varint32FrameDecoder} = read
 *       the varint and slice; {@code ProtobufDecoder} = parse.</li>
 * </ul>
 * {@link #roundTrip()} returns the decoded message; {@link #lastFrameBytes()} is the size of the frame on the wire.
 */
interface Codecs {

    Object roundTrip();

    int lastFrameBytes();

    /** A message body of exactly {@code bytes} ASCII bytes (what "a 32-byte message" means in the docs). */
    static String content(int bytes) {
        String pattern = "hello bob, see you at 10:30 ok? ";
        StringBuilder sb = new StringBuilder(bytes);
        while (sb.length() < bytes) {
            sb.append(pattern);
        }
        return sb.substring(0, bytes);
    }

    static Codecs of(String format, String content) {
        return switch (format) {
            case "text" -> new Text(content);
            case "protobuf" -> new Protobuf(content);
            default -> throw new IllegalArgumentException("format " + format);
        };
    }

    ByteBufAllocator ALLOC = ByteBufAllocator.DEFAULT;

    /** Stage 1: the server writes "MSG <from> <text>\n"; the client splits lines, decodes UTF-8, parses. */
    final class Text implements Codecs {
        private static final byte[] LF = {'\n'};
        private final String content;
        private int lastBytes;

        Text(String content) {
            this.content = content;
        }

        @Override
        public Object roundTrip() {
            String line = "MSG " + "alice" + " " + content;
            ByteBuf wire = ByteBufUtil.encodeString(ALLOC, CharBuffer.wrap(line), StandardCharsets.UTF_8, 1);
            wire.writeBytes(LF);
            lastBytes = wire.readableBytes();
            try {
                int eol = wire.forEachByte(ByteProcessor.FIND_LF);
                String decoded = wire.toString(wire.readerIndex(), eol - wire.readerIndex(), StandardCharsets.UTF_8);
                return decoded.split(" ", 3); // what stage 1's client does with a line
            } finally {
                wire.release();
            }
        }

        @Override
        public int lastFrameBytes() {
            return lastBytes;
        }
    }

    /** Stage 2: the server stamps and writes an Envelope; the client reads the varint32 frame and parses it. */
    final class Protobuf implements Codecs {
        private final String content;
        private long sequence;
        private int lastBytes;

        Protobuf(String content) {
            this.content = content;
        }

        @Override
        public Object roundTrip() {
            // Everything stage 2's server puts in a private message: id, sender, recipient, time, content.
            Envelope frame = Envelope.newBuilder().setChat(ChatMessage.newBuilder()
                    .setMsgId("1bnzeatnnpmav-" + Long.toString(++sequence, 36))
                    .setFromUid("alice")
                    .setToUid("bob")
                    .setTimestamp(1_790_000_000_000L + sequence)
                    .setContent(content)).build();
            byte[] body = frame.toByteArray();
            int prefix = CodedOutputStream.computeUInt32SizeNoTag(body.length);
            ByteBuf wire = ALLOC.buffer(prefix + body.length);
            try {
                int length = body.length;
                while ((length & ~0x7F) != 0) {
                    wire.writeByte((length & 0x7F) | 0x80);
                    length >>>= 7;
                }
                wire.writeByte(length);
                wire.writeBytes(body);
                lastBytes = wire.readableBytes();

                int size = 0;
                int shift = 0;
                byte b;
                do {
                    b = wire.readByte();
                    size |= (b & 0x7F) << shift;
                    shift += 7;
                } while ((b & 0x80) != 0);
                byte[] array = ByteBufUtil.getBytes(wire, wire.readerIndex(), size, false);
                return Envelope.parser().parseFrom(array, 0, size);
            } catch (InvalidProtocolBufferException e) {
                throw new IllegalStateException(e);
            } finally {
                wire.release();
            }
        }

        @Override
        public int lastFrameBytes() {
            return lastBytes;
        }
    }
}
