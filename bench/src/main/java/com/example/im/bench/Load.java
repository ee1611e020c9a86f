package com.example.im.bench;

import com.example.im.protocol.ChatMessage;
import com.example.im.protocol.Envelope;
import com.example.im.protocol.Login;
import com.example.im.protocol.Varint32FrameDecoder;
import com.google.protobuf.CodedInputStream;
import com.google.protobuf.WireFormat;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufOutputStream;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.handler.codec.CorruptedFrameException;
import io.netty.handler.codec.MessageToByteEncoder;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.LongConsumer;

/**
 * The load generator's connections: many clients on a few event-loop threads (a {@code ChatClient} per simulated
 * user would bring its own reconnect machinery and console plumbing, which is not what is measured). Speaks the
 * stage 2+ wire format; every server under test — the raw echo server, a stage 6 node, the naive forwarder — gets
 * byte-identical frames.
 *
 * <p>It is built to cost less CPU per message than the servers it measures, so that on shared cores the figure is
 * the server's limit: chat frames are encoded once per recipient and size ({@link Template}) and copied per message
 * with the sender's clock patched in, and a received chat frame is read only as far as its stamp
 * ({@link #chatStamp}); every other frame (acks, errors, pongs) is decoded in full.
 */
final class Load implements AutoCloseable {

    /**
     * One simulated user. {@code onChat} gets the stamp of every chat frame received once the connection is ready,
     * {@code onFrame} every other frame, decoded; both run on the connection's event loop.
     */
    static final class Conn {
        final String uid;
        final CompletableFuture<Conn> ready = new CompletableFuture<>();
        volatile LongConsumer onChat = stamp -> { };
        volatile Consumer<Envelope> onFrame = frame -> { };
        volatile Channel channel;
        private final boolean login;
        /**
         * A stage 7 client (scenario 10): its chat frames carry a client_msg_id, it drops a pushed message whose seq
         * it has had already (a resend), and after every read batch it acknowledges, cumulatively, the highest seq it
         * got — else the node's pusher stops at its window of unacknowledged messages.
         */
        final boolean reliable;
        /** Stage 7: client_msg_ids handed out (the frames' ids are 1, 2, 3 ...); any thread may send. */
        private final AtomicLong clientMsgIds = new AtomicLong();
        /** Stage 7: the highest seq received, and the highest acknowledged; only the event loop writes them. */
        private long lastSeq;
        private long ackedSeq;
        /** Stage 7: Ack frames sent (one per read batch that brought new messages). */
        volatile long acksSent;

        /** Frames {@link #sendBatched} queued from other threads, for this connection's event loop to write. */
        private final Queue<ByteBuf> outbox = new ConcurrentLinkedQueue<>();
        /** Frames {@link #sendBatched} on the event loop in this tick, back to back; only the event loop uses it. */
        private ByteBuf pending;
        /** A {@link #drain} is queued on the event loop and has not started yet. */
        private final AtomicBoolean drainQueued = new AtomicBoolean();
        private final Runnable drain = this::drain;

        Conn(String uid, boolean login) {
            this(uid, login, false);
        }

        Conn(String uid, boolean login, boolean reliable) {
            this.uid = uid;
            this.login = login;
            this.reliable = reliable;
        }

        /**
         * Writes and flushes one frame: one flush, and so one socket write, per frame. For senders with nothing else
         * to send in the same instant (the open loop's pacer, heart-beats).
         */
        void send(Envelope frame) {
            channel.writeAndFlush(frame, channel.voidPromise());
        }

