package com.example.im.testkit;

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
 *   <li>{@code auto} (default): containers when a Docker engine answers, otherwise local.
 * </ul>
 *
 * <p>Either way the tests talk to a real server over a real socket. The choice is logged once per JVM.
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
        String value = setting == null ? "auto" : setting.trim().toLowerCase(Locale.ROOT);
        Backend backend = switch (value) {
            case "", "auto" -> dockerAvailable() ? Backend.CONTAINERS : Backend.LOCAL;
            case "containers" -> Backend.CONTAINERS;
            case "local" -> Backend.LOCAL;
            default -> throw new IllegalArgumentException(
                    "-D" + PROPERTY + "=" + setting + " is not one of auto, containers, local");
        };
        log.info("test infrastructure: {} (-D{}={})", backend.name().toLowerCase(Locale.ROOT), PROPERTY, value);
        return backend;
    }

    /**
     * {@code -Dim.pull=never}: use only images already in the engine (CI builds them locally and no registry is
     * reachable); otherwise Testcontainers' default (pull when missing).
     */
    static ImagePullPolicy pullPolicy() {
        if ("never".equals(System.getProperty("im.pull"))) {
            return image -> false;
        }
        return PullPolicy.defaultPolicy();
    }

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
