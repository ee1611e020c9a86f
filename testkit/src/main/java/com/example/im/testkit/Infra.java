package com.example.im.testkit;

import java.time.Duration;
import java.util.List;
import java.util.Locale;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.images.ImagePullPolicy;
import org.testcontainers.images.PullPolicy;

/**
 * Chooses where the test servers come from: {@code -Dim.infra=auto|containers|local}.
 *
 * <ul>
 *   <li>{@code containers}: Testcontainers, pinned image tags ({@link #REDIS_IMAGE}, {@link #ZOOKEEPER_IMAGE}, and
 *       {@link #JRE_IMAGE} for a stage's own jar);
 *   <li>{@code local}: real servers on this machine (curator-test's in-JVM ZooKeeper, a {@code redis-server} process,
 *       a stage's jar as a forked {@code java -jar} process);
 *   <li>{@code auto} (default): containers when a Docker engine answers and the pinned images are usable (in the
 *       engine already, or pulled within {@link #IMAGE_CHECK_BUDGET}); otherwise local, with a WARN line saying why
 *       when an engine answered but an image was not usable (no registry reachable, say).
 * </ul>
 *
 * <p>Either way the tests talk to a real server over a real socket. The choice is made and logged once per JVM.
 */
public final class Infra {

    /** Pinned tags: a test run must not change because an image moved under {@code latest}. */
    public static final String REDIS_IMAGE = "redis:7.0.15";
    public static final String ZOOKEEPER_IMAGE = "zookeeper:3.9.3";
    /** The JRE a stage's own jar runs on in a container ({@link StageJar}): Java 17, the release the stages target. */
    public static final String JRE_IMAGE = "eclipse-temurin:17-jre";

    public static final String PROPERTY = "im.infra";

    /** Where the fixtures of this JVM come from. */
    public enum Backend { CONTAINERS, LOCAL }

    private static final Logger log = LoggerFactory.getLogger(Infra.class);
    private static volatile Backend chosen;

    /** How long auto may spend finding out whether the images are usable, pulls included. */
    static final Duration IMAGE_CHECK_BUDGET = Duration.ofSeconds(60);

    private Infra() {
    }

    /** The backend for this JVM, resolved from {@code im.infra} on first use. */
    public static Backend backend() {
        Backend b = chosen;
        if (b == null) {
            synchronized (Infra.class) {
                if (chosen == null) {
                    chosen = resolve(System.getProperty(PROPERTY, "auto"));
                }
                b = chosen;
            }
        }
        return b;
    }

    static Backend resolve(String setting) {
        return resolve(setting, List.of(REDIS_IMAGE, ZOOKEEPER_IMAGE, JRE_IMAGE));
    }

    /**
     * Resolves {@code setting} against this machine: asks for a Docker engine and checks {@code images} only when the
     * setting is {@code auto}, then applies {@link #decide} and logs the outcome.
     */
    static Backend resolve(String setting, List<String> images) {
        Setting parsed = Setting.parse(setting);
        boolean docker = parsed == Setting.AUTO && dockerAvailableWithin(ENGINE_PROBE_BUDGET);
        ImageCheck check = docker
                ? ImageCheck.run(ImageCheck.asPulled(images), mayPull(), IMAGE_CHECK_BUDGET, ImageCheck.docker())
                : ImageCheck.NOT_CHECKED;
        Decision decision = decide(parsed, docker, check);
        if (decision.warning() != null) {
            log.warn(decision.warning());
        }
        log.info("test infrastructure: {} (-D{}={}{})", decision.backend().name().toLowerCase(Locale.ROOT), PROPERTY,
                parsed.name().toLowerCase(Locale.ROOT), decision.reason().isEmpty() ? "" : ": " + decision.reason());
        return decision.backend();
    }

    /** What {@code -Dim.infra} says. */
    enum Setting {
        AUTO, CONTAINERS, LOCAL;

        static Setting parse(String setting) {
            String value = setting == null ? "auto" : setting.trim().toLowerCase(Locale.ROOT);
            return switch (value) {
                case "", "auto" -> AUTO;
                case "containers" -> CONTAINERS;
                case "local" -> LOCAL;
                default -> throw new IllegalArgumentException(
                        "-D" + PROPERTY + "=" + setting + " is not one of auto, containers, local");
            };
        }
    }

