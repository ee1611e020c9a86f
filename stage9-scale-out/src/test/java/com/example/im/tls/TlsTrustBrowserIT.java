package com.example.im.tls;

import static org.assertj.core.api.Assertions.assertThat;

import com.example.im.server.ChatServer;
import com.example.im.server.EdgeSettings;
import com.example.im.server.ServerConfig;
import com.example.im.web.Browser;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real Chromium trusts the node's self-signed certificate, and only it, through its SPKI hash
 * (docs/08-web-edge.md, "TLS"): {@code --ignore-certificate-errors-spki-list=<SelfSignedCertificate.spkiSha256()>}.
 * With the hash of another certificate the page does not load. A browser test (*BrowserIT): it runs where Debian's
 * chromium and chromium-driver are installed, as CI's are, and fails there rather than skip.
 */
class TlsTrustBrowserIT {

    @TempDir
    Path dir;

    @Test
    void chromiumTrustsExactlyTheCertificateWhoseSpkiHashItIsGiven() throws Exception {
        SelfSignedCertificate cert = SelfSignedCertificate.generate(dir.resolve("node"), List.of());
        SelfSignedCertificate other = SelfSignedCertificate.generate(dir.resolve("other"), List.of());
        try (ChatServer node = ChatServer.start(ServerConfig.forTests().withEdge(EdgeSettings.forTests()
                .withTls(cert.cert().toString(), cert.key().toString())))) {
            String url = "https://localhost:" + node.httpAddress().getPort() + "/api/nodes";
            assertThat(pageSource(url, cert.spkiSha256())).contains("\"self\":\"" + node.nodeId() + "\"");
            assertThat(pageSource(url, other.spkiSha256())).doesNotContain("\"self\"");
        }
    }

    private static String pageSource(String url, String spki) {
        try (Browser browser = new Browser("--ignore-certificate-errors-spki-list=" + spki)) {
            return browser.open(url).driver().getPageSource();
        }
    }
}
