package com.example.im.web;

import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * The node's HTTP endpoints by exact path (docs/08-web-edge.md, "The HTTP port"). Every route answers a whole request
 * with a whole response, possibly later: a route that must wait (on another node, on Redis) returns a stage that
 * completes off the event loop, never blocks it. Built once per node; read by every connection.
 */
public final class HttpRoutes {

    /** One endpoint. */
    @FunctionalInterface
    public interface Route {
        CompletionStage<FullHttpResponse> handle(FullHttpRequest request);
    }

    private final Map<String, Route> routes = new LinkedHashMap<>();

    public HttpRoutes add(String path, Route route) {
        if (routes.putIfAbsent(path, route) != null) {
            throw new IllegalArgumentException("two routes for " + path);
        }
        return this;
    }

    /** The route for {@code path} (the request's path without its query), or null. */
    Route find(String path) {
        return routes.get(path);
    }

    public static CompletionStage<FullHttpResponse> json(String body) {
        return CompletableFuture.completedFuture(response(HttpResponseStatus.OK, "application/json; charset=utf-8",
                body.getBytes(StandardCharsets.UTF_8)));
    }

    public static CompletionStage<FullHttpResponse> text(HttpResponseStatus status, String body) {
        return CompletableFuture.completedFuture(textResponse(status, body));
    }

    static FullHttpResponse textResponse(HttpResponseStatus status, String body) {
        return response(status, "text/plain; charset=utf-8", body.getBytes(StandardCharsets.UTF_8));
    }

    public static FullHttpResponse response(HttpResponseStatus status, String contentType, byte[] body) {
        FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status,
                Unpooled.wrappedBuffer(body));
        response.headers()
                .set(HttpHeaderNames.CONTENT_TYPE, contentType)
                .setInt(HttpHeaderNames.CONTENT_LENGTH, body.length)
                .set(HttpHeaderNames.CACHE_CONTROL, HttpHeaderValues.NO_CACHE)
                .set("X-Content-Type-Options", "nosniff");
        return response;
    }
}
