package com.example.im.checker.run;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Stage 8's login tokens, as the checker makes them ({@code auth = hmac} in the promise): a random key per run, given
 * to every node in {@code IM_AUTH_KEY}, and a fresh token per login, {@code v1.<uid, base64url>.<expiry, epoch
 * seconds>.<HMAC-SHA256 of everything before the last dot, base64url>} (docs/08-web-edge.md, "Tokens"). Written
 * here, not taken from the stage: the checker links no stage's code.
 */
public final class Auth {

    /** The environment variable a stage 8 node reads its key from (when it has no --auth-key). */
    public static final String ENV = "IM_AUTH_KEY";
    static final Duration LIFETIME = Duration.ofHours(1);
    private static final Base64.Encoder B64 = Base64.getUrlEncoder().withoutPadding();

    private final byte[] key;

    Auth(byte[] key) {
        this.key = key.clone();
    }

    /** {@code hmac}: a new random key; absent or {@code none}: null (no authentication). */
    static Auth of(String setting) {
        if (setting == null || setting.strip().equals("none")) {
            return null;
        }
        if (setting.strip().equals("hmac")) {
            byte[] key = new byte[32];
            new SecureRandom().nextBytes(key);
            return new Auth(key);
        }
        throw new IllegalArgumentException("auth = " + setting + ": expected 'none' or 'hmac'");
    }

    String keyBase64() {
        return Base64.getEncoder().encodeToString(key);
    }

    /** A token for {@code uid}, valid for {@link #LIFETIME}. */
    String token(String uid) {
        String payload = "v1." + B64.encodeToString(uid.getBytes(StandardCharsets.UTF_8)) + "."
                + Instant.now().plus(LIFETIME).getEpochSecond();
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key, "HmacSHA256"));
            return payload + "." + B64.encodeToString(mac.doFinal(payload.getBytes(StandardCharsets.US_ASCII)));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is part of every JDK", e);
        }
    }

    @Override
    public String toString() {
        return "hmac (a random key per run)";
    }
}
