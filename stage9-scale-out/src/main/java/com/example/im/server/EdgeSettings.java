package com.example.im.server;

import com.example.im.config.Flags;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.Set;

/**
 * Stage 8's settings of the web edge (docs/08-web-edge.md): the HTTP port (pages, WebSocket, metrics, node list),
 * the key that signs login tokens, the development token issuer, and TLS.
 *
 * @param httpPort       the HTTP/WebSocket port; 0 picks a free one (tests do this)
 * @param authKey        the HMAC-SHA256 key login tokens are signed with, shared by every node (at least 32 bytes);
 *                       from {@code --auth-key} (base64) or the environment variable {@code IM_AUTH_KEY}
 * @param devTokenIssuer whether {@code POST /dev/token} hands a token for any uid to anyone who asks: for the demo
 *                       and development only — with it on, authentication proves nothing
 * @param tlsCert        PEM certificate chain for TLS on both ports; null: plain TCP and ws://
 * @param tlsKey         PEM private key (PKCS#8) of {@code tlsCert}; null exactly when tlsCert is
 * @param advertiseHttpHost stage 9: the host browsers and other nodes are told to use for this HTTP port
 *                       ({@code --advertise-http HOST:PORT}); null: the advertised TCP host (docs/09-scale-out.md,
 *                       "Advertised addresses")
 * @param advertiseHttpPort stage 9: the HTTP port they are told to use; 0: the bound one. Differs from it behind a
 *                       port mapping (a container's published port, a NAT)
 */
public record EdgeSettings(int httpPort, byte[] authKey, boolean devTokenIssuer, String tlsCert, String tlsKey,
                           String advertiseHttpHost, int advertiseHttpPort) {

    public static final int DEFAULT_HTTP_PORT = 8001;
    public static final int MIN_KEY_BYTES = 32;

    /** One random key per test JVM: tests sign their tokens with {@code forTests().authKey()}. */
    private static final byte[] TEST_KEY = randomKey();

    static final Set<String> FLAGS = Set.of("http-port", "auth-key", "tls-cert", "tls-key", "advertise-http");
    static final Set<String> SWITCHES = Set.of("dev-token-issuer");

    public EdgeSettings {
        if (httpPort < 0 || httpPort > 65535) {
            throw new IllegalArgumentException("http port must be 0..65535, got " + httpPort);
        }
        if (authKey == null || authKey.length < MIN_KEY_BYTES) {
            throw new IllegalArgumentException("logins are authenticated (docs/08-web-edge.md): give every node the same "
                    + "--auth-key (or IM_AUTH_KEY), base64 of at least " + MIN_KEY_BYTES + " random bytes, e.g. "
                    + "`head -c 32 /dev/urandom | base64`");
        }
        if (advertiseHttpPort < 0 || advertiseHttpPort > 65535) {
            throw new IllegalArgumentException("advertised http port must be 0..65535, got " + advertiseHttpPort);
        }
        if (advertiseHttpHost != null && (advertiseHttpHost.isBlank()
                || com.example.im.config.HostPort.isWildcard(advertiseHttpHost))) {
            throw new IllegalArgumentException("--advertise-http names the address browsers dial, got '"
                    + advertiseHttpHost + "'");
        }
        if ((tlsCert == null) != (tlsKey == null)) {
            throw new IllegalArgumentException("TLS needs both --tls-cert and --tls-key (PEM files), or neither");
        }
        authKey = authKey.clone();
    }

    @Override
    public byte[] authKey() {
        return authKey.clone();
    }

    public boolean tls() {
        return tlsCert != null;
    }

    public EdgeSettings withHttpPort(int port) {
        return new EdgeSettings(port, authKey, devTokenIssuer, tlsCert, tlsKey, advertiseHttpHost, advertiseHttpPort);
    }

    public EdgeSettings withDevTokenIssuer(boolean on) {
        return new EdgeSettings(httpPort, authKey, on, tlsCert, tlsKey, advertiseHttpHost, advertiseHttpPort);
    }

    public EdgeSettings withTls(String certPem, String keyPem) {
        return new EdgeSettings(httpPort, authKey, devTokenIssuer, certPem, keyPem, advertiseHttpHost,
                advertiseHttpPort);
    }

    /** Stage 9: the HTTP address to advertise; null host: the TCP advertised host; port 0: the bound one. */
    public EdgeSettings withAdvertisedHttp(String host, int port) {
        return new EdgeSettings(httpPort, authKey, devTokenIssuer, tlsCert, tlsKey, host, port);
    }

    public EdgeSettings withAuthKey(byte[] key) {
        return new EdgeSettings(httpPort, key, devTokenIssuer, tlsCert, tlsKey, advertiseHttpHost, advertiseHttpPort);
    }

    /** A free HTTP port, this JVM's test key, no token issuer, no TLS. */
    public static EdgeSettings forTests() {
        return new EdgeSettings(0, TEST_KEY, false, null, null, null, 0);
    }

    public static EdgeSettings fromFlags(Flags flags) {
        String key = flags.get("auth-key", System.getenv("IM_AUTH_KEY"));
        byte[] decoded;
        try {
            decoded = key == null ? null : Base64.getDecoder().decode(key.trim());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--auth-key (or IM_AUTH_KEY) is not base64: " + e.getMessage());
        }
        String advertised = flags.get("advertise-http", null);
        // HOST:PORT, HOST, or :PORT (the TCP advertised host, another port: a port mapping on the same host).
        com.example.im.config.HostPort http = advertised == null ? new com.example.im.config.HostPort(null, 0)
                : com.example.im.config.HostPort.parse("--advertise-http", advertised, true);
        return new EdgeSettings(flags.getInt("http-port", DEFAULT_HTTP_PORT), decoded,
                Boolean.parseBoolean(flags.get("dev-token-issuer", "false")), flags.get("tls-cert", null),
                flags.get("tls-key", null), http.host(), http.port());
    }

    /** By content: a record compares arrays by identity, and the key is a copy each time. */
    @Override
    public boolean equals(Object o) {
        return o instanceof EdgeSettings e && httpPort == e.httpPort && java.util.Arrays.equals(authKey, e.authKey)
                && devTokenIssuer == e.devTokenIssuer && java.util.Objects.equals(tlsCert, e.tlsCert)
                && java.util.Objects.equals(tlsKey, e.tlsKey)
                && java.util.Objects.equals(advertiseHttpHost, e.advertiseHttpHost)
                && advertiseHttpPort == e.advertiseHttpPort;
    }

    @Override
    public int hashCode() {
        return java.util.Objects.hash(httpPort, java.util.Arrays.hashCode(authKey), devTokenIssuer, tlsCert, tlsKey,
                advertiseHttpHost, advertiseHttpPort);
    }

    /** Never shows the key (a config may be logged). */
    @Override
    public String toString() {
        return "EdgeSettings[httpPort=" + httpPort + ", authKey=(" + authKey.length + " bytes), devTokenIssuer="
                + devTokenIssuer + ", tlsCert=" + tlsCert + ", tlsKey=" + tlsKey + ", advertiseHttpHost=" + advertiseHttpHost
                + ", advertiseHttpPort=" + advertiseHttpPort + "]";
    }

    /** 32 random bytes, base64: a fresh key (the demo makes one at every start). */
    public static String newKeyBase64() {
        return Base64.getEncoder().encodeToString(randomKey());
    }

    private static byte[] randomKey() {
        byte[] key = new byte[MIN_KEY_BYTES];
        new SecureRandom().nextBytes(key);
        return key;
    }
}