    /**
     * The outcome of {@link #decide}.
     *
     * @param reason  why, for the log line ("" when the setting alone decided)
     * @param warning the WARN line to log, or null: set when auto passed over an engine that answered
     */
    record Decision(Backend backend, String reason, String warning) {
    }

    /**
     * The rule, with no I/O: {@code containers} and {@code local} are obeyed as they are (containers never falls back;
     * its fixtures fail with advice when the engine or an image is missing); {@code auto} picks containers only when
     * a Docker engine answers and the images are usable, else local servers, with a warning when it was the images.
     *
     * @param dockerAvailable whether a Docker engine answered (only asked for auto)
     * @param images          the image check; {@link ImageCheck#NOT_CHECKED} unless auto found an engine
     */
    static Decision decide(Setting setting, boolean dockerAvailable, ImageCheck images) {
        if (setting == Setting.CONTAINERS) {
            return new Decision(Backend.CONTAINERS, "", null);
        }
        if (setting == Setting.LOCAL) {
            return new Decision(Backend.LOCAL, "", null);
        }
        if (!dockerAvailable) {
            return new Decision(Backend.LOCAL, "no Docker engine answered", null);
        }
        return switch (images.state()) {
            case USABLE -> new Decision(Backend.CONTAINERS, "a Docker engine answered and the images are usable", null);
            case UNUSABLE -> new Decision(Backend.LOCAL, "image " + images.image() + " is not usable",
                    "Docker answers but image " + images.image() + " " + images.problem() + "; using local servers. "
                            + "Use -D" + PROPERTY + "=containers to insist, or configure a registry mirror: "
                            + "see README 'Setup behind a firewall'");
            case NOT_CHECKED -> throw new IllegalArgumentException(
                    "-D" + PROPERTY + "=auto with a Docker engine needs the image check");
        };
    }

    /** False under {@code -Dim.pull=never}. */
    static boolean mayPull() {
        return !"never".equals(System.getProperty("im.pull"));
    }

    /**
     * {@code -Dim.pull=never}: use only images already in the engine (CI builds them locally and no registry is
     * reachable); otherwise Testcontainers' default (pull when missing).
     */
    static ImagePullPolicy pullPolicy() {
        if (!mayPull()) {
            return image -> false;
        }
        return PullPolicy.defaultPolicy();
    }

    /**
     * {@link #dockerAvailable} bounded: Testcontainers' ping has no read timeout, so an engine socket that accepts and
     * never answers (a wedged Docker Desktop, a stale podman socket) would hang auto, and every test, for ever.
     */
    static boolean dockerAvailableWithin(Duration budget) {
        java.util.concurrent.FutureTask<Boolean> probe = new java.util.concurrent.FutureTask<>(Infra::dockerAvailable);
        Thread thread = new Thread(probe, "im-docker-probe");
        thread.setDaemon(true);
        thread.start();
        try {
            return probe.get(budget.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.TimeoutException e) {
            log.warn("no answer from the Docker engine within {} s; using local servers", budget.toSeconds());
            return false;
        } catch (java.util.concurrent.ExecutionException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** How long auto waits for a Docker engine to answer at all (before the image check). */
    static final Duration ENGINE_PROBE_BUDGET = Duration.ofSeconds(20);

    /** True when Testcontainers finds a Docker-compatible engine that answers. */
    public static boolean dockerAvailable() {
        try {
            return DockerClientFactory.instance().isDockerAvailable();
        } catch (RuntimeException | LinkageError e) {
            return false;
        }
    }

    /** The message every containers-backend failure carries, so a reader knows what to do next. */
    static String noDockerAdvice(String what) {
        return "Cannot start " + what + " with -D" + PROPERTY + "=containers: no Docker engine answered. "
                + "Start Docker (or podman's Docker-compatible socket and DOCKER_HOST), "
                + "or run the tests on local servers with -D" + PROPERTY + "=local.";
    }
}
