package com.example.im.auth;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Base64;
import org.junit.jupiter.api.Test;

/** Tokens on their own: what is accepted, and every way a token is refused (docs/08-web-edge.md, "Tokens"). */
class TokensTest {

    private static final byte[] KEY = "0123456789abcdef0123456789abcdef".getBytes(StandardCharsets.US_ASCII);
    private static final Instant NOW = Instant.parse("2026-01-01T00:00:00Z");
    private final Tokens tokens = new Tokens(KEY);
    private final String good = tokens.issue("alice", NOW.plusSeconds(60));

    private Tokens.Verdict verdict(String token) {
        return tokens.verify(token, "alice", NOW).verdict();
    }

    private static String b64(String s) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(s.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void aTokenIsValidForItsUidUntilItExpires() {
        assertThat(tokens.verify(good, "alice", NOW).ok()).isTrue();
        assertThat(tokens.verify(good, "alice", NOW.plusSeconds(59)).ok()).isTrue();
        assertThat(tokens.verify(good, "alice", NOW.plusSeconds(60)).verdict()).isEqualTo(Tokens.Verdict.EXPIRED);
        assertThat(tokens.verify(good, "bob", NOW).verdict()).isEqualTo(Tokens.Verdict.OTHER_UID);
    }

    @Test
    void missingOrMalformedTokensAreRefused() {
        assertThat(verdict(null)).isEqualTo(Tokens.Verdict.MISSING);
        assertThat(verdict("")).isEqualTo(Tokens.Verdict.MISSING);
        assertThat(verdict("garbage")).isEqualTo(Tokens.Verdict.MALFORMED);
        assertThat(verdict(good + ".extra")).isEqualTo(Tokens.Verdict.MALFORMED);
        assertThat(verdict("v2" + good.substring(2))).as("another version").isEqualTo(Tokens.Verdict.MALFORMED);
        String[] parts = good.split("\\.");
        assertThat(verdict(parts[0] + "." + parts[1] + ".soon." + parts[3])).isEqualTo(Tokens.Verdict.MALFORMED);
        assertThat(verdict(parts[0] + "." + parts[1] + "." + parts[2] + ".!!!")).isEqualTo(Tokens.Verdict.MALFORMED);
        assertThat(verdict("v1." + "A".repeat(1_000_000) + ".1.A")).as("huge").isEqualTo(Tokens.Verdict.MALFORMED);
    }

    @Test
    void changingAnyPartBreaksTheSignature() {
        String[] parts = good.split("\\.");
        // Another uid, a later expiry, a flipped signature: all refused as forged, none believed.
        assertThat(verdict(parts[0] + "." + b64("mallory") + "." + parts[2] + "." + parts[3]))
                .isEqualTo(Tokens.Verdict.FORGED);
        assertThat(tokens.verify(parts[0] + "." + b64("mallory") + "." + parts[2] + "." + parts[3], "mallory", NOW)
                .verdict()).isEqualTo(Tokens.Verdict.FORGED);
        long later = Long.parseLong(parts[2]) + 3600;
        assertThat(verdict(parts[0] + "." + parts[1] + "." + later + "." + parts[3])).isEqualTo(Tokens.Verdict.FORGED);
        char last = parts[3].charAt(0);
        String flipped = (last == 'A' ? 'B' : 'A') + parts[3].substring(1);
        assertThat(verdict(parts[0] + "." + parts[1] + "." + parts[2] + "." + flipped))
                .isEqualTo(Tokens.Verdict.FORGED);
        byte[] otherKey = KEY.clone();
        otherKey[0] ^= 1;
        assertThat(verdict(new Tokens(otherKey).issue("alice", NOW.plusSeconds(60)))).isEqualTo(Tokens.Verdict.FORGED);
        // An expired forgery is reported as forged: nothing in it is believed, not even its expiry.
        assertThat(verdict(new Tokens(otherKey).issue("alice", NOW.minusSeconds(60)))).isEqualTo(Tokens.Verdict.FORGED);
    }

    @Test
    void messagesNeverContainTheToken() {
        for (String token : new String[] {good, "garbage", good + "x"}) {
            assertThat(tokens.verify(token, "bob", NOW.plusSeconds(120)).message()).doesNotContain(token);
        }
    }

    @Test
    void theSignatureIsComparedInConstantTime() throws Exception {
        // A timing side channel would let an attacker find a valid signature byte by byte; Arrays.equals or
        // String.equals return at the first difference, MessageDigest.isEqual does not.
        String source = Files.readString(Path.of("src/main/java/com/example/im/auth/Tokens.java"));
        assertThat(source).contains("MessageDigest.isEqual(expected, signature)");
        assertThat(source).doesNotContain("Arrays.equals");
    }
}
