package com.example.im.auth;

import java.nio.charset.StandardCharsets;
import java.security.InvalidKeyException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.Base64;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Login tokens (docs/08-web-edge.md, "Tokens"): {@code v1.<uid, base64url>.<expiry, epoch seconds>.<HMAC-SHA256 of
 * everything before the last dot, base64url>}, signed with the key every node shares. A node checks a token with the
 * key alone — no call to the issuer, no state — so a token cannot be revoked before it expires.
 */
public final class Tokens {

    private static final String VERSION = "v1";
    private static final Base64.Encoder B64 = Base64.getUrlEncoder().withoutPadding();
    private static final Base64.Decoder B64D = Base64.getUrlDecoder();
    /** Longest token accepted (a uid of 32 characters gives about 100). */
    public static final int MAX_LENGTH = 512;

    private final SecretKeySpec key;

    public Tokens(byte[] key) {
        this.key = new SecretKeySpec(key, "HmacSHA256");
    }

    /** A token for {@code uid}, valid until {@code expiresAt} (rounded down to the second). */
    public String issue(String uid, Instant expiresAt) {
        String payload = VERSION + "." + B64.encodeToString(uid.getBytes(StandardCharsets.UTF_8)) + "."
                + expiresAt.getEpochSecond();
        return payload + "." + B64.encodeToString(mac(payload));
    }

    /** Why a token was refused, or OK. */
    public enum Verdict { OK, MISSING, MALFORMED, FORGED, EXPIRED, OTHER_UID }

    /** The outcome, with a message for the client (it never contains the token). */
    public record Check(Verdict verdict, String message) {
        public boolean ok() {
            return verdict == Verdict.OK;
        }
    }

    /** Checks that {@code token} is ours (signature), unexpired at {@code now}, and names {@code uid}. */
    public Check verify(String token, String uid, Instant now) {
        if (token == null || token.isEmpty()) {
            return new Check(Verdict.MISSING, "a login needs a token (stage 8): get one from your token issuer");
        }
        String[] parts = token.length() > MAX_LENGTH ? new String[0] : token.split("\\.", -1);
        if (parts.length != 4 || !parts[0].equals(VERSION)) {
            return new Check(Verdict.MALFORMED, "the token is not a v1 token");
        }
        byte[] signature;
        String tokenUid;
        long expiry;
        try {
            signature = B64D.decode(parts[3]);
            tokenUid = new String(B64D.decode(parts[1]), StandardCharsets.UTF_8);
            expiry = Long.parseLong(parts[2]);
        } catch (IllegalArgumentException e) {
            return new Check(Verdict.MALFORMED, "the token is not a v1 token");
        }
        // The signature first, compared in constant time: nothing about a forged token is believed.
        byte[] expected = mac(parts[0] + "." + parts[1] + "." + parts[2]);
        if (!MessageDigest.isEqual(expected, signature)) {
            return new Check(Verdict.FORGED, "the token's signature does not match (forged, or signed with another key)");
        }
        if (now.getEpochSecond() >= expiry) {
            return new Check(Verdict.EXPIRED, "the token expired at " + Instant.ofEpochSecond(expiry));
        }
        if (!tokenUid.equals(uid)) {
            return new Check(Verdict.OTHER_UID, "the token is for another uid");
        }
        return new Check(Verdict.OK, "");
    }

    private byte[] mac(String payload) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(key);
            return mac.doFinal(payload.getBytes(StandardCharsets.US_ASCII));
        } catch (NoSuchAlgorithmException | InvalidKeyException e) {
            throw new IllegalStateException("HmacSHA256 is part of every JDK", e);
        }
    }
}
