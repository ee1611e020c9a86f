package com.example.im.server;

import com.example.im.config.Flags;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A single chat server: accepts TCP connections and relays messages between logged-in users
 * (docs/01-single-node.md). Start it with {@link #start(ServerConfig)}; {@link #close()} returns once it has stopped.
 */
public final class ChatServer implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(ChatServer.class);

    private final EventLoopGroup boss;
    private final EventLoopGroup workers;
    private final Channel serverChannel;
    private final SessionMap sessions;

    private ChatServer(EventLoopGroup boss, EventLoopGroup workers, Channel serverChannel, SessionMap sessions) {
        this.boss = boss;
        this.workers = workers;
        this.serverChannel = serverChannel;
        this.sessions = sessions;
    }

    // tag::start[]
    public static ChatServer start(ServerConfig config) throws InterruptedException {
        // One thread accepts connections; the workers (2 x cores by default) run every connection's pipeline.
        EventLoopGroup boss = new MultiThreadIoEventLoopGroup(1, new DefaultThreadFactory("im-boss"),
                NioIoHandler.newFactory());
        EventLoopGroup workers = new MultiThreadIoEventLoopGroup(0, new DefaultThreadFactory("im-worker"),
                NioIoHandler.newFactory());
        SessionMap sessions = new SessionMap();
        MessageIds ids = new MessageIds();
        try {
            Channel serverChannel = new ServerBootstrap()
                    .group(boss, workers)
                    .channel(NioServerSocketChannel.class)
                    .option(ChannelOption.SO_BACKLOG, 1024)
                    .childOption(ChannelOption.TCP_NODELAY, true)
                    // Past 64 KiB waiting to be written a connection turns unwritable; SlowReaderHandler times that.
                    .childOption(ChannelOption.WRITE_BUFFER_WATER_MARK, SlowReaderHandler.WATER_MARK)
                    .childHandler(new ChatServerInitializer(sessions, config, ids))
                    .bind(config.host(), config.port())
                    .sync()
                    .channel();
            ChatServer server = new ChatServer(boss, workers, serverChannel, sessions);
            log.info("chat server listening on {}", server.localAddress());
            return server;
        } catch (InterruptedException | RuntimeException e) {
            boss.shutdownGracefully(0, 0, TimeUnit.SECONDS);
            workers.shutdownGracefully(0, 0, TimeUnit.SECONDS);
            throw e;
        }
    }
    // end::start[]

    /** The address actually bound (with the real port when the config asked for port 0). */
    public InetSocketAddress localAddress() {
        return (InetSocketAddress) serverChannel.localAddress();
    }

    public SessionMap sessions() {
        return sessions;
    }

    /** Stops accepting, closes every connection, stops the threads; returns when all of that is done. */
    @Override
    public void close() {
        serverChannel.close().syncUninterruptibly();
        // Shutting the workers down closes every connection they own (each runs channelInactive, so sessions go).
        boss.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
        workers.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
        log.info("chat server stopped");
    }

    public static void main(String[] args) throws InterruptedException {
        ServerConfig config;
        try {
            Flags flags = Flags.parse(args, ServerConfig.flagNames());
            if (flags.help()) {
                System.out.println(ServerConfig.USAGE);
                return;
            }
            config = ServerConfig.fromFlags(flags);
        } catch (IllegalArgumentException e) {
            System.err.println("error: " + e.getMessage());
            System.err.println(ServerConfig.USAGE);
            System.exit(2);
            return;
        }
        ChatServer server = start(config);
        InetSocketAddress address = server.localAddress();
        System.out.printf("Chat server on %s:%d (protobuf frames). Chat with it from two terminals:%n"
                        + "  java -cp stage3-heartbeat/target/stage3-heartbeat.jar com.example.im.client.ChatConsole"
                        + " --port %d%n  then type: LOGIN alice  /  SEND bob hello  /  GROUP bob,carol hi all  /  HELP%n"
                        + "Ctrl-C stops the server.%n",
                address.getHostString(), address.getPort(), address.getPort());
        Runtime.getRuntime().addShutdownHook(new Thread(server::close, "shutdown"));
        server.serverChannel.closeFuture().sync();
    }
}
