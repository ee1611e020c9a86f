package com.example.im.tls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.example.im.server.ChatServer;
import com.example.im.server.EdgeSettings;
import com.example.im.server.ServerConfig;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;

/**
 * A real Chromium trusts the node's self-signed certificate, and only it, through its SPKI hash
 * (docs/08-web-edge.md, "TLS"): {@code --ignore-certificate-errors-spki-list=<SelfSignedCertificate.spkiSha256()>}.
 * With the hash of another certificate the page does not load.
 */
class BrowserTrustTest {

    private static final Path CHROMIUM = Path.of("/usr/bin/chromium");
    private static final Path CHROMEDRIVER = Path.of("/usr/bin/chromedriver");

    @TempDir
    Path dir;

    @Test
    void chromiumTrustsExactlyTheCertificateWhoseSpkiHashItIsGiven() throws Exception {
        assumeTrue(Files.isExecutable(CHROMIUM) && Files.isExecutable(CHROMEDRIVER),
                "needs Debian's chromium and chromium-driver (apt-get install chromium chromium-driver)");
        SelfSignedCertificate cert = SelfSignedCertificate.generate(dir.resolve("node"), List.of());
        SelfSignedCertificate other = SelfSignedCertificate.generate(dir.resolve("other"), List.of());
        try (ChatServer node = ChatServer.start(ServerConfig.forTests().withEdge(EdgeSettings.forTests()
                .withTls(cert.cert().toString(), cert.key().toString())))) {
            String url = "https://localhost:" + node.httpAddress().getPort() + "/api/nodes";
            assertThat(pageSource(url, cert.spkiSha256())).contains("\"self\":\"" + node.nodeId() + "\"");
            assertThat(pageSource(url, other.spkiSha256())).doesNotContain("\"self\"");
        }
    }

    private String pageSource(String url, String spki) {
        ChromeOptions options = new ChromeOptions()
                .setBinary(CHROMIUM.toFile())
                .addArguments("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                        "--ignore-certificate-errors-spki-list=" + spki);
        ChromeDriverService service = new ChromeDriverService.Builder()
                .usingDriverExecutable(new File(CHROMEDRIVER.toString()))
                .usingAnyFreePort()
                .build();
        ChromeDriver browser = new ChromeDriver(service, options);
        try {
            browser.manage().timeouts().pageLoadTimeout(Duration.ofSeconds(20));
            browser.get(url);
            return browser.getPageSource();
        } finally {
            browser.quit();
        }
    }
}
