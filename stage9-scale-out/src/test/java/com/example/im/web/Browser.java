package com.example.im.web;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.Comparator;
import java.util.stream.Stream;
import org.openqa.selenium.Dimension;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;

/**
 * One headless Chromium for a test (docs/08-web-edge.md, "Tests"): Debian's browser and Debian's chromedriver, found
 * at fixed paths. Nothing is downloaded, ever: the driver executable and the browser binary are both given, so
 * Selenium Manager has nothing to look for and does not run. A machine without them fails the test loudly (the Maven
 * profile that runs the browser tests is only active where {@value #DRIVER} exists).
 *
 * <p>Each instance has its own fresh profile directory (deleted at {@link #close()}), so two browsers in one test are
 * two users with nothing shared. {@link #screenshot(String)} writes {@code target/screenshots/<name>.png}.
 */
public final class Browser implements AutoCloseable {

    public static final String DRIVER = "/usr/bin/chromedriver";
    public static final String CHROMIUM = "/usr/bin/chromium";
    public static final Path SCREENSHOTS = Path.of("target", "screenshots");

    private final Path profile;
    private final ChromeDriverService service;
    private final ChromeDriver driver;

    public Browser() {
        this(new String[0]);
    }

    /** With more Chromium flags (e.g. {@code --ignore-certificate-errors-spki-list=...} to trust one certificate). */
    public Browser(String... extraFlags) {
        for (String file : new String[] {DRIVER, CHROMIUM}) {
            if (!Files.isExecutable(Path.of(file))) {
                throw new IllegalStateException(file + " is missing: the browser tests need Debian's chromium and "
                        + "chromium-driver (apt-get install chromium chromium-driver)");
            }
        }
        try {
            profile = Files.createTempDirectory("im-chromium-");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        service = new ChromeDriverService.Builder()
                .usingDriverExecutable(new File(DRIVER))
                .usingAnyFreePort()
                .withSilent(true)
                .build();
        ChromeOptions options = new ChromeOptions();
        options.setBinary(CHROMIUM);
        options.addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--disable-dev-shm-usage", "--user-data-dir=" + profile.toAbsolutePath(), "--window-size=1280,800");
        options.addArguments(extraFlags);
        ChromeDriver started;
        try {
            started = new ChromeDriver(service, options);
        } catch (RuntimeException e) {
            service.stop();
            deleteProfile();
            throw e;
        }
        driver = started;
        driver.manage().window().setSize(new Dimension(1280, 800));
        driver.manage().timeouts().pageLoadTimeout(Duration.ofSeconds(30));
        driver.manage().timeouts().scriptTimeout(Duration.ofSeconds(30));
    }

    /** The Selenium driver, for everything else. */
    public ChromeDriver driver() {
        return driver;
    }

    /** Opens {@code url} (waits for the page's load event). */
    public Browser open(String url) {
        driver.get(url);
        return this;
    }

    /** Writes the current page to {@code target/screenshots/<name>.png} and returns that path. */
    public Path screenshot(String name) {
        try {
            Files.createDirectories(SCREENSHOTS);
            Path png = SCREENSHOTS.resolve(name + ".png");
            File taken = driver.getScreenshotAs(OutputType.FILE);
            Files.copy(taken.toPath(), png, StandardCopyOption.REPLACE_EXISTING);
            Files.deleteIfExists(taken.toPath());
            return png;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void close() {
        try {
            driver.quit();
        } finally {
            service.stop();
            deleteProfile();
        }
    }

    private void deleteProfile() {
        try (Stream<Path> files = Files.walk(profile)) {
            files.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
        } catch (IOException e) {
            // a leftover temp directory is not worth failing a test for
        }
    }
}
