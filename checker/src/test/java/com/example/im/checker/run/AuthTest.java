package com.example.im.checker.run;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Base64;
import java.util.HashMap;
import java.util.Map;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.Test;

/** The checker's stage 8 tokens: chosen by the promise, in the stage's v1 format, signed with the run's key. */
class AuthTest {

    @Test
    void thePromiseTurnsTokensOn() {
        Map<String, String> promise = new HashMap<>(Map.of("main", "x.Main", "uses", "zk, redis"));
        assertThat(Stage.of("s", "s.jar", promise::get).auth()).isNull();
        promise.put("auth", "hmac");
        assertThat(Stage.of("s", "s.jar", promise::get).auth()).isNotNull();
        promise.put("auth", "password");
        assertThatThrownBy(() -> Stage.of("s", "s.jar", promise::get)).hasMessageContaining("hmac");
    }

    @Test
    void aTokenNamesTheUidAnExpiryAndCarriesTheKeysSignature() throws Exception {
        Auth auth = Auth.of("hmac");
        byte[] key = Base64.getDecoder().decode(auth.keyBase64());
        assertThat(key).hasSize(32);
        String[] parts = auth.token("c07").split("\\.");
        assertThat(parts).hasSize(4);
        assertThat(parts[0]).isEqualTo("v1");
        assertThat(new String(Base64.getUrlDecoder().decode(parts[1]), StandardCharsets.UTF_8)).isEqualTo("c07");
        assertThat(Long.parseLong(parts[2])).isGreaterThan(Instant.now().getEpochSecond());
        Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(new SecretKeySpec(key, "HmacSHA256"));
        byte[] expected = mac.doFinal((parts[0] + "." + parts[1] + "." + parts[2]).getBytes(StandardCharsets.US_ASCII));
        assertThat(Base64.getUrlDecoder().decode(parts[3])).isEqualTo(expected);
        assertThat(Auth.of("hmac").keyBase64()).as("a new key per run").isNotEqualTo(auth.keyBase64());
    }
}
