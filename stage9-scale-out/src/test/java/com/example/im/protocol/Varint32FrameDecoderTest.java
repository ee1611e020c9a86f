package com.example.im.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.CorruptedFrameException;
import io.netty.handler.codec.TooLongFrameException;
import org.junit.jupiter.api.Test;

class Varint32FrameDecoderTest {

    private static ByteBuf bytes(int... values) {
        ByteBuf buf = Unpooled.buffer();
        for (int v : values) {
            buf.writeByte(v);
        }
        return buf;
    }

    private static String read(EmbeddedChannel ch) {
        ByteBuf frame = ch.readInbound();
        try {
            return frame.toString(java.nio.charset.StandardCharsets.US_ASCII);
        } finally {
            frame.release();
        }
    }

    @Test
    void splitsFramesWhateverTheReadBoundaries() {
        EmbeddedChannel ch = new EmbeddedChannel(new Varint32FrameDecoder(1000));
        ch.writeInbound(bytes(2, 'h'));
        assertThat((Object) ch.readInbound()).isNull();
        ch.writeInbound(bytes('i', 0, 3, 'a', 'b'));
        assertThat(read(ch)).isEqualTo("hi");
        assertThat(read(ch)).isEmpty(); // a zero-length frame is a frame (an empty Envelope)
        ch.writeInbound(bytes('c'));
        assertThat(read(ch)).isEqualTo("abc");
        assertThat(ch.finish()).isFalse();
    }

    @Test
    void readsMultiByteLengthPrefixes() {
        EmbeddedChannel ch = new EmbeddedChannel(new Varint32FrameDecoder(1000));
        ByteBuf frame = Unpooled.buffer().writeByte(0xAC).writeByte(0x02); // 300
        frame.writeBytes(new byte[300]);
        ch.writeInbound(frame);
        ByteBuf out = ch.readInbound();
        assertThat(out.readableBytes()).isEqualTo(300);
        out.release();
    }

    @Test
    void aPrefixOverTheLimitFailsAtOnceWithoutWaitingForTheBody() {
        EmbeddedChannel ch = new EmbeddedChannel(new Varint32FrameDecoder(100));
        assertThatThrownBy(() -> ch.writeInbound(bytes(101)))
                .isInstanceOf(TooLongFrameException.class)
                .hasMessage("frame of 101 bytes; the limit is 100");
        // Whatever follows is discarded, not parsed as a frame.
        ch.writeInbound(bytes(1, 'x'));
        assertThat((Object) ch.readInbound()).isNull();
    }

    @Test
    void aPrefixThatIsNotAVarint32IsCorrupted() {
        EmbeddedChannel ch = new EmbeddedChannel(new Varint32FrameDecoder(100));
        assertThatThrownBy(() -> ch.writeInbound(bytes(0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01)))
                .isInstanceOf(CorruptedFrameException.class);
    }
}
