package com.example.im.protocol;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.handler.codec.CorruptedFrameException;
import io.netty.handler.codec.TooLongFrameException;
import java.util.List;

/**
 * Splits the byte stream into frames of {@code varint32(length) + length bytes}, the framing of the article and of
 * Netty's {@code ProtobufVarint32FrameDecoder} — plus what that class lacks: a maximum frame length. Without one, a
 * client that announces a 2 GiB frame makes the server wait for (and buffer) 2 GiB (docs/02-protobuf.md).
 *
 * <p>A prefix over the limit raises {@link TooLongFrameException}, a prefix that is not a varint32
 * {@link CorruptedFrameException}; either way the stream can no longer be split, so everything after it is
 * discarded and the handler closes the connection.
 */
public final class Varint32FrameDecoder extends ByteToMessageDecoder {

    private final int maxFrameLength;
    private boolean broken;

    public Varint32FrameDecoder(int maxFrameLength) {
        this.maxFrameLength = maxFrameLength;
    }

    // tag::decode[]
    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        if (broken) {
            in.skipBytes(in.readableBytes());
            return;
        }
        in.markReaderIndex();
        long length = readVarint32(in);
        if (length == NEED_MORE) {
            in.resetReaderIndex();
            return;
        }
        if (length > maxFrameLength) {
            fail(in);
            throw new TooLongFrameException("frame of " + length + " bytes; the limit is " + maxFrameLength);
        }
        if (in.readableBytes() < length) {
            in.resetReaderIndex(); // wait for the rest of the frame
            return;
        }
        out.add(in.readRetainedSlice((int) length));
    }
    // end::decode[]

    private static final long NEED_MORE = -1;

    /** Reads a varint32 (1 to 5 bytes, 7 bits each, low bits first) or returns NEED_MORE. */
    private long readVarint32(ByteBuf in) {
        long value = 0;
        for (int i = 0; i < 5; i++) {
            if (!in.isReadable()) {
                return NEED_MORE;
            }
            byte b = in.readByte();
            value |= (long) (b & 0x7F) << (7 * i);
            if ((b & 0x80) == 0) {
                if (value > Integer.MAX_VALUE) {
                    break;
                }
                return value;
            }
        }
        fail(in);
        throw new CorruptedFrameException("the length prefix is not a valid varint32");
    }

    private void fail(ByteBuf in) {
        broken = true;
        in.skipBytes(in.readableBytes());
    }
}
