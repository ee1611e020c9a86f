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
 * back, undecoded, one flush per frame like the stages. Nothing a relay does can be cheaper than this on the same
 * machine, so "same-node relay ÷ echo" says how much of the machine the chat logic leaves for messages.
 */
final class EchoServer implements AutoCloseable {

    private final LoopbackServer server;

    EchoServer() {
        ChannelHandler echo = new Echo();
        server = new LoopbackServer("echo", p -> p.addLast(new Varint32FrameDecoder(64 * 1024),
                new ProtobufVarint32LengthFieldPrepender(), echo));
    }

    InetSocketAddress address() {
        return server.address();
    }

    @ChannelHandler.Sharable
    private static final class Echo extends SimpleChannelInboundHandler<ByteBuf> {
        Echo() {
            super(false); // the frame is written back, so not released here
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, ByteBuf frame) {
            ctx.writeAndFlush(frame, ctx.voidPromise());
        }
    }

    @Override
    public void close() {
        server.close();
    }
}
