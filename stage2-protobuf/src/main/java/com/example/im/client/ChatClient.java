package com.example.im.client;

import com.example.im.protocol.ChatMessage;
import com.example.im.protocol.Envelope;
import com.example.im.protocol.Login;
import com.example.im.protocol.Varint32FrameDecoder;
import com.example.im.protocol.Who;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
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
import io.netty.handler.codec.protobuf.ProtobufDecoder;
import io.netty.handler.codec.protobuf.ProtobufEncoder;
import io.netty.handler.codec.protobuf.ProtobufVarint32LengthFieldPrepender;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A programmatic chat client for the protobuf protocol: it writes requests as envelopes and hands every envelope the
 * server sends to a {@link Listener}. {@link ChatConsole} and the tests are built on it.
 */
public final class ChatClient implements AutoCloseable {

    /** Receives what the server says, on the client's I/O thread: do not block in it. */
    public interface Listener {
        void onFrame(Envelope frame);

        default void onClose() {
        }
    }

    /** Server frames can be large (a group message names every member); the cap only guards against a bad server. */
    private static final int MAX_SERVER_FRAME = 1024 * 1024;

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
                                    new Varint32FrameDecoder(MAX_SERVER_FRAME),
                                    new ProtobufDecoder(Envelope.getDefaultInstance()),
                                    new ProtobufVarint32LengthFieldPrepender(),
                                    new ProtobufEncoder(),
                                    new SimpleChannelInboundHandler<Envelope>() {
                                        @Override
                                        protected void channelRead0(ChannelHandlerContext ctx, Envelope frame) {
                                            listener.onFrame(frame);
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

    /** Sends one envelope as it is. */
    public void send(Envelope frame) {
        channel.writeAndFlush(frame);
    }

    /**
     * Writes {@code bytes} exactly as given, past the encoders (no length prefix is added): for tests and tools that
     * need to send what a broken client would.
     */
    public void writeRaw(ByteBuf bytes) {
        channel.pipeline().firstContext().writeAndFlush(bytes);
    }

    public void login(String uid) {
        send(Envelope.newBuilder().setLogin(Login.newBuilder().setUid(uid)).build());
    }

    /** A private message; the server stamps msg_id, from_uid and timestamp. */
    public void send(String toUid, String text) {
        send(Envelope.newBuilder().setChat(ChatMessage.newBuilder().setToUid(toUid).setContent(text)).build());
    }

    /** A group message (the article's 方式二): one frame, every member in to_uid_list. */
    public void sendGroup(List<String> toUids, String text) {
        send(Envelope.newBuilder()
                .setChat(ChatMessage.newBuilder().addAllToUidList(toUids).setContent(text)).build());
    }

    public void who() {
        send(Envelope.newBuilder().setWho(Who.getDefaultInstance()).build());
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
