package com.example.im.web;

import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.handler.timeout.IdleStateEvent;
import java.io.IOException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Answers the HTTP requests that are not a WebSocket handshake on {@code /ws} (docs/08-web-edge.md, "The HTTP
 * port"): a route by exact path, else a page from the jar, else 404. One request at a time per connection (the
 * aggregator hands it whole); a connection idle for the HTTP idle time is closed.
 */
final class HttpHandler extends SimpleChannelInboundHandler<FullHttpRequest> {

    private static final Logger log = LoggerFactory.getLogger(HttpHandler.class);

    private final HttpRoutes routes;
    private final StaticFiles files;

    HttpHandler(HttpRoutes routes, StaticFiles files) {
        this.routes = routes;
        this.files = files;
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) {
        boolean keepAlive = HttpUtil.isKeepAlive(request);
        if (!request.decoderResult().isSuccess()) {
            send(ctx, HttpRoutes.textResponse(HttpResponseStatus.BAD_REQUEST, "bad request\n"), false);
            return;
        }
        String path = new QueryStringDecoder(request.uri()).path();
        HttpRoutes.Route route = routes.find(path);
        if (route != null) {
            request.retain();
            route.handle(request).whenComplete((response, error) -> {
                request.release();
                if (error != null) {
                    log.warn("{} {} failed", request.method(), path, error);
                    response = HttpRoutes.textResponse(HttpResponseStatus.INTERNAL_SERVER_ERROR, "internal error\n");
                } else if (request.method().equals(HttpMethod.GET)) {
                    // What a GET route answers is public (the node list, the metrics): a page served by another
                    // node may read it, so a browser that lost its node can ask any other for the list.
                    response.headers().set(HttpHeaderNames.ACCESS_CONTROL_ALLOW_ORIGIN, "*");
                }
                send(ctx, response, keepAlive);
            });
            return;
        }
        if (!request.method().equals(HttpMethod.GET) && !request.method().equals(HttpMethod.HEAD)) {
            send(ctx, HttpRoutes.textResponse(HttpResponseStatus.METHOD_NOT_ALLOWED, "only GET here\n"), keepAlive);
            return;
        }
        FullHttpResponse file = files.find(path);
        send(ctx, file != null ? file
                : HttpRoutes.textResponse(HttpResponseStatus.NOT_FOUND, "no such page: " + path + "\n"
                        + (path.startsWith("/ws") ? "the WebSocket endpoint is /ws (an Upgrade request)\n" : "")),
                keepAlive);
    }

    private static void send(ChannelHandlerContext ctx, FullHttpResponse response, boolean keepAlive) {
        HttpUtil.setKeepAlive(response, keepAlive);
        if (!keepAlive) {
            response.headers().set(HttpHeaderNames.CONNECTION, "close");
        }
        var written = ctx.writeAndFlush(response);
        if (!keepAlive) {
            written.addListener(ChannelFutureListener.CLOSE);
        }
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object event) throws Exception {
        if (event instanceof IdleStateEvent) {
            ctx.close(); // an HTTP connection that asks nothing for a while
        } else {
            super.userEventTriggered(ctx, event);
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (cause instanceof IOException) {
            log.debug("I/O error on {}: {}", ctx.channel().remoteAddress(), cause.toString());
        } else {
            log.info("closing HTTP connection {}: {}", ctx.channel().remoteAddress(), cause.toString());
        }
        ctx.close();
    }
}
