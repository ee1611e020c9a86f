package com.example.im.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.example.im.config.Flags;
import org.junit.jupiter.api.Test;

/** {@code --tls-trust} (docs/08-web-edge.md, "TLS"): parsed, kept by every with-method, and checked at connect. */
class ClientConfigTlsTest {

    @Test
    void tlsTrustIsAFlagAndSurvivesTheOtherSettings() {
        ClientConfig config = ClientConfig.fromFlags(Flags.parse(new String[] {"--tls-trust", "certs/cert.pem",
                "--ping-interval-ms", "1000", "--reader-idle-ms", "3000"}, ClientConfig.FLAGS));
        assertThat(config.tlsTrust()).isEqualTo("certs/cert.pem");
        assertThat(config.withHeartbeat(2_000, 6_000).withBackoff(10, 100).withReconnect(false).tlsTrust())
                .isEqualTo("certs/cert.pem");
        assertThat(ClientConfig.of("127.0.0.1", 7001).tlsTrust()).isNull(); // plain TCP unless asked
    }

    @Test
    void aTrustFileThatCannotBeReadIsAClearErrorBeforeAnyConnection() {
        ClientConfig config = ClientConfig.of("127.0.0.1", 1).withTlsTrust("no/such/cert.pem");
        assertThatThrownBy(() -> ChatClient.connect(config, new Recorder()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("cannot read the certificate to trust, no/such/cert.pem");
    }
}
