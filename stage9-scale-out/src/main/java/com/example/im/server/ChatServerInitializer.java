package com.example.im.server;

import com.example.im.auth.Tokens;
import com.example.im.protocol.Envelope;
import com.example.im.protocol.Varint32FrameDecoder;
import com.example.im.route.RedisRouting;
import com.example.im.metrics.MetricsHandler;
import com.example.im.metrics.NodeMetrics;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.protobuf.ProtobufDecoder;
import io.netty.handler.codec.protobuf.ProtobufEncoder;
import io.netty.handler.codec.protobuf.ProtobufVarint32LengthFieldPrepender;
import io.netty.handler.flush.FlushConsolidationHandler;
import io.netty.handler.ssl.SslContext;
import com.example.im.tls.TlsGuard;
import io.netty.handler.timeout.IdleStateHandler;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * The pipeline of every accepted connection (docs/03-heartbeat.md, "The server: evicting a dead connection"). Typed as
 * {@code ChannelInitializer<Channel>} so that handler tests can install the very same pipeline on an
 * {@code EmbeddedChannel}.
 */
public final class ChatServerInitializer extends ChannelInitializer<Channel> {

    private volatile NodeMetrics metrics; // stage 8: null counts nothing (tests that build a pipeline alone)
    private final SessionMap sessions;
    private final ServerConfig config;
    private final MessageIds ids;
    private final Supplier<RedisRouting> routing;
    private final Tokens tokens;
    private final SslContext ssl; // stage 8: null for plain TCP

    /**
     * {@code routing} gives null for a node without Redis (single-node tests, stage 4 behaviour). A supplier, because
     * the node creates its routing once the port is bound: the node id may contain the port.
     */
    public ChatServerInitializer(SessionMap sessions, ServerConfig config, MessageIds ids,
                                 Supplier<RedisRouting> routing) {
        this(sessions, config, ids, routing, null);
    }

    /** Stage 8: with {@code ssl} not null every connection speaks TLS (docs/08-web-edge.md, "TLS"). */
    public ChatServerInitializer(SessionMap sessions, ServerConfig config, MessageIds ids,
                                 Supplier<RedisRouting> routing, SslContext ssl) {
        this.sessions = sessions;
        this.config = config;
        this.ids = ids;
        this.routing = routing;
        this.tokens = new Tokens(config.edge().authKey()); // one per node: every connection checks with it
        this.ssl = ssl;
    }

    // tag::pipeline[]
    @Override
    protected void initChannel(Channel ch) {
        ChannelPipeline p = ch.pipeline();
        // Stage 8: with TLS, the SslHandler is nearest the socket and everything above it sees plain bytes; its
        // guard closes a plain-text or distrustful peer quietly (docs/08-web-edge.md, "TLS").
        if (ssl != null) {
            TlsGuard.install(p, ssl);
        }
        // First of all, nearest the socket: flush consolidation (docs/01-single-node.md, "The pipeline"). Every
        // reply is written with writeAndFlush, and each flush is a write system call. While the connection is
        // reading, this handler holds the flushes back and does one when the read batch ends (channelReadComplete),
        // or after 256 held-back flushes: a client that sent 30 frames gets its 30 replies in one syscall, not 30.
        // A flush outside a read (say, of a message another connection sent) runs as a task later in the same
        // event-loop turn, so every write to this connection in that turn shares it. A close flushes first, so
        // "write, then close" still delivers the frame.
        p.addLast("flush", new FlushConsolidationHandler(256, true));
        // Next to the socket but for the flush handler (which only holds back flushes): it sees every write already
        // encoded (its size known) and bounds what a peer that does not read can make this node hold
        // (docs/03-heartbeat.md, "Two more bounds").
        p.addLast("slow-reader", new SlowReaderHandler(config.maxPendingBytes(), config.unwritableTimeoutMillis()));
        // Inbound: bytes -> one frame per varint32 length prefix (at most maxFrameLength bytes) -> Envelope.
        p.addLast("framer", new Varint32FrameDecoder(config.maxFrameLength()));
        p.addLast("decoder", new ProtobufDecoder(Envelope.getDefaultInstance()));
        // Outbound (runs bottom-up): Envelope -> protobuf bytes -> the same bytes behind their varint32 length.
        p.addLast("prepender", new ProtobufVarint32LengthFieldPrepender());
        p.addLast("encoder", new ProtobufEncoder());
        addSessionHandlers(p);
    }
    // end::pipeline[]

    /**
     * What every chat connection has above its codec, TCP or WebSocket (stage 8, docs/08-web-edge.md): idle
     * eviction, the login deadline, and the handler.
     */
    public void addSessionHandlers(ChannelPipeline p) {
        // After the decoder, so only whole frames count as signs of life: a client trickling one byte a minute
        // of a frame that never completes is still dead to us.
        p.addLast("idle", new IdleStateHandler(config.readerIdleMillis(), 0, 0, TimeUnit.MILLISECONDS));
        // Stage 8: counts the frames the handler reads and every frame written to the connection (it sees the
        // handler's replies too: they pass it on their way to the socket).
        NodeMetrics counting = metrics;
        if (counting != null) {
            p.addLast("metrics", new MetricsHandler(counting, p.get("ws-codec") != null));
        }
        // Watches the handler's replies for a login_ack; until one goes out, the connection has a deadline.
        p.addLast("login-deadline", new LoginDeadlineHandler(config.loginTimeoutMillis()));
        p.addLast("handler", new ChatServerHandler(sessions, config, ids, routing.get(), tokens));
    }

    /** Stage 8: every connection set up from now on is counted in {@code metrics} (docs/08-web-edge.md, "Metrics"). */
    public ChatServerInitializer withMetrics(NodeMetrics metrics) {
        this.metrics = metrics;
        return this;
    }
}
