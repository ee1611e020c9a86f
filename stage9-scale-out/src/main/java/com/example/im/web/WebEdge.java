package com.example.im.web;

import com.example.im.server.ChatServerInitializer;
import com.example.im.server.ServerConfig;
import com.example.im.server.SlowReaderHandler;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.websocketx.WebSocketDecoderConfig;
import io.netty.handler.codec.http.websocketx.WebSocketFrameAggregator;
import io.netty.handler.codec.http.websocketx.WebSocketServerProtocolConfig;
import io.netty.handler.codec.http.websocketx.WebSocketServerProtocolHandler;
import io.netty.handler.flush.FlushConsolidationHandler;
import io.netty.handler.ssl.SslContext;
import com.example.im.tls.TlsGuard;
import io.netty.handler.timeout.IdleStateHandler;
import java.util.concurrent.TimeUnit;

/**
 * The node's second port (docs/08-web-edge.md, "The HTTP port"): HTTP for the pages, the node list and the metrics,
 * and WebSocket on {@code /ws} for browsers. After the WebSocket handshake a connection gets the very same session
 * handlers as a TCP one (idle eviction, login deadline, {@code ChatServerHandler}): the browser is one more client of
 * the same protocol.
 */
public final class WebEdge {

    /** The WebSocket endpoint. */
    public static final String WS_PATH = "/ws";
    /** An HTTP connection that sends nothing for this long is closed (a WebSocket one then has the chat's idle time). */
    static final long HTTP_IDLE_MILLIS = 60_000;
    /** Largest HTTP request body (token requests are tiny; nothing uploads). */
    static final int MAX_REQUEST_BYTES = 16 * 1024;

    private WebEdge() {
    }

    /**
     * Binds the HTTP port on the node's event loops, not yet reading (the caller turns auto-read on once the node can
     * serve, as it does for the TCP port). {@code ssl} is null for plain HTTP.
     */
    public static Channel bind(EventLoopGroup boss, EventLoopGroup workers, ServerConfig config,
                               ChatServerInitializer chat, HttpRoutes routes, SslContext ssl)
            throws InterruptedException {
        StaticFiles files = new StaticFiles();
        return new ServerBootstrap()
                .group(boss, workers)
                .channel(NioServerSocketChannel.class)
                .option(ChannelOption.SO_BACKLOG, 1024)
                .option(ChannelOption.AUTO_READ, false)
                .childOption(ChannelOption.AUTO_READ, true)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childOption(ChannelOption.WRITE_BUFFER_WATER_MARK, SlowReaderHandler.WATER_MARK)
                .childHandler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        pipeline(ch.pipeline(), config, chat, routes, files, ssl);
                    }
                })
                .bind(config.host(), config.edge().httpPort())
                .sync()
                .channel();
    }

    // tag::pipeline[]
    static void pipeline(ChannelPipeline p, ServerConfig config, ChatServerInitializer chat, HttpRoutes routes,
                         StaticFiles files, SslContext ssl) {
        if (ssl != null) {
            TlsGuard.install(p, ssl); // nearest the socket: everything above is plain; a failed handshake closes quietly
        }
        p.addLast("flush", new FlushConsolidationHandler(256, true));
        p.addLast("slow-reader", new SlowReaderHandler(config.maxPendingBytes(), config.unwritableTimeoutMillis()));
        p.addLast("http", new HttpServerCodec());
        p.addLast("aggregator", new HttpObjectAggregator(MAX_REQUEST_BYTES));
        // After the aggregator, so only whole requests count as signs of life: a client trickling a body one byte
        // at a time is as idle as one that sends nothing (as a TCP client trickling a frame is).
        p.addLast("http-idle", new IdleStateHandler(0, 0, HTTP_IDLE_MILLIS, TimeUnit.MILLISECONDS));
        // Pipelined requests are answered one at a time, in order, even when a route completes later.
        p.addLast("http-order", new HttpInOrder());
        // Answers the Upgrade request on /ws (and only there), then replaces the HTTP codec with WebSocket's frame
        // codec. A message over the TCP frame limit is refused with close status 1009 and the connection closed.
        p.addLast("ws", new WebSocketServerProtocolHandler(WebSocketServerProtocolConfig.newBuilder()
                .websocketPath(WS_PATH)
                .subprotocols(WebSocketEnvelopeCodec.JSON + "," + WebSocketEnvelopeCodec.PROTO)
                .checkStartsWith(false)
                .handshakeTimeoutMillis(10_000)
                .decoderConfig(WebSocketDecoderConfig.newBuilder()
                        .maxFramePayloadLength(config.maxFrameLength())
                        .allowExtensions(false)
                        // We close it ourselves, after the close frame has reached the client (see
                        // WebSocketEnvelopeCodec.refuse): closing at once loses it to a reset.
                        .closeOnProtocolViolation(false)
                        .build())
                .build()));
        p.addLast("http-handler", new HttpHandler(routes, files));
        p.addLast("upgrade", new ChannelInboundHandlerAdapter() {
            @Override
            public void userEventTriggered(ChannelHandlerContext ctx, Object event) throws Exception {
                if (event instanceof WebSocketServerProtocolHandler.HandshakeComplete done) {
                    // From here on the connection is a chat session: HTTP's handlers go, the session's come.
                    p.remove("http-handler");
                    p.remove("http-idle");
                    p.remove("http-order");
                    p.remove(this);
                    p.addLast("ws-aggregator", new WebSocketFrameAggregator(config.maxFrameLength()));
                    p.addLast("ws-codec", new WebSocketEnvelopeCodec(done.selectedSubprotocol(),
                            config.maxFrameLength()));
                    p.addBefore("ws", "ws-violations", new WebSocketEnvelopeCodec.Violations());
                    chat.addSessionHandlers(p);
                } else {
                    super.userEventTriggered(ctx, event);
                }
            }
        });
    }
    // end::pipeline[]
}
