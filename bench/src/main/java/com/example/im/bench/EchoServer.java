package com.example.im.bench;

import com.example.im.protocol.Varint32FrameDecoder;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.protobuf.ProtobufVarint32LengthFieldPrepender;
import java.net.InetSocketAddress;

/**
 * Scenario 1's ceiling: a raw Netty server with the stages' framing and threading that writes every frame straight
 * back, undecoded. Nothing a relay does can be cheaper than this on the same machine, so "same-node relay ÷ echo"
 * says how much of the machine the chat logic leaves for messages.
 *
 * <p>By default it is the strongest plain echo: each frame is written in {@code channelRead} without a flush, and the
 * connection is flushed once in {@code channelReadComplete}, after every frame of that read; buffers come from
 * Netty's default (pooled) allocator. With {@code flushEachFrame} it flushes every frame as it writes it (one
 * socket write per frame, like the stages): row 1b, which shows what flushing alone costs.
 */
final class EchoServer implements AutoCloseable {

    private final LoopbackServer server;

    EchoServer() {
        this(false);
    }

    EchoServer(boolean flushEachFrame) {
        ChannelHandler echo = new Echo(flushEachFrame);
        server = new LoopbackServer("echo", p -> p.addLast(new Varint32FrameDecoder(64 * 1024),
                new ProtobufVarint32LengthFieldPrepender(), echo));
    }

    InetSocketAddress address() {
        return server.address();
    }

    @ChannelHandler.Sharable
    private static final class Echo extends SimpleChannelInboundHandler<ByteBuf> {
        private final boolean flushEachFrame;

        Echo(boolean flushEachFrame) {
            super(false); // the frame is written back, so not released here
            this.flushEachFrame = flushEachFrame;
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, ByteBuf frame) {
            if (flushEachFrame) {
                ctx.writeAndFlush(frame, ctx.voidPromise());
            } else {
                ctx.write(frame, ctx.voidPromise());
            }
        }

        @Override
        public void channelReadComplete(ChannelHandlerContext ctx) {
            if (!flushEachFrame) {
                ctx.flush(); // one flush for every frame of this read
            }
            ctx.fireChannelReadComplete();
        }
    }

    @Override
    public void close() {
        server.close();
    }
}
