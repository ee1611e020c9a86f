package com.example.im.client;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.LineBasedFrameDecoder;
import io.netty.handler.codec.string.LineEncoder;
import io.netty.handler.codec.string.LineSeparator;
import io.netty.handler.codec.string.StringDecoder;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

/**
 * A programmatic chat client for the stage-1 text protocol: it writes commands as lines and hands every line the
 * server sends to a {@link Listener}. {@link ChatConsole} and the tests are built on it.
 */
public final class ChatClient implements AutoCloseable {

    /** Receives what the server says, on the client's I/O thread: do not block in it. */
    public interface Listener {
        void onLine(String line);

        default void onClose() {
        }
    }

    /** Server lines can be long (WHO, a 4 KiB message plus its header); the cap only guards against a bad server. */
    private static final int MAX_SERVER_LINE = 64 * 1024;

    private final EventLoopGroup group;
    private final Channel channel;

    private ChatClient(EventLoopGroup group, Channel channel) {
        this.group = group;
        this.channel = channel;
    }

    public static ChatClient connect(String host, int port, Listener listener) throws InterruptedException {
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, new DefaultThreadFactory("im-client"),
                NioIoHandler.newFactory());
        try {
            ChannelFuture connected = new Bootstrap()
                    .group(group)
                    .channel(NioSocketChannel.class)
                    .option(ChannelOption.TCP_NODELAY, true)
                    .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, 5_000)
                    .handler(new ChannelInitializer<SocketChannel>() {
                        @Override
                        protected void initChannel(SocketChannel ch) {
                            ch.pipeline().addLast(
                                    new LineBasedFrameDecoder(MAX_SERVER_LINE),
                                    new StringDecoder(StandardCharsets.UTF_8),
                                    new LineEncoder(LineSeparator.UNIX, StandardCharsets.UTF_8),
                                    new SimpleChannelInboundHandler<String>() {
                                        @Override
                                        protected void channelRead0(ChannelHandlerContext ctx, String line) {
                                            listener.onLine(line);
                                        }

                                        @Override
                                        public void channelInactive(ChannelHandlerContext ctx) {
                                            listener.onClose();
                                        }
                                    });
                        }
                    })
                    .connect(host, port)
                    .sync();
            return new ChatClient(group, connected.channel());
        } catch (InterruptedException | RuntimeException e) {
            group.shutdownGracefully(0, 0, TimeUnit.SECONDS);
            throw e;
        }
    }

    /** Sends one line as typed (the server parses it). */
    public void sendLine(String line) {
        channel.writeAndFlush(line);
    }

    public void login(String uid) {
        sendLine("LOGIN " + uid);
    }

    public void send(String toUid, String text) {
        sendLine("SEND " + toUid + " " + text);
    }

    public void who() {
        sendLine("WHO");
    }

    public void quit() {
        sendLine("QUIT");
    }

    public boolean isOpen() {
        return channel.isActive();
    }

    /** Closes the connection and the client's thread; returns when both are done. Safe to call twice. */
    @Override
    public void close() {
        if (group.isShuttingDown()) {
            group.terminationFuture().syncUninterruptibly();
            return;
        }
        channel.close().syncUninterruptibly();
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }
}
