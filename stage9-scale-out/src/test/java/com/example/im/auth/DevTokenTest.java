package com.example.im.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.example.im.config.Flags;
import java.time.Instant;
import java.util.Base64;
import java.util.Set;
import org.junit.jupiter.api.Test;

class DevTokenTest {

    private static final Set<String> FLAGS = Set.of("auth-key", "uid", "ttl-seconds");

    @Test
    void printsATokenTheNodesAccept() {
        Instant now = Instant.now();
        String token = DevToken.token(Flags.parse(new String[] {"--auth-key", TestTokens.KEY_BASE64, "--uid", "alice",
                "--ttl-seconds", "60"}, FLAGS), now);
        Tokens nodes = new Tokens(Base64.getDecoder().decode(TestTokens.KEY_BASE64));
        assertThat(nodes.verify(token, "alice", now).ok()).isTrue();
        assertThat(nodes.verify(token, "alice", now.plusSeconds(61)).verdict()).isEqualTo(Tokens.Verdict.EXPIRED);
    }

    @Test
    void saysItIsForDevelopmentAndRefusesBadFlags() {
        assertThat(DevToken.USAGE).contains("DEVELOPMENT ONLY");
        assertThatThrownBy(() -> DevToken.token(Flags.parse(new String[] {"--auth-key", "c2hvcnQ=", "--uid", "a"},
                FLAGS), Instant.now())).hasMessageContaining("at least 32 bytes");
        assertThatThrownBy(() -> DevToken.token(Flags.parse(new String[] {"--auth-key", TestTokens.KEY_BASE64,
                "--uid", "no way"}, FLAGS), Instant.now())).hasMessageContaining("--uid");
    }
}
