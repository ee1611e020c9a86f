package com.example.im.server;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.DuplexChannel;
import io.netty.util.ReferenceCountUtil;
import java.util.concurrent.TimeUnit;

/**
 * Hangs up on a connection whose framing is broken without losing the last frame it is sent (the error that says
 * why). Closing a socket that still has unread bytes makes the kernel send a reset (RST) instead of a normal end, and
 * a reset can wipe the error frame from the client's receive buffer before the client reads it: the client then sees
 * "connection reset" and never learns what it did wrong. So the server writes the error, ends its own direction
 * (a FIN, {@code shutdownOutput}), reads and throws away whatever the client is still sending, and closes when the
 * client hangs up or after {@link #LINGER_MILLIS} — the "lingering close" HTTP servers use for the same reason.
 */
final class LingeringClose {

    /** How long a broken connection may keep sending after its error before it is closed for good. */
    static final long LINGER_MILLIS = 2_000;

    private LingeringClose() {
    }

    /** Writes {@code lastFrame}, then ends the connection as described above. */
    static void after(ChannelHandlerContext ctx, Object lastFrame) {
        Channel channel = ctx.channel();
        com.example.im.web.WebSocketEnvelopeCodec ws =
                channel.pipeline().get(com.example.im.web.WebSocketEnvelopeCodec.class);
        if (ws != null) {
            // Stage 8: a WebSocket says why in a close frame too, and lingers the same way (docs/08-web-edge.md,
            // "One envelope, two encodings").
            ws.hangUp(channel, lastFrame, lastFrame instanceof com.example.im.protocol.Envelope envelope
                    && envelope.hasError() ? envelope.getError().getCode().name() : "closing");
            return;
        }
        if (channel.pipeline().get(Discard.class) != null) {
            // Already lingering (the decoder complained again about bytes it still held): nothing more to say.
            ReferenceCountUtil.release(lastFrame);
            return;
        }
        // First in the pipeline: from now on no byte reaches the decoders, which cannot find frames any more.
        channel.pipeline().addFirst(new Discard());
        channel.writeAndFlush(lastFrame).addListener(written -> {
            if (written.isSuccess() && channel instanceof DuplexChannel duplex) {
                duplex.shutdownOutput();
                channel.eventLoop().schedule(() -> channel.close(), LINGER_MILLIS, TimeUnit.MILLISECONDS);
            } else {
                channel.close();
            }
        });
    }

    /** Releases every inbound buffer; the channel closes itself when the client ends its side (end of input). */
    private static final class Discard extends ChannelInboundHandlerAdapter {
        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ReferenceCountUtil.release(msg);
        }
    }
}
