package com.example.im.server;

import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.LineBasedFrameDecoder;
import io.netty.handler.codec.string.LineEncoder;
import io.netty.handler.codec.string.LineSeparator;
import io.netty.handler.codec.string.StringDecoder;
import java.nio.charset.StandardCharsets;

/**
 * The pipeline of every accepted connection (docs/01-single-node.md, "The pipeline"). Typed as
 * {@code ChannelInitializer<Channel>} so that handler tests can install the very same pipeline on an
 * {@code EmbeddedChannel}.
 */
public final class ChatServerInitializer extends ChannelInitializer<Channel> {

    private final SessionMap sessions;
    private final int maxLineLength;

    public ChatServerInitializer(SessionMap sessions, int maxLineLength) {
        this.sessions = sessions;
        this.maxLineLength = maxLineLength;
    }

    // tag::pipeline[]
    @Override
    protected void initChannel(Channel ch) {
        ChannelPipeline p = ch.pipeline();
        // Inbound: bytes -> one frame per line (at most maxLineLength bytes; failFast reports an overlong line as soon
        // as it passes the limit instead of buffering it all) -> String.
        p.addLast("framer", new LineBasedFrameDecoder(maxLineLength, true, true));
        p.addLast("decoder", new StringDecoder(StandardCharsets.UTF_8));
        // Outbound: String -> bytes + "\n".
        p.addLast("encoder", new LineEncoder(LineSeparator.UNIX, StandardCharsets.UTF_8));
        p.addLast("handler", new ChatServerHandler(sessions, maxLineLength));
    }
    // end::pipeline[]
}
