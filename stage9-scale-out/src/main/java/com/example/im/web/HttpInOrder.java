package com.example.im.web;

import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import java.util.ArrayDeque;

/**
 * One request at a time per connection (docs/08-web-edge.md, "The HTTP port"). HTTP/1.1 lets a client send requests
 * back to back (pipelining) and requires the answers in the same order; a route may complete later, off the event
 * loop ({@link HttpRoutes}), so without this a quick answer to the second request could overtake the first one's,
 * and a {@code Connection: close} on a later request could close the connection before an earlier answer is written.
 * Requests that arrive while one is being answered wait here (reading stops meanwhile) and are handed on, in order,
 * once the answer has been written. After a {@code 101 Switching Protocols} the connection is no longer HTTP, and after
 * a request that said {@code Connection: close} it ends: in both cases what waits is dropped, unanswered.
 */
final class HttpInOrder extends ChannelDuplexHandler {

    /** More requests than this sent ahead of their answers: not a browser; the connection is closed. */
    static final int MAX_WAITING = 32;

    private final ArrayDeque<FullHttpRequest> waiting = new ArrayDeque<>();
    private boolean answering;
    private boolean last; // the request being answered is the connection's last one (Connection: close)

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof FullHttpRequest request)) {
            ctx.fireChannelRead(msg);
            return;
        }
        if (last) {
            request.release(); // sent after a Connection: close
            return;
        }
        if (!answering) {
            answer(ctx, request);
            return;
        }
        if (waiting.size() >= MAX_WAITING) {
            request.release();
            ctx.close();
            return;
        }
        waiting.add(request);
        ctx.channel().config().setAutoRead(false);
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
        boolean ends = msg instanceof LastHttpContent; // a FullHttpResponse is one too
        boolean upgraded = msg instanceof HttpResponse response
                && response.status().equals(HttpResponseStatus.SWITCHING_PROTOCOLS);
        ctx.write(msg, promise);
        if (ends || upgraded) {
            // Not from inside this write: the next request is handed on as a task of its own.
            ctx.executor().execute(() -> answered(ctx, upgraded));
        }
    }

    private void answer(ChannelHandlerContext ctx, FullHttpRequest request) {
        answering = true;
        last = !HttpUtil.isKeepAlive(request);
        ctx.fireChannelRead(request);
    }

    private void answered(ChannelHandlerContext ctx, boolean upgraded) {
        answering = false;
        if (upgraded || last) {
            releaseWaiting();
        }
        FullHttpRequest next = waiting.poll();
        if (next != null) {
            answer(ctx, next);
        } else if (ctx.channel().isActive()) {
            ctx.channel().config().setAutoRead(true);
        }
    }

    private void releaseWaiting() {
        FullHttpRequest request;
        while ((request = waiting.poll()) != null) {
            ReferenceCountUtil.release(request);
        }
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        releaseWaiting();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        releaseWaiting();
        ctx.fireChannelInactive();
    }
}
