package com.example.im.server;

import com.example.im.protocol.Envelope;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import java.util.ArrayList;
import java.util.List;

/** One frame to many connections, encoded once (docs/02-protobuf.md, "Group chat, 方式二"). */
public final class Fanout {

    private Fanout() {
    }

    /**
     * Writes {@code frame} to every channel; N recipients cost one protobuf encoding, not N. Returns each write's
     * future, in the order of {@code channels}: done once the bytes are in the socket (or the write failed).
     */
    public static List<ChannelFuture> write(List<Channel> channels, Envelope frame) {
        if (channels.size() == 1) {
            return List.of(channels.get(0).writeAndFlush(frame));
        }
        List<ChannelFuture> writes = new ArrayList<>(channels.size());
        ByteBuf encoded = Unpooled.wrappedBuffer(frame.toByteArray());
        try {
            for (Channel channel : channels) {
                writes.add(channel.writeAndFlush(encoded.retainedDuplicate()));
            }
        } finally {
            encoded.release();
        }
        return writes;
    }
}
