package com.example.im.tls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.example.im.client.ChatClient;
import com.example.im.client.ClientConfig;
import com.example.im.client.NodeLocator;
import com.example.im.client.Recorder;
import com.example.im.server.ChatServer;
import com.example.im.server.EdgeSettings;
import com.example.im.server.ServerConfig;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The node's TLS files are checked at start, with a sentence for the operator (docs/08-web-edge.md, "TLS"). */
class ServerTlsTest {

    @TempDir
    Path dir;

    private static ServerConfig withTls(Path cert, Path key) {
        return ServerConfig.forTests().withEdge(EdgeSettings.forTests().withTls(cert.toString(), key.toString()));
    }

    @Test
    void aKeyThatIsNotTheCertificatesStopsTheStart() throws Exception {
        SelfSignedCertificate a = SelfSignedCertificate.generate(dir.resolve("a"), List.of());
        SelfSignedCertificate b = SelfSignedCertificate.generate(dir.resolve("b"), List.of());
        assertThatThrownBy(() -> ChatServer.start(withTls(a.cert(), b.key())))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("does not belong to the certificate in " + a.cert());
    }

    @Test
    void unreadableOrWrongFilesAreClearErrors() throws Exception {
        SelfSignedCertificate good = SelfSignedCertificate.generate(dir.resolve("good"), List.of());
        assertThatThrownBy(() -> ServerTls.context(dir.resolve("missing.pem"), good.key()))
                .hasMessageContaining("cannot read --tls-cert " + dir.resolve("missing.pem"));
        assertThatThrownBy(() -> ServerTls.context(good.cert(), dir.resolve("missing-key.pem")))
                .hasMessageContaining("cannot read --tls-key");
        // The key where the certificate should be, and the other way round.
        assertThatThrownBy(() -> ServerTls.context(good.key(), good.cert()))
                .hasMessageContaining("is not a PEM certificate chain");
        assertThatThrownBy(() -> ServerTls.context(good.cert(), good.cert()))
                .hasMessageContaining("no PEM private key in");
        // An OpenSSL "traditional" key (not PKCS#8): says how to convert it.
        Path traditional = dir.resolve("ec.pem");
        Files.writeString(traditional, "-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIA==\n-----END EC PRIVATE KEY-----\n",
                StandardCharsets.US_ASCII);
        assertThatThrownBy(() -> ServerTls.context(good.cert(), traditional))
                .hasMessageContaining("unencrypted PKCS#8").hasMessageContaining("openssl pkcs8 -topk8");
        assertThat(ServerTls.context(good.cert(), good.key()).isServer()).isTrue();
    }

    @Test
    void aCertificateThatDoesNotNameTheHostDialledIsRefusedEvenWhenTrusted() throws Exception {
        SelfSignedCertificate elsewhere = SelfSignedCertificate.generateExactly(dir.resolve("elsewhere"),
                Set.of("chat.example.invalid"));
        try (ChatServer node = ChatServer.start(withTls(elsewhere.cert(), elsewhere.key()))) {
            int port = node.localAddress().getPort();
            ClientConfig config = ClientConfig.of("127.0.0.1", port).withReconnect(false)
                    .withTlsTrust(elsewhere.cert().toString());
            assertThatThrownBy(() -> ChatClient.connect(config, NodeLocator.fixed("127.0.0.1", port), null,
                    new Recorder()))
                    .hasMessageContaining("TLS handshake with 127.0.0.1:" + port + " failed")
                    .hasMessageContaining("No subject alternative names matching IP address 127.0.0.1");
            assertThat(node.sessions().size()).isZero();
        }
    }
}
