package com.example.im.server;

import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.LineBasedFrameDecoder;
import io.netty.handler.codec.string.LineEncoder;
import io.netty.handler.codec.string.LineSeparator;
import io.netty.handler.codec.string.StringDecoder;
import io.netty.handler.flush.FlushConsolidationHandler;
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
        // First of all, nearest the socket: flush consolidation (docs/01-single-node.md, "The pipeline"). Every
        // reply is written with writeAndFlush, and each flush is a write system call. While the connection is
        // reading, this handler holds the flushes back and does one when the read batch ends (channelReadComplete),
        // or after 256 held-back flushes: a client that sent 30 frames gets its 30 replies in one syscall, not 30.
        // A flush outside a read (say, of a message another connection sent) runs as a task later in the same
        // event-loop turn, so every write to this connection in that turn shares it. A close flushes first, so
        // "write, then close" still delivers the frame.
        p.addLast("flush", new FlushConsolidationHandler(256, true));
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
