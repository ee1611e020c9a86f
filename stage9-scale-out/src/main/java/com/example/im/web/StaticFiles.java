package com.example.im.web;

import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;

/**
 * The pages, served from the jar ({@code src/main/resources/web/}): no build step, no CDN, nothing fetched from
 * elsewhere. Only plain file names ({@code chat.js}, never {@code ../x} or {@code a/b}) are looked up, so a request
 * cannot reach anything else on the classpath.
 */
final class StaticFiles {

    private static final Pattern NAME = Pattern.compile("[a-z0-9][a-z0-9-]*\\.(html|js|css|png|svg|ico)");
    private static final Map<String, String> TYPES = Map.of(
            "html", "text/html; charset=utf-8", "js", "text/javascript; charset=utf-8",
            "css", "text/css; charset=utf-8", "png", "image/png", "svg", "image/svg+xml", "ico", "image/x-icon");
    /** Content Security Policy of every page: its own scripts only; WebSocket and fetch to the cluster's nodes. */
    static final String CSP = "default-src 'self'; img-src 'self' data:; connect-src 'self' ws: wss: http: https:; "
            + "object-src 'none'; base-uri 'none'; frame-ancestors 'none'";

    private final Map<String, byte[]> cache = new ConcurrentHashMap<>();

    /** The file's response, or null when there is no such file. */
    FullHttpResponse find(String path) {
        String name = path.equals("/") ? "chat.html" : path.substring(1);
        if (!NAME.matcher(name).matches()) {
            return null;
        }
        // Only files that exist are kept: a miss is looked up again next time, so a stranger asking for endless
        // made-up names cannot grow this map (the jar's files are few; the names one can ask for are not).
        byte[] body = cache.get(name);
        if (body == null) {
            body = load(name);
            if (body == null) {
                return null;
            }
            cache.putIfAbsent(name, body);
        }
        FullHttpResponse response = HttpRoutes.response(HttpResponseStatus.OK,
                TYPES.get(name.substring(name.lastIndexOf('.') + 1)), body);
        response.headers().set("Content-Security-Policy", CSP);
        return response;
    }

    /** How many files are cached (for tests). */
    int cachedNames() {
        return cache.size();
    }

    /** The file's bytes, or null when the jar has no such file. */
    private static byte[] load(String name) {
        try (InputStream in = StaticFiles.class.getResourceAsStream("/web/" + name)) {
            return in == null ? null : in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
