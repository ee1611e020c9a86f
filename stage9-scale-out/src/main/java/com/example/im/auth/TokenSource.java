package com.example.im.auth;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;

/**
 * Where a client gets the token of its next login (docs/08-web-edge.md, "Tokens"). Asked at every login, also at
 * each login after a reconnect, so a client whose token expired while it was connected logs in again with a fresh
 * one. May block for a bounded time (an HTTP call); throws {@link TokenUnavailable} when it has no token to give.
 */
@FunctionalInterface
public interface TokenSource {

    /** A token for {@code uid}; null or "" means "log in without one" (refused by a stage 8 node). */
    String tokenFor(String uid);

    /** Why there is no token: the message is for the user. */
    final class TokenUnavailable extends RuntimeException {
        public TokenUnavailable(String message) {
            super(message);
        }

        public TokenUnavailable(String message, Throwable cause) {
            super(message, cause);
        }
    }

    /** No token at all: every stage 8 node refuses the login (UNAUTHENTICATED). The default of a bare config. */
    static TokenSource none() {
        return uid -> "";
    }

    /** The same token every time (the console's {@code --token}): it works until it expires. */
    static TokenSource fixed(String token) {
        return uid -> token;
    }

    /**
     * Signs tokens here, with the nodes' key: for tests and tools that hold the key. A client that holds the key can
     * log in as anyone, so a real client never does this.
     */
    static TokenSource signing(byte[] key, Duration lifetime) {
        Tokens tokens = new Tokens(key);
        return uid -> tokens.issue(uid, Instant.now().plus(lifetime));
    }

    /**
     * Asks a node's development token issuer ({@code POST /dev/token {"uid": ...}}, see {@link DevTokenIssuer}) for
     * each login. FOR DEVELOPMENT ONLY: the issuer gives anyone a token for any uid. Each call is bounded by
     * {@code timeout}.
     */
    static TokenSource devIssuer(URI url, Duration timeout) {
        return new DevIssuerClient(url, timeout, null);
    }

    /** As {@link #devIssuer(URI, Duration)}, over https trusting {@code tls} (null: the JDK's default trust). */
    static TokenSource devIssuer(URI url, Duration timeout, javax.net.ssl.SSLContext tls) {
        return new DevIssuerClient(url, timeout, tls);
    }

    /** The client side of {@code POST /dev/token}. */
    final class DevIssuerClient implements TokenSource {

        private static final ObjectMapper JSON = new ObjectMapper();

        private final URI url;
        private final Duration timeout;
        private final HttpClient http;

        DevIssuerClient(URI url, Duration timeout, javax.net.ssl.SSLContext tls) {
            if (url.getScheme() == null || !url.getScheme().matches("https?")) {
                throw new IllegalArgumentException("a token URL is http:// or https://, got " + url);
            }
            this.url = url;
            this.timeout = timeout;
            HttpClient.Builder http = HttpClient.newBuilder().connectTimeout(timeout);
            if (tls != null) {
                http.sslContext(tls);
            }
            this.http = http.build();
        }

        @Override
        public String tokenFor(String uid) {
            String body = JSON.createObjectNode().put("uid", uid).toString();
            HttpRequest request = HttpRequest.newBuilder(url).timeout(timeout)
                    .header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8)).build();
            HttpResponse<String> response;
            try {
                response = http.send(request, HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
            } catch (IOException e) {
                throw new TokenUnavailable("the token issuer " + url + " cannot be reached: " + e, e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new TokenUnavailable("interrupted while asking " + url + " for a token", e);
            }
            if (response.statusCode() == 404) {
                throw new TokenUnavailable("the token issuer " + url + " answered 404: the node runs without "
                        + "--dev-token-issuer (or the URL is wrong); " + response.body().strip());
            }
            if (response.statusCode() != 200) {
                throw new TokenUnavailable("the token issuer " + url + " answered " + response.statusCode() + ": "
                        + response.body().strip());
            }
            try {
                JsonNode json = JSON.readTree(response.body());
                if (json == null || !json.path("token").isTextual()) {
                    throw new TokenUnavailable("the token issuer " + url + " answered without a token");
                }
                return json.get("token").asText();
            } catch (IOException e) {
                throw new TokenUnavailable("the token issuer " + url + " answered something that is not JSON", e);
            }
        }

        @Override
        public String toString() {
            return "dev token issuer " + url;
        }
    }
}