        /**
         * Sends {@code count} chats, {@code templates} in turn, keeping {@code window} unacknowledged, and returns
         * when every one has its send_ack (scenarios 10 and 11 store a known number of messages this way). Fails on an
         * error frame or when the acks have not all come within {@code timeoutSeconds}. Takes over {@link #onFrame}.
         */
        void sendAndAwaitAcks(List<Template> templates, int count, int window, long timeoutSeconds) {
            CompletableFuture<Void> done = new CompletableFuture<>();
            AtomicInteger sent = new AtomicInteger();
            AtomicInteger acked = new AtomicInteger();
            Runnable sendOne = () -> {
                int n = sent.getAndIncrement();
                if (n < count) {
                    sendBatched(templates.get(n % templates.size()), System.nanoTime());
                }
            };
            onFrame = frame -> {
                if (frame.hasError()) {
                    done.completeExceptionally(new IllegalStateException(uid + " got "
                            + frame.getError().getCode() + ": " + frame.getError().getText()));
                } else if (frame.hasSendAck()) {
                    if (acked.incrementAndGet() == count) {
                        done.complete(null);
                    } else {
                        sendOne.run();
                    }
                }
            };
            for (int i = 0; i < Math.min(window, count); i++) {
                sendOne.run();
            }
            try {
                done.get(timeoutSeconds, TimeUnit.SECONDS);
            } catch (Exception e) {
                throw new IllegalStateException("storing " + count + " messages: " + acked.get() + " acknowledged; "
                        + e, e);
            }
        }

        /**
         * Sends a chat frame from {@code template}, stamped {@code stamp}, together with every other frame sent to
         * this connection in the same event-loop tick: one buffer, one write and one flush for all of them (what a
         * strong client does; the closed loops send from the deliveries of a whole read batch). On the connection's
         * event loop the frame is appended to the tick's buffer at once; from any other thread it is queued and the
         * event loop writes the queue. Either way one {@link #drain} per tick is queued on the event loop, behind the
         * reads of that tick, and it writes and flushes; nothing sent is left unflushed (a lost flush would look
         * like a stalled server).
         */
        void sendBatched(Template template, long stamp) {
            Channel ch = channel;
            if (ch.eventLoop().inEventLoop()) {
                if (pending == null) {
                    pending = ch.alloc().buffer(1024);
                }
                template.writeTo(pending, stamp, nextClientMsgId(template));
            } else {
                outbox.add(template.frame(ch.alloc(), stamp, nextClientMsgId(template)));
            }
            // A frame appended or queued before a drain clears the flag is written by that drain; after it, the CAS
            // succeeds and queues the next drain.
            if (!drainQueued.get() && drainQueued.compareAndSet(false, true)) {
                ch.eventLoop().execute(drain);
            }
        }

        /** The next client_msg_id if {@code template} carries one, else 0. */
        long nextClientMsgId(Template template) {
            return template.hasClientMsgId() ? clientMsgIds.incrementAndGet() : 0;
        }

