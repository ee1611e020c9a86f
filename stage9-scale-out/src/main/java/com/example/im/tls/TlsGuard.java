package com.example.im.tls;

import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.ssl.NotSslRecordException;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import io.netty.channel.ChannelPipeline;
import java.nio.channels.ClosedChannelException;
import javax.net.ssl.SSLException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sits right above a server connection's {@link SslHandler} (docs/08-web-edge.md, "TLS"). A peer that speaks plain
 * text to a TLS port, does not trust our certificate, or never finishes its handshake is routine on the internet: it
 * is closed with one info line, no stack trace, and nothing above this handler hears of it (the session handlers
 * never saw a login, so there is nothing to clean up).
 */
public final class TlsGuard extends ChannelDuplexHandler {

    private static final Logger log = LoggerFactory.getLogger(TlsGuard.class);

    private boolean reported;

    /** Adds {@code tls} (nearest the socket, with the handshake bounded) and this guard to an empty pipeline. */
    public static void install(ChannelPipeline p, SslContext ssl) {
        SslHandler handler = ssl.newHandler(p.channel().alloc());
        handler.setHandshakeTimeoutMillis(ServerTls.HANDSHAKE_TIMEOUT_MILLIS);
        p.addLast("tls", handler);
        p.addLast("tls-guard", new TlsGuard());
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object event) throws Exception {
        if (event instanceof SslHandshakeCompletionEvent done && !done.isSuccess()) {
            closeQuietly(ctx, done.cause());
            return;
        }
        ctx.fireUserEventTriggered(event);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (isTlsFailure(cause)) {
            closeQuietly(ctx, cause);
        } else {
            ctx.fireExceptionCaught(cause);
        }
    }

    private void closeQuietly(ChannelHandlerContext ctx, Throwable cause) {
        if (!reported) {
            reported = true;
            log.info("closing {}: TLS failed: {}", ctx.channel().remoteAddress(), describe(cause));
        }
        ctx.close();
    }

    static boolean isTlsFailure(Throwable cause) {
        for (Throwable t = cause; t != null; t = t.getCause()) {
            if (t instanceof NotSslRecordException || t instanceof SSLException) {
                return true;
            }
        }
        return false;
    }

    /** One line: "not a TLS record (a plain-text client?)", "SSLHandshakeException: Received fatal alert: ...". */
    static String describe(Throwable cause) {
        Throwable root = cause;
        for (Throwable t = cause; t != null; t = t.getCause()) {
            if (t instanceof NotSslRecordException) {
                return "not a TLS record (a plain-text client?)";
            }
            if (t instanceof SSLException && t.getMessage() != null) {
                return t.getClass().getSimpleName() + ": " + shorten(t.getMessage());
            }
            root = t;
        }
        if (root instanceof ClosedChannelException) {
            return "the peer closed the connection during the handshake (does it trust our certificate?)";
        }
        return root.getClass().getSimpleName() + (root.getMessage() == null ? "" : ": " + shorten(root.getMessage()));
    }

    private static String shorten(String message) {
        return message.length() > 200 ? message.substring(0, 200) + "..." : message;
    }
}
