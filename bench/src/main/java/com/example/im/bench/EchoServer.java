package com.example.im.bench;

import com.example.im.protocol.Varint32FrameDecoder;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.protobuf.ProtobufVarint32LengthFieldPrepender;
import java.net.InetSocketAddress;

/**
 * Scenario 1's ceiling: the strongest plain Netty echo. No frame decoder at all: {@code channelRead} writes the
 * buffer it was handed straight back (no copy, no parsing), and the connection is flushed once in
 * {@code channelReadComplete}, after everything that read brought; buffers come from Netty's default (pooled)
 * allocator. Nothing a relay does can be cheaper on the same machine, so "same-node relay ÷ echo" says how much of
 * the machine the chat logic leaves for messages. The bytes come back in order on the connection that sent them, so
 * the load generator reads whole frames as from any server.
 *
 * <p>With {@code flushEachFrame} it is row 1b instead: the stages' framing (varint32 frame decoder and length
 * prepender), and every frame written back and flushed on its own (one socket write per frame, as the stages did
 * before FlushConsolidationHandler), which shows what framing and flushing cost.
 */
final class EchoServer implements AutoCloseable {

    private final LoopbackServer server;

    EchoServer() {
        this(false);
    }

    EchoServer(boolean flushEachFrame) {
        ChannelHandler echo = new Echo(flushEachFrame);
        server = new LoopbackServer("echo", flushEachFrame
                ? p -> p.addLast(new Varint32FrameDecoder(64 * 1024), new ProtobufVarint32LengthFieldPrepender(), echo)
                : p -> p.addLast(echo));
    }

    InetSocketAddress address() {
        return server.address();
    }

    @ChannelHandler.Sharable
    private static final class Echo extends ChannelInboundHandlerAdapter {
        private final boolean flushEachFrame;

        Echo(boolean flushEachFrame) {
            this.flushEachFrame = flushEachFrame;
        }

        /** {@code msg}: the bytes of one read (raw) or one frame (1b); written back, so released by the write. */
        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (flushEachFrame) {
                ctx.writeAndFlush(msg, ctx.voidPromise());
            } else {
                ctx.write(msg, ctx.voidPromise());
            }
        }

        @Override
        public void channelReadComplete(ChannelHandlerContext ctx) {
            if (!flushEachFrame) {
                ctx.flush(); // one flush for everything this read brought
            }
            ctx.fireChannelReadComplete();
        }
    }

    @Override
    public void close() {
        server.close();
    }
}
