package com.example.im.client;

import com.example.im.auth.TokenSource;
import com.example.im.config.Flags;
import java.net.URI;
import java.time.Duration;
import java.util.Set;

/**
 * Client settings (docs/03-heartbeat.md, "Why these numbers").
 *
 * @param pingIntervalMillis a ping is sent when the client has written nothing for this long (T, default 5 s)
 * @param readerIdleMillis   no frame from the server for this long (3T: three pongs missed) means the link is dead
 * @param backoffBaseMillis  first reconnect delay (then doubled each attempt, with jitter)
 * @param backoffMaxMillis   cap on the reconnect delay
 * @param maxPending         frames kept while reconnecting, sent after the new login; more are refused
 * @param reconnect          false: a lost connection ends the client (tests of server behaviour use this)
 * @param tokens             stage 8: where each login's token comes from, asked again at every (re)connect's login
 *                           (docs/08-web-edge.md, "Tokens"); {@link TokenSource#none()} unless set
 * @param tlsTrust           stage 8: a PEM file with the certificate(s) to trust; the client then speaks TLS and trusts
 *                           nothing else ({@code --tls-trust}, docs/08-web-edge.md, "TLS"); null: plain TCP
 */
public record ClientConfig(String host, int port, long pingIntervalMillis, long readerIdleMillis,
                           long backoffBaseMillis, long backoffMaxMillis, int maxPending, boolean reconnect,
                           TokenSource tokens, String tlsTrust) {

    public static final long DEFAULT_PING_INTERVAL_MILLIS = 5_000;
    public static final long DEFAULT_READER_IDLE_MILLIS = 15_000;
    public static final long DEFAULT_BACKOFF_BASE_MILLIS = 500;
    public static final long DEFAULT_BACKOFF_MAX_MILLIS = 30_000;
    public static final int DEFAULT_MAX_PENDING = 100;

    /** How long one request to a token issuer may take. */
    public static final Duration TOKEN_TIMEOUT = Duration.ofSeconds(3);

    static final Set<String> FLAGS = Set.of("host", "port", "ping-interval-ms", "reader-idle-ms", "backoff-max-ms",
            "zk", "strategy", "token", "token-url", "tls-trust");

    public ClientConfig {
        if (pingIntervalMillis < 1 || readerIdleMillis <= pingIntervalMillis) {
            throw new IllegalArgumentException("need 0 < ping interval < reader idle time, got ping "
                    + pingIntervalMillis + " ms, reader idle " + readerIdleMillis + " ms");
        }
        if (maxPending < 0) {
            throw new IllegalArgumentException("max pending must be >= 0, got " + maxPending);
        }
        new Backoff(backoffBaseMillis, backoffMaxMillis); // validates the backoff settings
        if (tokens == null) {
            throw new IllegalArgumentException("a token source is required (TokenSource.none() for none)");
        }
    }

    /** Without a token source (the logins carry no token) and without TLS. */
    public ClientConfig(String host, int port, long pingIntervalMillis, long readerIdleMillis, long backoffBaseMillis,
                        long backoffMaxMillis, int maxPending, boolean reconnect) {
        this(host, port, pingIntervalMillis, readerIdleMillis, backoffBaseMillis, backoffMaxMillis, maxPending,
                reconnect, TokenSource.none(), null);
    }

    public static ClientConfig of(String host, int port) {
        return new ClientConfig(host, port, DEFAULT_PING_INTERVAL_MILLIS, DEFAULT_READER_IDLE_MILLIS,
                DEFAULT_BACKOFF_BASE_MILLIS, DEFAULT_BACKOFF_MAX_MILLIS, DEFAULT_MAX_PENDING, true);
    }

    public static ClientConfig fromFlags(Flags flags) {
        ClientConfig d = of(flags.get("host", "127.0.0.1"), flags.getInt("port", 7001));
        return d.withHeartbeat(flags.getLong("ping-interval-ms", d.pingIntervalMillis),
                        flags.getLong("reader-idle-ms", d.readerIdleMillis))
                .withBackoff(d.backoffBaseMillis, flags.getLong("backoff-max-ms", d.backoffMaxMillis))
                .withTokens(tokensFromFlags(flags, flags.get("tls-trust", null)))
                .withTlsTrust(flags.get("tls-trust", null));
    }

    /** {@code --token TOKEN}, or {@code --token-url URL} (a development token issuer), not both. */
    static TokenSource tokensFromFlags(Flags flags, String tlsTrust) {
        String token = flags.get("token", null);
        String url = flags.get("token-url", null);
        if (token != null && url != null) {
            throw new IllegalArgumentException("give --token or --token-url, not both");
        }
        if (token != null) {
            return TokenSource.fixed(token);
        }
        if (url != null) {
            try {
                // An https issuer is trusted as the nodes are: exactly the --tls-trust certificate(s).
                return TokenSource.devIssuer(URI.create(url), TOKEN_TIMEOUT, tlsTrust == null || !url.startsWith("https:")
                        ? null : com.example.im.tls.ClientTls.jdkTrusting(java.nio.file.Path.of(tlsTrust)));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("--token-url: " + e.getMessage());
            }
        }
        return TokenSource.none();
    }

    public ClientConfig withHeartbeat(long pingMillis, long readerIdle) {
        return new ClientConfig(host, port, pingMillis, readerIdle, backoffBaseMillis, backoffMaxMillis, maxPending,
                reconnect, tokens, tlsTrust);
    }

    public ClientConfig withBackoff(long baseMillis, long maxMillis) {
        return new ClientConfig(host, port, pingIntervalMillis, readerIdleMillis, baseMillis, maxMillis, maxPending,
                reconnect, tokens, tlsTrust);
    }

    public ClientConfig withReconnect(boolean on) {
        return new ClientConfig(host, port, pingIntervalMillis, readerIdleMillis, backoffBaseMillis, backoffMaxMillis,
                maxPending, on, tokens, tlsTrust);
    }

    public ClientConfig withTokens(TokenSource source) {
        return new ClientConfig(host, port, pingIntervalMillis, readerIdleMillis, backoffBaseMillis, backoffMaxMillis,
                maxPending, reconnect, source, tlsTrust);
    }

    /** Stage 8: TLS, trusting only the certificate(s) in {@code pemFile} (null: plain TCP). */
    public ClientConfig withTlsTrust(String pemFile) {
        return new ClientConfig(host, port, pingIntervalMillis, readerIdleMillis, backoffBaseMillis, backoffMaxMillis,
                maxPending, reconnect, tokens, pemFile);
    }
}