        private void drain() {
            drainQueued.set(false);
            Channel ch = channel;
            if (pending != null) {
                ch.write(pending, ch.voidPromise());
                pending = null;
            }
            for (ByteBuf frame; (frame = outbox.poll()) != null; ) {
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
        return connect(server, local, uids, login, parallel, false);
    }

    /** {@code reliable}: stage 7 clients ({@link Conn#reliable}). */
    List<Conn> connect(InetSocketAddress server, InetSocketAddress local, List<String> uids, boolean login,
                       int parallel, boolean reliable) {
        return connect(server, local, uids, login, parallel, reliable, null);
    }

    /**
     * The same; {@code tokens}: the login token of each uid (stage 8 and later refuse a login without one), or null
     * for none.
     */
    List<Conn> connect(InetSocketAddress server, InetSocketAddress local, List<String> uids, boolean login,
                       int parallel, boolean reliable, Function<String, String> tokens) {
        List<Conn> conns = new ArrayList<>(uids.size());
        Semaphore slots = new Semaphore(parallel);
        for (String uid : uids) {
            slots.acquireUninterruptibly();
            Conn conn = connectOne(server, local, uid, login, reliable, tokens);
            conn.ready.whenComplete((c, e) -> slots.release());
            conns.add(conn);
        }
        for (Conn conn : conns) {
            conn.ready.orTimeout(30, TimeUnit.SECONDS).join();
        }
        return conns;
    }

    Conn connectOne(InetSocketAddress server, InetSocketAddress local, String uid, boolean login) {
        return connectOne(server, local, uid, login, false);
    }

    Conn connectOne(InetSocketAddress server, InetSocketAddress local, String uid, boolean login, boolean reliable) {
        return connectOne(server, local, uid, login, reliable, null);
    }

    Conn connectOne(InetSocketAddress server, InetSocketAddress local, String uid, boolean login, boolean reliable,
                    Function<String, String> tokens) {
        Conn conn = new Conn(uid, login, reliable);
        Bootstrap bootstrap = new Bootstrap()
                .group(group)
                .channel(NioSocketChannel.class)
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, 10_000)
                .handler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        ch.pipeline().addLast(new FrameReader(conn), new Encoder(), new Handler(conn));
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
                Login.Builder frame = Login.newBuilder().setUid(uid);
                if (tokens != null) {
                    frame.mergeUnknownFields(Stage9Wire.loginField(tokens.apply(uid)));
                }
                ch.writeAndFlush(Envelope.newBuilder().setLogin(frame).build());
            } else {
                conn.ready.complete(conn);
            }
        });
        return conn;
    }

    /**
     * Splits the stream into frames (varint32 length prefix, as {@link Varint32FrameDecoder}) and, once the
     * connection is ready, hands each chat frame's stamp to {@code onChat} on the spot: one copy of what a read
     * brought, one pass over it, no buffer slice or pipeline trip per frame. Any other frame goes down the pipeline
     * to {@link Handler}, and the pass stops there, so frames are handled in the order they came.
     */
    private static final class FrameReader extends ByteToMessageDecoder {
        private static final int MAX_FRAME = 1 << 20;
        private final Conn conn;
        /** What has arrived and not been read yet, copied: a {@code CodedInputStream} over an array is cheapest. */
        private byte[] scratch = new byte[4096];
        /** Stage 7: the seq of the chat frame just read. */
        private final long[] seq = new long[1];

        FrameReader(Conn conn) {
            this.conn = conn;
        }

        @Override
        protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) throws IOException {
            int start = in.readerIndex();
            int readable = in.readableBytes();
            if (scratch.length < readable) {
                scratch = new byte[Math.max(readable, 2 * scratch.length)];
            }
            in.getBytes(start, scratch, 0, readable);
            int done = 0;
            while (true) {
                int at = done;
                int length = 0;
                for (int shift = 0; ; shift += 7) {
                    if (at == readable) {
                        in.readerIndex(start + done); // wait for the rest of the prefix
                        return;
                    }
                    byte b = scratch[at++];
                    length |= (b & 0x7F) << shift;
                    if (b >= 0) {
                        break;
                    }
                    if (shift == 21) {
                        throw new CorruptedFrameException("the length prefix is not a valid varint32 under 2^28");
                    }
                }
                if (length > MAX_FRAME) {
                    throw new TooLongFrameException("frame of " + length + " bytes; the limit is " + MAX_FRAME);
                }
                if (readable - at < length) {
                    break; // wait for the rest of the frame
                }
                done = at + length;
                long stamp = !conn.ready.isDone() ? -1 : conn.reliable
                        ? Stage7Wire.chatStampAndSeq(CodedInputStream.newInstance(scratch, at, length), seq)
                        : chatStamp(CodedInputStream.newInstance(scratch, at, length));
                if (stamp >= 0) {
                    if (!conn.reliable) {
                        conn.onChat.accept(stamp);
                    } else if (seq[0] > conn.lastSeq) { // a seq had before is a resend: shown once, as a client does
                        conn.lastSeq = seq[0];
                        conn.onChat.accept(stamp);
                    }
                } else {
                    out.add(in.retainedSlice(start + at, length));
                    break;
                }
            }
            in.readerIndex(start + done);
        }

        /** Stage 7: after a read batch, one cumulative Ack for every message it brought (as {@code ChatClient}). */
        @Override
        public void channelReadComplete(ChannelHandlerContext ctx) throws Exception {
            if (conn.reliable && conn.lastSeq > conn.ackedSeq) {
                conn.ackedSeq = conn.lastSeq;
                conn.acksSent++;
                ctx.writeAndFlush(Stage7Wire.ack(ctx.alloc(), conn.lastSeq), ctx.voidPromise());
            }
            super.channelReadComplete(ctx);
        }
    }

    /**
     * Writes an {@link Envelope} with its varint32 length prefix; a {@link ByteBuf} (a {@link Template}'s frame,
     * prefixed already) passes through untouched.
     */
    private static final class Encoder extends MessageToByteEncoder<Envelope> {
        @Override
        protected void encode(ChannelHandlerContext ctx, Envelope frame, ByteBuf out) throws IOException {
            frame.writeDelimitedTo(new ByteBufOutputStream(out));
        }
    }

    /** Decodes one frame that is not a chat ({@link FrameReader} took those): login acks, errors, pongs... */
    private static final class Handler extends SimpleChannelInboundHandler<ByteBuf> {
        private final Conn conn;

        Handler(Conn conn) {
            this.conn = conn;
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, ByteBuf bytes) throws IOException {
            Envelope frame = Envelope.parseFrom(bytes.nioBuffer());
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

    /** Digits of a stamp in a chat's content: a non-negative long, zero-padded, so every frame has one size. */
    static final int STAMP_DIGITS = 19;

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

    /**
     * {@code stamp} in {@link #STAMP_DIGITS} digits and a space, padded with 'x' to {@code size} characters (longer
     * when the stamp alone is longer).
     */
    static String content(long stamp, int size) {
        if (stamp < 0) {
            throw new IllegalArgumentException("negative stamp " + stamp);
        }
        String head = String.format(java.util.Locale.ROOT, "%0" + STAMP_DIGITS + "d ", stamp);
        return head.length() >= size ? head : head + "x".repeat(size - head.length());
    }

    /**
     * The frames an open loop's pacer found due in one of its ticks (at most a few hundred microseconds apart),
     * handed to each event loop in one task that writes them and flushes each connection once: a write from the
     * pacer thread would otherwise be a task, a wake-up and a flush of its own for every message, and that, not the
     * server, capped the open loop (measured: both the node and the echo fell behind at 107 000 msgs/s). A frame's
     * stamp is still the instant it was due, so the wait for its tick counts as latency.
     */
    static final class Tick {
        private record Due(Conn conn, Template template, long stamp) {
        }

        private Map<EventLoop, List<Due>> byLoop = new IdentityHashMap<>();

        void add(Conn conn, Template template, long stamp) {
            byLoop.computeIfAbsent(conn.channel.eventLoop(), loop -> new ArrayList<>())
                    .add(new Due(conn, template, stamp));
        }

        /** Hands this tick's frames to their event loops; the tick is empty again afterwards. */
        void send() {
            byLoop.forEach((loop, dues) -> loop.execute(() -> {
                Set<Channel> written = Collections.newSetFromMap(new IdentityHashMap<>());
                for (Due due : dues) {
                    Channel ch = due.conn().channel;
                    ch.write(due.template().frame(ch.alloc(), due.stamp(), due.conn().nextClientMsgId(due.template())),
                            ch.voidPromise());
                    written.add(ch);
                }
                written.forEach(Channel::flush);
            }));
            if (!byLoop.isEmpty()) {
                byLoop = new IdentityHashMap<>();
            }
        }
    }

    /**
     * A chat frame ({@link #chat} or {@link #group}) encoded once, length prefix included: {@link #frame} copies it
     * into a pooled buffer and writes a stamp over its digits, so a message costs one copy instead of a protobuf
     * builder, a string and an encoding.
     */
    static final class Template {
        private final byte[] bytes;
        /** Where the stamp's digits start in {@code bytes}. */
        private final int stampAt;
        /** Where the digits of the client_msg_id start in {@code bytes} (stage 7), or -1 for a frame without one. */
        private final int clientMsgIdAt;

        Template(Envelope frame) {
            this(frame, false);
        }

        /**
         * {@code withClientMsgId}: the chat carries a client_msg_id (stage 7) of {@link #STAMP_DIGITS} digits, written
         * per message as the stamp is.
         */
        Template(Envelope frame, boolean withClientMsgId) {
            if (withClientMsgId) {
                frame = Stage7Wire.withClientMsgId(frame, Stage7Wire.clientMsgId(0));
            }
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            try {
                frame.writeDelimitedTo(out);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            bytes = out.toByteArray();
            byte[] content = frame.getChat().getContentBytes().toByteArray();
            stampAt = indexOf(bytes, content);
            if (stampAt < 0 || content.length <= STAMP_DIGITS || content[STAMP_DIGITS] != ' ') {
                throw new IllegalArgumentException("not a stamped chat frame: " + frame);
            }
            if (withClientMsgId) {
                byte[] id = Stage7Wire.clientMsgId(0).getBytes(java.nio.charset.StandardCharsets.US_ASCII);
                int at = indexOf(bytes, id);
                clientMsgIdAt = at < 0 ? -1 : at + id.length - STAMP_DIGITS;
                if (at < 0 || at <= stampAt + content.length && at + id.length > stampAt) {
                    throw new IllegalArgumentException("no client_msg_id apart from the content in " + frame);
                }
            } else {
                clientMsgIdAt = -1;
            }
        }

        boolean hasClientMsgId() {
            return clientMsgIdAt >= 0;
        }

        /** The frame with {@code stamp}, in a buffer from {@code alloc}; the pipeline releases it once written. */
        ByteBuf frame(ByteBufAllocator alloc, long stamp) {
            return frame(alloc, stamp, 0);
        }

        /** The same with client_msg_id {@code clientMsgId} (ignored by a template without one). */
        ByteBuf frame(ByteBufAllocator alloc, long stamp, long clientMsgId) {
            ByteBuf frame = alloc.buffer(bytes.length);
            writeTo(frame, stamp, clientMsgId);
            return frame;
        }

        /** Appends the frame with {@code stamp} to {@code out}. */
        void writeTo(ByteBuf out, long stamp) {
            writeTo(out, stamp, 0);
        }

        /** Appends the frame with {@code stamp} and, if the template has one, client_msg_id {@code clientMsgId}. */
        void writeTo(ByteBuf out, long stamp, long clientMsgId) {
            if (stamp < 0 || clientMsgId < 0) {
                throw new IllegalArgumentException("negative stamp " + stamp + " or client_msg_id " + clientMsgId);
            }
            int start = out.writerIndex();
            out.writeBytes(bytes);
            writeDigits(out, start + stampAt, stamp);
            if (clientMsgIdAt >= 0) {
                writeDigits(out, start + clientMsgIdAt, clientMsgId);
            }
        }

        /** {@code value} as {@link #STAMP_DIGITS} ASCII digits at {@code at}. */
        private static void writeDigits(ByteBuf out, int at, long value) {
            // 19 digits as 8 + 8 + 3 bytes: three bounds-checked writes instead of nineteen
            out.setLong(at, digits(value / 100_000_000_000L, 8));
            out.setLong(at + 8, digits(value / 1_000, 8));
            out.setMedium(at + 16, (int) digits(value, 3));
        }

        /** The last {@code count} (at most 8) decimal digits of {@code value} in ASCII, packed big-endian. */
        private static long digits(long value, int count) {
            long packed = 0;
            for (int i = 0; i < count; i++, value /= 10) {
                packed |= ('0' + value % 10) << (8 * i);
            }
            return packed;
        }

        private static int indexOf(byte[] bytes, byte[] part) {
            for (int i = 0; i + part.length <= bytes.length; i++) {
                if (Arrays.equals(bytes, i, i + part.length, part, 0, part.length)) {
                    return i;
                }
            }
            return -1;
        }
    }

    private static final int CHAT_TAG = Envelope.CHAT_FIELD_NUMBER << 3 | WireFormat.WIRETYPE_LENGTH_DELIMITED;
    private static final int CONTENT_TAG =
            ChatMessage.CONTENT_FIELD_NUMBER << 3 | WireFormat.WIRETYPE_LENGTH_DELIMITED;

    /**
     * The stamp at the start of the content of the frame {@code in} reads (one Envelope, no length prefix) if it is
     * a chat frame whose content starts with a digit, else -1. Reads the fields up to the content and the content's
     * digits, no further: no message objects, no strings.
     */
    static long chatStamp(CodedInputStream in) throws IOException {
        if (in.readTag() != CHAT_TAG) {
            return -1;
        }
        in.pushLimit(in.readRawVarint32());
        for (int tag = in.readTag(); tag != 0; tag = in.readTag()) {
            if (tag != CONTENT_TAG) {
                in.skipField(tag);
                continue;
            }
            int length = Math.min(in.readRawVarint32(), STAMP_DIGITS);
            long stamp = 0;
            int digits = 0;
            for (byte b; digits < length && (b = in.readRawByte()) >= '0' && b <= '9'; digits++) {
                stamp = stamp * 10 + (b - '0');
            }
            return digits == 0 ? -1 : stamp;
        }
        return -1;
    }

    @Override
    public void close() {
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }
}
