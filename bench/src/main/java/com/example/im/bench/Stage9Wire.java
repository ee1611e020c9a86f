package com.example.im.bench;

import com.google.protobuf.ByteString;
import com.google.protobuf.UnknownFieldSet;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.Base64;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * What a stage 8/9 client needs that bench's stage 6 classes lack: the login token ({@code Login.token}, field 3,
 * written by number as {@link Stage7Wire} writes stage 7's fields) and the token itself, signed as stage 9's
 * {@code com.example.im.auth.Tokens} signs it ({@code v1.<uid, base64url>.<expiry>.<HMAC-SHA256, base64url>}, see
 * docs/08-web-edge.md, "Tokens"): the nodes the bench forks get the same random key through {@code IM_AUTH_KEY}.
 */
final class Stage9Wire {

    static final int LOGIN_TOKEN = 3; // Login.token

    private static final Base64.Encoder B64 = Base64.getUrlEncoder().withoutPadding();

    private final byte[] key;

    private Stage9Wire(byte[] key) {
        this.key = key.clone();
    }

    /** A fresh random 32-byte key. */
    static Stage9Wire randomKey() {
        byte[] key = new byte[32];
        new SecureRandom().nextBytes(key);
        return new Stage9Wire(key);
    }

    static Stage9Wire withKey(byte[] key) {
        return new Stage9Wire(key);
    }

    /** The key as {@code IM_AUTH_KEY} / {@code --auth-key} take it (standard base64). */
    String keyBase64() {
        return Base64.getEncoder().encodeToString(key);
    }

    /** A token for {@code uid}, valid for a day. */
    String token(String uid) {
        String payload = "v1." + B64.encodeToString(uid.getBytes(StandardCharsets.UTF_8)) + "."
                + Instant.now().plusSeconds(86_400).getEpochSecond();
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key, "HmacSHA256"));
            return payload + "." + B64.encodeToString(mac.doFinal(payload.getBytes(StandardCharsets.US_ASCII)));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is part of every JDK", e);
        }
    }

    /** {@code token} as the unknown field a stage 6 {@code Login} builder merges in. */
    static UnknownFieldSet loginField(String token) {
        return UnknownFieldSet.newBuilder().addField(LOGIN_TOKEN, UnknownFieldSet.Field.newBuilder()
                .addLengthDelimited(ByteString.copyFromUtf8(token)).build()).build();
    }
}
