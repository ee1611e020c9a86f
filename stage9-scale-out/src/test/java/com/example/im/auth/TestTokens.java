package com.example.im.auth;

import com.example.im.client.ClientConfig;
import com.example.im.protocol.Login;
import com.example.im.server.EdgeSettings;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;

/**
 * Valid login tokens for tests (stage 8, docs/08-web-edge.md, "Tokens"): signed with this JVM's test key,
 * {@code EdgeSettings.forTests().authKey()}, which every in-process node uses and forked nodes get as
 * {@code --auth-key} ({@link #KEY_BASE64}).
 */
public final class TestTokens {

    private static final byte[] KEY = EdgeSettings.forTests().authKey();
    private static final Tokens TOKENS = new Tokens(KEY);

    /** The test key as the flag {@code --auth-key} takes it. */
    public static final String KEY_BASE64 = Base64.getEncoder().encodeToString(KEY);

    private TestTokens() {
    }

    /** A token for {@code uid}, valid for an hour. */
    public static String token(String uid) {
        return TOKENS.issue(uid, Instant.now().plus(Duration.ofHours(1)));
    }

    /** A login of {@code uid} with a valid token (add last_seq as needed). */
    public static Login.Builder login(String uid) {
        return Login.newBuilder().setUid(uid).setToken(token(uid));
    }

    /** Signs a fresh token at every login. */
    public static TokenSource source() {
        return TokenSource.signing(KEY, Duration.ofHours(1));
    }

    /** {@code ClientConfig.of(host, port)} with {@link #source()}. */
    public static ClientConfig client(String host, int port) {
        return ClientConfig.of(host, port).withTokens(source());
    }

    /** The flags that give a forked node the test key. */
    public static String[] nodeFlags() {
        return new String[] {"--auth-key", KEY_BASE64};
    }
}
