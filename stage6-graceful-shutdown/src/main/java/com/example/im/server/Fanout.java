package com.example.im.server;

import com.example.im.protocol.Envelope;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import java.util.List;

/** One frame to many connections, encoded once (docs/02-protobuf.md, "Group chat"). */
public final class Fanout {

    private Fanout() {
    }

    /** Writes {@code frame} to every channel; N recipients cost one protobuf encoding, not N. */
    public static void write(List<Channel> channels, Envelope frame) {
        if (channels.size() == 1) {
            channels.get(0).writeAndFlush(frame);
            return;
        }
        ByteBuf encoded = Unpooled.wrappedBuffer(frame.toByteArray());
        try {
            for (Channel channel : channels) {
                channel.writeAndFlush(encoded.retainedDuplicate());
            }
        } finally {
            encoded.release();
        }
    }
}
