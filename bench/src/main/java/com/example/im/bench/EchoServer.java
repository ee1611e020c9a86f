package com.example.im.bench;

import com.example.im.protocol.Varint32FrameDecoder;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.protobuf.ProtobufVarint32LengthFieldPrepender;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;

/**
 * Scenario 1's ceiling: a raw Netty server with the stages' framing and threading (one boss, 2 x cores workers,
 * TCP_NODELAY) that writes every frame straight back, undecoded. Nothing a relay does can be cheaper than this on
 * the same machine, so "same-node relay ÷ echo" says how much of the machine the chat logic leaves for messages.
 */
final class EchoServer implements AutoCloseable {

    private final EventLoopGroup boss;
    private final EventLoopGroup workers;
    private final Channel channel;

    EchoServer() {
        boss = new MultiThreadIoEventLoopGroup(1, new DefaultThreadFactory("echo-boss", true),
                NioIoHandler.newFactory());
        workers = new MultiThreadIoEventLoopGroup(0, new DefaultThreadFactory("echo-worker", true),
                NioIoHandler.newFactory());
        ChannelHandler echo = new Echo();
        channel = new ServerBootstrap()
                .group(boss, workers)
                .channel(NioServerSocketChannel.class)
                .option(ChannelOption.SO_BACKLOG, 1024)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childHandler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        ch.pipeline().addLast(new Varint32FrameDecoder(64 * 1024),
                                new ProtobufVarint32LengthFieldPrepender(), echo);
                    }
                })
                .bind("127.0.0.1", 0)
                .syncUninterruptibly()
                .channel();
    }

    InetSocketAddress address() {
        return (InetSocketAddress) channel.localAddress();
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
        channel.close().syncUninterruptibly();
        boss.shutdownGracefully(0, 1, TimeUnit.SECONDS);
        workers.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }
}
