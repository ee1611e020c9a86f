package com.example.im.bench;

import com.example.im.protocol.ChatMessage;
import com.example.im.protocol.Envelope;
import com.example.im.protocol.Login;
import com.example.im.protocol.Varint32FrameDecoder;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.protobuf.ProtobufDecoder;
import io.netty.handler.codec.protobuf.ProtobufEncoder;
import io.netty.handler.codec.protobuf.ProtobufVarint32LengthFieldPrepender;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;

/**
 * The load generator's connections: many clients on a few event-loop threads (a {@code ChatClient} per simulated
 * user would bring its own reconnect machinery and console plumbing, which is not what is measured). Speaks the
 * stage 2+ wire format with the same Netty handlers the stages use; every server under test — the raw echo server,
 * a stage 6 node, the naive forwarder — gets byte-identical frames.
 */
final class Load implements AutoCloseable {

    /** One simulated user. {@code onFrame} runs on the connection's event loop. */
    static final class Conn {
        final String uid;
        final CompletableFuture<Conn> ready = new CompletableFuture<>();
        volatile Consumer<Envelope> onFrame = frame -> { };
        volatile Channel channel;
        private final boolean login;

        /** Frames {@link #sendBatched} queued from other threads, for this connection's event loop to write. */
        private final Queue<Envelope> outbox = new ConcurrentLinkedQueue<>();
        /** A {@link #drain} is queued on the event loop and has not started yet. */
        private final AtomicBoolean drainQueued = new AtomicBoolean();
        private final Runnable drain = this::drain;

        Conn(String uid, boolean login) {
            this.uid = uid;
            this.login = login;
        }

        /**
         * Writes and flushes one frame: one flush, and so one socket write, per frame. For senders with nothing else
         * to send in the same instant (the open loop's pacer, heart-beats).
         */
        void send(Envelope frame) {
            channel.writeAndFlush(frame, channel.voidPromise());
        }

        /**
         * Writes one frame and flushes it together with every other frame sent to this connection in the same
         * event-loop tick: several frames, one flush (what a strong client does; the closed loops send from the
         * deliveries of a whole read batch). On the connection's event loop the frame is written at once; from any
         * other thread it is queued and the event loop writes the queue. Either way one {@link #drain} per tick is
         * queued on the event loop, behind the reads of that tick, and it flushes; nothing written is left
         * unflushed (a lost flush would look like a stalled server).
         */
        void sendBatched(Envelope frame) {
            Channel ch = channel;
            if (ch.eventLoop().inEventLoop()) {
                ch.write(frame, ch.voidPromise());
            } else {
                outbox.add(frame);
            }
            // A frame written or queued before a drain clears the flag is flushed by that drain; after it, the CAS
            // succeeds and queues the next drain.
            if (drainQueued.compareAndSet(false, true)) {
                ch.eventLoop().execute(drain);
            }
        }

        private void drain() {
            drainQueued.set(false);
            Channel ch = channel;
            for (Envelope frame; (frame = outbox.poll()) != null; ) {
                ch.write(frame, ch.voidPromise());
            }
            ch.flush();
        }

        void close() {
            Channel ch = channel;
            if (ch != null) {
                ch.close();
            }
        }
    }

    /**
     * The name prefix of the load generator's threads in this JVM (its event loops, "bench-load-*", and the open
     * loop's pacer, "bench-pacer"): their CPU time per message is reported next to the server's.
     */
    static final String THREADS = "bench-";

    private final EventLoopGroup group;

    Load(int threads) {
        group = new MultiThreadIoEventLoopGroup(threads, new DefaultThreadFactory("bench-load", true),
                NioIoHandler.newFactory());
    }

    /**
     * Connects {@code uids.size()} users to {@code server} (from {@code local} when not null) and, unless
     * {@code login} is false (the raw echo server knows no login), logs each in; returns once all are ready.
     * At most {@code parallel} handshakes at a time, so a burst does not overflow the server's accept backlog.
     */
    List<Conn> connect(InetSocketAddress server, InetSocketAddress local, List<String> uids, boolean login,
                       int parallel) {
        List<Conn> conns = new ArrayList<>(uids.size());
        Semaphore slots = new Semaphore(parallel);
        for (String uid : uids) {
            slots.acquireUninterruptibly();
            Conn conn = connectOne(server, local, uid, login);
            conn.ready.whenComplete((c, e) -> slots.release());
            conns.add(conn);
        }
        for (Conn conn : conns) {
            conn.ready.orTimeout(30, TimeUnit.SECONDS).join();
        }
        return conns;
    }

    Conn connectOne(InetSocketAddress server, InetSocketAddress local, String uid, boolean login) {
        Conn conn = new Conn(uid, login);
        Bootstrap bootstrap = new Bootstrap()
                .group(group)
                .channel(NioSocketChannel.class)
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, 10_000)
                .handler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        ch.pipeline().addLast(new Varint32FrameDecoder(1 << 20),
                                new ProtobufDecoder(Envelope.getDefaultInstance()),
                                new ProtobufVarint32LengthFieldPrepender(),
                                new ProtobufEncoder(),
                                new Handler(conn));
                    }
                });
        (local == null ? bootstrap.connect(server) : bootstrap.connect(server, local)).addListener(f -> {
            if (!f.isSuccess()) {
                conn.ready.completeExceptionally(f.cause());
                return;
            }
            Channel ch = ((io.netty.channel.ChannelFuture) f).channel();
            conn.channel = ch;
            if (login) {
                ch.writeAndFlush(Envelope.newBuilder().setLogin(Login.newBuilder().setUid(uid)).build());
            } else {
                conn.ready.complete(conn);
            }
        });
        return conn;
    }

    private static final class Handler extends SimpleChannelInboundHandler<Envelope> {
        private final Conn conn;

        Handler(Conn conn) {
            this.conn = conn;
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, Envelope frame) {
            if (!conn.ready.isDone() && conn.login) {
                if (frame.hasLoginAck()) {
                    conn.ready.complete(conn);
                } else if (frame.hasError()) {
                    conn.ready.completeExceptionally(new IllegalStateException("login of " + conn.uid + " refused: "
                            + frame.getError().getCode() + " " + frame.getError().getText()));
                }
                return;
            }
            conn.onFrame.accept(frame);
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            conn.ready.completeExceptionally(new IllegalStateException(conn.uid + ": connection closed"));
            ctx.fireChannelInactive();
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            conn.ready.completeExceptionally(cause);
            ctx.close();
        }
    }

    /** A private chat frame whose content starts with {@code stamp} (the sender's clock) and is {@code size} bytes. */
    static Envelope chat(String to, long stamp, int size) {
        return Envelope.newBuilder().setChat(ChatMessage.newBuilder().setToUid(to).setContent(content(stamp, size)))
                .build();
    }

    /** A group chat frame (the article's 方式二) to every uid in {@code to}. */
    static Envelope group(List<String> to, long stamp, int size) {
        return Envelope.newBuilder().setChat(ChatMessage.newBuilder().addAllToUidList(to)
                .setContent(content(stamp, size))).build();
    }

    private static final String PAD = "x".repeat(4096);

    /** "stamp " padded with 'x' to {@code size} characters (longer when the stamp alone is longer). */
    static String content(long stamp, int size) {
        String head = stamp + " ";
        return head.length() >= size ? head : head + PAD.substring(0, Math.min(PAD.length(), size - head.length()));
    }

    /** The stamp at the start of a received message's content. */
    static long stamp(Envelope frame) {
        String content = frame.getChat().getContent();
        return Long.parseLong(content, 0, content.indexOf(' '), 10);
    }

    @Override
    public void close() {
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }
}
