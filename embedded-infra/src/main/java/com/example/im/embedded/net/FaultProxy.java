package com.example.im.embedded.net;

import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.AdaptiveRecvByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.util.concurrent.GlobalEventExecutor;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A TCP proxy between ONE node and a server it depends on (Redis, ZooKeeper) whose link can be made slow, cut or
 * reset: the checker's {@code net} fault, and the benchmarks' network round trip to Redis ({@code bench}'s {@code rtt}
 * scenario, docs/benchmarks.md), which loopback would otherwise make almost free.
 *
 * <h2>Why a proxy, and not iptables / tc / toxiproxy in Docker</h2>
 * Linux can do all of this in the kernel ({@code tc qdisc ... netem delay 200ms}, {@code iptables -j DROP}), but that
 * needs root, works only on Linux, and acts on a whole host or port — every node would be cut at once, not one. A
 * proxy in the checker's own JVM needs no privileges and no Docker, runs the same on a laptop and in CI, and cuts
 * exactly one node's link: the node is simply given the proxy's address instead of the server's.
 *
 * <h2>The modes, and what each one simulates in production</h2>
 * <ul>
 *   <li>{@link #pass()}: forwards everything at once — a healthy network. The initial mode; calling it heals every
 *       other mode.</li>
 *   <li>{@link #delay(Duration)} / {@link #delay(long)}: every chunk, in either direction, is forwarded that much
 *       later, in order — a slow or congested link (a saturated uplink, a cross-region hop, a GC-paused middlebox),
 *       or simply the network between two hosts. The delay applies <em>per direction</em>: a request and its reply
 *       cross the proxy twice, so an added round trip of R is {@code delay(R / 2)}. Timeouts that are shorter than
 *       the delay fire although nothing is broken.</li>
 *   <li>{@link #blackhole()}: nothing moves, nothing is lost, no connection is closed — a network partition, or a
 *       switch silently dropping packets. TCP on both ends keeps retransmitting and sees no error at all; only an
 *       application timeout (or TCP keepalive, after hours) notices. After {@link #pass()} the held bytes flow in
 *       order, as they would when retransmission gets through after a short partition. The proxy simply stops
 *       reading from both sides: the bytes wait in the kernels' socket buffers and TCP's windows stop the senders,
 *       so the proxy holds nothing of its own.</li>
 *   <li>{@link #drop()}: every connection is reset (closed with {@code SO_LINGER 0}, which sends a TCP RST) and new
 *       ones are reset as soon as they are accepted — a peer that crashed and came back, or a firewall / load
 *       balancer resetting connections. Unlike a blackhole, the client learns at once that something is wrong.</li>
 * </ul>
 *
 * <h2>Bounded memory</h2>
 * A proxy that reads whatever arrives and queues it until it can write would hold an unbounded amount when one side
 * is slow. This one never reads more than it may hold: a side is read (Netty's {@code autoRead}) only while the
 * other side is writable and fewer than {@link #MAX_IN_FLIGHT} bytes of that direction are read but not yet written
 * — the delay mode holds at most that much per direction of a connection; when it is reached, TCP's flow control
 * pushes back to the sender.
 *
 * <h2>Delay precision</h2>
 * Netty's NIO event loop cannot sleep for less than a millisecond: it rounds the wait for its next scheduled task to
 * the nearest millisecond (and polls without sleeping while that rounds to zero), so a {@code loop.schedule} of
 * 300 us fires up to a millisecond late, or keeps a core busy. The delay mode therefore waits on a timer thread of its
 * own (a {@link ScheduledThreadPoolExecutor}, which parks with nanosecond resolution) that only hands the due chunks
 * back to the event loop. A chunk is never forwarded before its delay is up; it is forwarded later by the operating
 * system's timer slack and two thread wake-ups (measured on a busy 2-core VM: 0.1 to 0.2 ms per direction), which is
 * why a benchmark that injects sub-millisecond delays should measure and report the round trip it actually got. The
 * price is CPU: a chunk that must wait costs a timer wake-up and a hand-off to the event loop (on the same VM: about
 * 100 us of CPU per delayed chunk, against about 20 us to forward one at once). One timer per direction covers every
 * chunk that is due by the time it fires, so a busy link pays it per burst rather than per chunk; a request/reply
 * link (one small chunk at a time) pays it for every chunk.
 *
 * <p>Threading: one event loop thread per proxy runs every channel and every piece of state below, so nothing but
 * the mode (volatile) and the counters needs to be thread safe; the timer thread only posts tasks to that loop. The
 * mode methods wait until the mode is applied to every connection.
 */
public final class FaultProxy implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(FaultProxy.class);

    /** The most bytes, per direction of one connection, that were read and not yet written (the delay mode's bound). */
    static final int MAX_IN_FLIGHT = 1 << 20;
    /** The largest chunk one read returns (the receive buffer allocator's maximum). */
    static final int MAX_READ = 64 * 1024;
    /** Reading pauses at this many bytes in flight: one more read of at most {@link #MAX_READ} stays in bound. */
    private static final int PAUSE_AT = MAX_IN_FLIGHT - MAX_READ;

    private enum Kind { PASS, DELAY, BLACKHOLE, DROP }

    private record Mode(Kind kind, long delayNanos) {
        @Override
        public String toString() {
            return switch (kind) {
                case PASS -> "pass";
                case DELAY -> delayNanos % 1_000_000 == 0 ? "delay " + delayNanos / 1_000_000 + " ms"
                        : "delay " + Math.round(delayNanos / 1e3) + " us";
                case BLACKHOLE -> "blackhole";
                case DROP -> "drop";
            };
        }
    }

    private final String name;
    private final InetSocketAddress upstream;
    private final EventLoopGroup group;
    private final EventLoop loop;
    private final ChannelGroup clients = new DefaultChannelGroup(GlobalEventExecutor.INSTANCE);
    /** Every connection whose client side or upstream side is still open; touched on {@link #loop} only. */
    private final Set<Link> links = new LinkedHashSet<>();
    private final AtomicLong pendingBytes = new AtomicLong();
    private final AtomicLong maxPendingBytes = new AtomicLong();
    private volatile Mode mode = new Mode(Kind.PASS, 0);
    private volatile boolean closed;
    private Channel server;
    /** The delay mode's timer (see "Delay precision"); created on {@link #loop} the first time a chunk must wait. */
    private ScheduledThreadPoolExecutor timers;

    private FaultProxy(String name, InetSocketAddress upstream) {
        this.name = name;
        this.upstream = upstream;
        this.group = new MultiThreadIoEventLoopGroup(1, new DefaultThreadFactory("proxy-" + name, true),
                NioIoHandler.newFactory());
        this.loop = group.next();
    }

    /** A proxy to {@code upstream} on 127.0.0.1 and a free port, in {@code pass} mode; returns once it is bound. */
    public static FaultProxy start(String name, InetSocketAddress upstream) {
        FaultProxy proxy = new FaultProxy(name, upstream);
        try {
            proxy.server = new ServerBootstrap()
                    .group(proxy.loop)
                    .channel(NioServerSocketChannel.class)
                    // Nothing is read from a client before its upstream connection exists.
                    .childOption(ChannelOption.AUTO_READ, false)
                    .childOption(ChannelOption.RCVBUF_ALLOCATOR, new AdaptiveRecvByteBufAllocator(64, 2048, MAX_READ))
                    .childHandler(proxy.new Accepted())
                    .bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))
                    .syncUninterruptibly()
                    .channel();
        } catch (RuntimeException e) {
            proxy.group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
            throw e;
        }
        log.info("proxy {}: {} -> {}", name, proxy.address(), upstream);
        return proxy;
    }

    /** Where the node should connect instead of the upstream server. */
    public InetSocketAddress address() {
        return (InetSocketAddress) server.localAddress();
    }

    /** Normal forwarding; also heals every other mode (held bytes flow on, in order). */
    public void pass() {
        setMode(new Mode(Kind.PASS, 0));
    }

    /** {@link #delay(Duration)} in whole milliseconds, per direction. */
    public void delay(long millis) {
        if (millis < 0) {
            throw new IllegalArgumentException("delay " + millis + " ms");
        }
        delay(Duration.ofMillis(millis));
    }

    /**
     * Every chunk in either direction is forwarded {@code perDirection} later, order kept: a slow link. The delay is
     * per direction, so a request/reply round trip through the proxy gains twice {@code perDirection}: to add a
     * round trip of R, pass R / 2. It is a lower bound (see "Delay precision" above), with nanosecond resolution. A
     * chunk's due time is fixed when it is read, so changing the delay affects what is read from then on (and a
     * shorter delay never lets a chunk overtake an earlier one). Connection setup itself is not delayed.
     */
    public void delay(Duration perDirection) {
        if (perDirection.isNegative()) {
            throw new IllegalArgumentException("delay " + perDirection);
        }
        setMode(new Mode(Kind.DELAY, perDirection.toNanos()));
    }

    /**
     * A partition: nothing is forwarded, nothing is lost, connections stay open, until {@link #pass()}. New
     * connections are accepted (and connected upstream, which is not quite what a partition does: there the
     * handshake itself would hang) but nothing goes through them either.
     */
    public void blackhole() {
        setMode(new Mode(Kind.BLACKHOLE, 0));
    }

    /** Every connection is reset now, and every new one as soon as it is accepted, until {@link #pass()}. */
    public void drop() {
        setMode(new Mode(Kind.DROP, 0));
    }

    /** "pass", "delay 200 ms", "blackhole" or "drop": for logs. */
    public String mode() {
        return mode.toString();
    }

    /** Open client-side connections now. */
    public int connections() {
        return clients.size();
    }

    /** Bytes read from one side and not yet written to the other, over all connections, now. */
    long pendingBytes() {
        return pendingBytes.get();
    }

    /** The most bytes one direction of one connection ever had in flight: never above {@link #MAX_IN_FLIGHT}. */
    long maxPendingBytes() {
        return maxPendingBytes.get();
    }

    @Override
    public String toString() {
        return "proxy " + name + " " + (server == null ? "?" : address()) + " -> " + upstream + " (" + mode + ")";
    }

    /** Closes the listening socket and every connection (held bytes are discarded); returns when all is closed. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        server.close().syncUninterruptibly();
        onLoop(() -> {
            for (Link link : new ArrayList<>(links)) {
                link.up.discard();
                link.down.discard();
                link.client.close();
                if (link.upstream != null) {
                    link.upstream.close();
                }
            }
            if (timers != null) {
                timers.shutdownNow();
            }
        });
        clients.close().syncUninterruptibly();
        group.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
        log.info("proxy {}: closed", name);
    }

    private void setMode(Mode next) {
        if (closed) {
            throw new IllegalStateException(this + " is closed");
        }
        Mode previous = mode;
        mode = next;
        if (!previous.equals(next)) {
            log.info("proxy {} ({} -> {}): {} -> {}", name, address(), upstream, previous, next);
        }
        onLoop(() -> {
            for (Link link : new ArrayList<>(links)) {
                if (next.kind == Kind.DROP) {
                    link.reset();
                } else {
                    link.apply();
                }
            }
        });
    }

    /** Runs {@code task} on the proxy's thread and waits for it (at once if called there). */
    private void onLoop(Runnable task) {
        if (loop.inEventLoop()) {
            task.run();
        } else {
            loop.submit(task).syncUninterruptibly();
        }
    }

    /** The delay mode's timer thread, started on first use; on {@link #loop} only. */
    private ScheduledThreadPoolExecutor timers() {
        if (timers == null) {
            timers = new ScheduledThreadPoolExecutor(1, new DefaultThreadFactory("proxy-" + name + "-timer", true));
            timers.setRemoveOnCancelPolicy(true); // a cancelled timer (connection closed) leaves the queue at once
        }
        return timers;
    }

    private static void reset(Channel channel) {
        // SO_LINGER 0: close() discards what is unsent and sends RST instead of FIN.
        channel.config().setOption(ChannelOption.SO_LINGER, 0);
        channel.close();
    }

    /** A client connection and its upstream connection. */
    private final class Link {
        final Channel client;
        Channel upstream;
        /** client -> upstream */
        final Pipe up = new Pipe(this);
        /** upstream -> client */
        final Pipe down = new Pipe(this);

        Link(Channel client) {
            this.client = client;
            up.src = client;
            down.dst = client;
        }

        void connected(Channel upstreamChannel) {
            upstream = upstreamChannel;
            up.dst = upstreamChannel;
            down.src = upstreamChannel;
            apply();
        }

        /** Brings both directions in line with the current mode. */
        void apply() {
            up.drain();
            down.drain();
            up.updateReading();
            down.updateReading();
        }

        void reset() {
            FaultProxy.reset(client);
            if (upstream != null) {
                FaultProxy.reset(upstream);
            }
        }

        void closedSide(Channel channel) {
            if (channel == client) {
                down.discard();
                up.sourceClosed();
            } else {
                up.discard();
                down.sourceClosed();
            }
            if (!client.isOpen() && (upstream == null || !upstream.isOpen())) {
                links.remove(this);
            }
        }
    }

    /** A chunk read from one side, to be written to the other at {@code dueNanos} (delay mode) or at once. */
    private record Chunk(ByteBuf buf, long dueNanos) {}

    /** One direction of a link: read from {@code src}, written to {@code dst}. */
    private final class Pipe {
        final Link link;
        Channel src;
        Channel dst;
        /** Read but not written yet (by delay), in order. Bounded by {@link #inFlight}: reading stops first. */
        final ArrayDeque<Chunk> held = new ArrayDeque<>();
        /** Bytes read from src whose write to dst has not completed: held + in dst's outbound buffer. */
        int inFlight;
        Future<?> timer;
        boolean srcClosed;
        boolean discarded;

        Pipe(Link link) {
            this.link = link;
        }

        void read(ByteBuf buf) {
            if (discarded) {
                buf.release();
                return;
            }
            Mode now = mode;
            long due = System.nanoTime() + (now.kind == Kind.DELAY ? now.delayNanos : 0);
            add(buf.readableBytes());
            held.add(new Chunk(buf, due));
            updateReading();
            drain();
        }

        /** Writes every chunk that may go now; closes dst once src is closed and everything is written. */
        void drain() {
            if (dst == null || discarded) {
                return;
            }
            Mode now = mode;
            if (now.kind == Kind.BLACKHOLE || now.kind == Kind.DROP) {
                return; // held until pass() / reset by drop()
            }
            boolean wrote = false;
            long nanos = System.nanoTime();
            while (!held.isEmpty()) {
                Chunk chunk = held.peek();
                long wait = chunk.dueNanos - nanos;
                if (now.kind == Kind.DELAY && wait > 0) {
                    if (timer == null) {
                        // One timer per direction at a time, for the oldest chunk: the chunks behind it are due
                        // later (or, after the delay shrank, earlier, but they must not overtake it anyway).
                        timer = timers().schedule(() -> loop.execute(this::timerFired), wait, TimeUnit.NANOSECONDS);
                    }
                    break;
                }
                held.poll();
                int size = chunk.buf.readableBytes();
                dst.write(chunk.buf).addListener(written -> {
                    add(-size);
                    updateReading();
                });
                wrote = true;
            }
            if (wrote) {
                dst.flush();
            }
            if (srcClosed && held.isEmpty()) {
                // Closing either side closes the other, after what was read from it is written.
                dst.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
            }
        }

        /** On {@link #loop}: the oldest held chunk is due. */
        private void timerFired() {
            timer = null;
            drain();
        }

        /** Reads from src only while the mode moves bytes, dst can take them, and the bound is not reached. */
        void updateReading() {
            if (src == null || dst == null || srcClosed) {
                return;
            }
            Kind kind = mode.kind;
            boolean read = (kind == Kind.PASS || kind == Kind.DELAY)
                    && dst.isWritable() && inFlight < PAUSE_AT && !discarded;
            src.config().setAutoRead(read);
        }

        void sourceClosed() {
            srcClosed = true;
            if (dst == null) {
                return; // the upstream connect is still under way: its listener sees the client closed
            }
            drain();
        }

        /** dst is gone: what is held for it is released. */
        void discard() {
            discarded = true;
            if (timer != null) {
                timer.cancel(false);
                timer = null;
            }
            Chunk chunk;
            while ((chunk = held.poll()) != null) {
                add(-chunk.buf.readableBytes());
                chunk.buf.release();
            }
        }

        private void add(int bytes) {
            inFlight += bytes;
            pendingBytes.addAndGet(bytes);
            if (bytes > 0) {
                maxPendingBytes.accumulateAndGet(inFlight, Math::max);
            }
        }
    }

    /** The handler of an accepted client connection: connects upstream, then relays. */
    @io.netty.channel.ChannelHandler.Sharable
    private final class Accepted extends ChannelInboundHandlerAdapter {
        @Override
        public void channelActive(ChannelHandlerContext ctx) {
            Channel client = ctx.channel();
            if (mode.kind == Kind.DROP || closed) {
                reset(client);
                return;
            }
            Link link = new Link(client);
            links.add(link);
            clients.add(client);
            client.pipeline().replace(this, "relay", new Relay(link, link.up, link.down));
            new Bootstrap()
                    .group(client.eventLoop())
                    .channel(NioSocketChannel.class)
                    .option(ChannelOption.AUTO_READ, false)
                    .option(ChannelOption.RCVBUF_ALLOCATOR, new AdaptiveRecvByteBufAllocator(64, 2048, MAX_READ))
                    .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, 10_000)
                    .handler(new Relay(link, link.down, link.up))
                    .connect(upstream)
                    .addListener((ChannelFutureListener) connect -> {
                        if (!connect.isSuccess()) {
                            log.debug("proxy {}: cannot connect to {}: {}", name, upstream, connect.cause().toString());
                            client.close();
                            return;
                        }
                        Channel upstreamChannel = connect.channel();
                        if (!client.isActive()) {
                            link.upstream = upstreamChannel;
                            upstreamChannel.close();
                            return;
                        }
                        if (mode.kind == Kind.DROP) {
                            link.upstream = upstreamChannel;
                            link.reset();
                            return;
                        }
                        link.connected(upstreamChannel);
                    });
        }
    }

    /** Relays what one side reads to the other side. */
    private final class Relay extends ChannelInboundHandlerAdapter {
        private final Link link;
        /** The direction this channel is the source of. */
        private final Pipe out;
        /** The direction this channel is the destination of. */
        private final Pipe in;

        Relay(Link link, Pipe out, Pipe in) {
            this.link = link;
            this.out = out;
            this.in = in;
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (msg instanceof ByteBuf buf) {
                out.read(buf);
            } else {
                ReferenceCountUtil.release(msg);
            }
        }

        @Override
        public void channelWritabilityChanged(ChannelHandlerContext ctx) {
            in.updateReading();
            ctx.fireChannelWritabilityChanged();
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            link.closedSide(ctx.channel());
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            log.debug("proxy {}: {}: {}", name, ctx.channel(), cause.toString());
            ctx.close();
        }
    }
}
