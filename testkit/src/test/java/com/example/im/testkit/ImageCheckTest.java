package com.example.im.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.Test;

class ImageCheckTest {

    /** An engine in memory: the images it has, and what a pull does. */
    private static final class FakeEngine implements ImageCheck.Engine {
        final Set<String> present = new HashSet<>();
        final List<String> pulled = new ArrayList<>();
        Runnable onPull = () -> {
        };

        @Override
        public boolean has(String image) {
            return present.contains(image);
        }

        @Override
        public void pull(String image) {
            pulled.add(image);
            onPull.run();
            present.add(image);
        }
    }

    private static final List<String> IMAGES = List.of("redis:7.0.15", "zookeeper:3.9.3");
    private static final Duration BUDGET = Duration.ofSeconds(5);

    @Test
    void imagesInTheEngineAreUsableWithoutAPull() {
        FakeEngine engine = new FakeEngine();
        engine.present.addAll(IMAGES);
        assertThat(ImageCheck.run(IMAGES, false, BUDGET, engine)).isEqualTo(ImageCheck.USABLE);
        assertThat(engine.pulled).isEmpty();
    }

    @Test
    void aMissingImageIsPulledWhenPullsAreAllowed() {
        FakeEngine engine = new FakeEngine();
        engine.present.add("redis:7.0.15");
        assertThat(ImageCheck.run(IMAGES, true, BUDGET, engine)).isEqualTo(ImageCheck.USABLE);
        assertThat(engine.pulled).containsExactly("zookeeper:3.9.3");
    }

    @Test
    void aMissingImageUnderPullNeverIsUnusable() {
        FakeEngine engine = new FakeEngine();
        engine.present.add("redis:7.0.15");
        assertThat(ImageCheck.run(IMAGES, false, BUDGET, engine)).isEqualTo(ImageCheck.unusable("zookeeper:3.9.3",
                "is not in the engine, and -Dim.pull=never forbids pulling it"));
        assertThat(engine.pulled).isEmpty();
    }

    @Test
    void aFailedPullIsUnusableWithTheEnginesAnswer() {
        FakeEngine engine = new FakeEngine();
        engine.onPull = () -> {
            throw new IllegalStateException("Status 500: dial tcp: lookup registry-1.docker.io: i/o timeout\n");
        };
        assertThat(ImageCheck.run(IMAGES, true, BUDGET, engine)).isEqualTo(ImageCheck.unusable("redis:7.0.15",
                "could not be pulled (Status 500: dial tcp: lookup registry-1.docker.io: i/o timeout)"));
    }

    @Test
    void aPullThatHangsIsAbandonedWhenTheBudgetIsSpent() throws Exception {
        FakeEngine engine = new FakeEngine();
        CountDownLatch interrupted = new CountDownLatch(1);
        engine.onPull = () -> {
            try {
                Thread.sleep(Long.MAX_VALUE);
            } catch (InterruptedException e) {
                interrupted.countDown();
            }
        };
        long started = System.nanoTime();
        ImageCheck check = ImageCheck.run(IMAGES, true, Duration.ofMillis(300), engine);
        long tookMillis = (System.nanoTime() - started) / 1_000_000;

        assertThat(check).isEqualTo(ImageCheck.unusable("redis:7.0.15", "could not be pulled (no result within 300 ms)"));
        assertThat(tookMillis).isBetween(300L, 3_000L);
        assertThat(interrupted.await(5, java.util.concurrent.TimeUnit.SECONDS))
                .as("the abandoned pull is interrupted").isTrue();
    }

    /**
     * Against the Docker engine Testcontainers finds (CI's containers pass: podman): an image no registry can serve is
     * reported unusable within the bound, with and without pulls, and auto then resolves to local servers. Without
     * an engine (CI's main pass) the check reports unusable at once and auto is local: never a skip (.ci/run counts
     * skips as failures).
     */
    @Test
    void anImageNoRegistryServesIsUnusableWithinTheBoundAndAutoIsLocal() {
        boolean engine = Infra.dockerAvailable();
        List<String> missing = List.of("localhost:1/im-missing:0");

        long started = System.nanoTime();
        ImageCheck pulled = ImageCheck.run(missing, true, Infra.IMAGE_CHECK_BUDGET, ImageCheck.docker());
        ImageCheck present = ImageCheck.run(missing, false, Infra.IMAGE_CHECK_BUDGET, ImageCheck.docker());
        Infra.Backend auto = Infra.resolve("auto", missing);
        long tookSeconds = (System.nanoTime() - started) / 1_000_000_000;
        System.out.println("engine: " + engine + "; a pull of " + missing + ": " + pulled.problem());

        assertThat(pulled.state()).isEqualTo(ImageCheck.State.UNUSABLE);
        assertThat(pulled.image()).isEqualTo("localhost:1/im-missing:0");
        assertThat(auto).isEqualTo(Infra.Backend.LOCAL);
        assertThat(tookSeconds).isLessThan(3 * Infra.IMAGE_CHECK_BUDGET.toSeconds() + 5);
        if (!engine) {
            assertThat(pulled.problem()).startsWith("could not be checked (");
            assertThat(present.problem()).startsWith("could not be checked (");
            return;
        }
        assertThat(pulled.problem()).startsWith("could not be pulled (").doesNotContain("NullPointerException");
        assertThat(present).isEqualTo(ImageCheck.unusable("localhost:1/im-missing:0",
                "is not in the engine, and -Dim.pull=never forbids pulling it"));
        if (!Infra.mayPull()) {
            // -Dim.pull=never promises the pinned images are in the engine (CI builds them): the presence check,
            // with the engine's own short-name resolution, must find them.
            assertThat(ImageCheck.run(ImageCheck.asPulled(List.of(Infra.REDIS_IMAGE, Infra.ZOOKEEPER_IMAGE)), false,
                    Infra.IMAGE_CHECK_BUDGET, ImageCheck.docker())).isEqualTo(ImageCheck.USABLE);
        }
    }

    /**
     * A registry that accepts connections and never answers (what a filtering firewall can look like): the pull is
     * abandoned when the budget is spent, however long the engine would wait. (An engine in a VM, e.g. Docker
     * Desktop, sees another 127.0.0.1 and gets a refusal instead: unusable all the same. Without an engine: unusable
     * at once, "could not be checked".)
     */
    @Test
    void aPullFromARegistryThatNeverAnswersEndsWithTheBudget() throws Exception {
        try (ServerSocket silent = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            List<Socket> accepted = new CopyOnWriteArrayList<>();
            Thread acceptor = new Thread(() -> {
                try {
                    while (true) {
                        accepted.add(silent.accept());
                    }
                } catch (IOException closed) {
                    // the test is over
                }
            }, "silent-registry");
            acceptor.setDaemon(true);
            acceptor.start();
            String image = "127.0.0.1:" + silent.getLocalPort() + "/im-hang:0";

            long started = System.nanoTime();
            ImageCheck check = ImageCheck.run(List.of(image), true, Duration.ofSeconds(3), ImageCheck.docker());
            long tookMillis = (System.nanoTime() - started) / 1_000_000;
            System.out.println("a pull of " + image + ": " + check.problem() + " after " + tookMillis + " ms, "
                    + accepted.size() + " connection(s) accepted");

            assertThat(check.state()).isEqualTo(ImageCheck.State.UNUSABLE);
            assertThat(check.image()).isEqualTo(image);
            assertThat(tookMillis).isLessThan(3_000 + 2_000);
            for (Socket s : accepted) {
                s.close();
            }
        }
    }
}
