package com.example.im.testkit;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.async.ResultCallback;
import com.github.dockerjava.api.exception.NotFoundException;
import com.github.dockerjava.api.model.PullResponseItem;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.utility.DockerImageName;
import org.testcontainers.utility.ImageNameSubstitutor;

/**
 * Whether the images the containers backend needs are usable in the Docker engine that answered: present there, or
 * pulled within a time bound. {@code -Dim.infra=auto} asks this before choosing containers, so that an engine behind a
 * firewall (no registry reachable) means local servers, not tests failing on pulls.
 *
 * @param state   {@link State#USABLE}, {@link State#UNUSABLE}, or {@link State#NOT_CHECKED} (no engine to ask)
 * @param image   the image that is not usable, as the engine would be asked for it; null unless UNUSABLE
 * @param problem what went wrong with it, e.g. "could not be pulled (connection refused)"; null unless UNUSABLE
 */
record ImageCheck(State state, String image, String problem) {

    enum State { USABLE, UNUSABLE, NOT_CHECKED }

    static final ImageCheck USABLE = new ImageCheck(State.USABLE, null, null);
    static final ImageCheck NOT_CHECKED = new ImageCheck(State.NOT_CHECKED, null, null);

    static ImageCheck unusable(String image, String problem) {
        return new ImageCheck(State.UNUSABLE, image, problem);
    }

    /** What the check asks the engine. */
    interface Engine {
        /** True when the engine has {@code image}; false when it answers that it has not. */
        boolean has(String image) throws Exception;

        /** Pulls {@code image}; returns when the pull has finished, throws when it failed. */
        void pull(String image) throws Exception;
    }

    /**
     * Checks {@code images} in order, pulling a missing one when {@code mayPull}, all within {@code budget}: a pull
     * that hangs is abandoned (its thread interrupted) when the budget is spent, and the check reports it. The first
     * unusable image ends the check.
     */
    static ImageCheck run(List<String> images, boolean mayPull, Duration budget, Engine engine) {
        AtomicReference<String> current = new AtomicReference<>(images.isEmpty() ? null : images.get(0));
        AtomicReference<String> doing = new AtomicReference<>("could not be checked");
        ExecutorService executor = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "im-image-check");
            t.setDaemon(true);
            return t;
        });
        Future<ImageCheck> result = executor.submit(() -> {
            for (String image : images) {
                current.set(image);
                doing.set("could not be checked");
                if (engine.has(image)) {
                    continue;
                }
                if (!mayPull) {
                    return unusable(image, "is not in the engine, and -Dim.pull=never forbids pulling it");
                }
                doing.set("could not be pulled");
                engine.pull(image);
                doing.set("could not be checked after its pull");
                if (!engine.has(image)) {
                    return unusable(image, "is still not in the engine after a pull that reported success");
                }
            }
            return USABLE;
        });
        try {
            return result.get(budget.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            return unusable(current.get(), doing.get() + " (no result within " + seconds(budget) + ")");
        } catch (ExecutionException e) {
            return unusable(current.get(), doing.get() + " (" + describe(e.getCause()) + ")");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return unusable(current.get(), doing.get() + " (interrupted)");
        } finally {
            result.cancel(true);
            executor.shutdownNow();
        }
    }

    /**
     * The names the engine is asked for: Testcontainers' image name substitution applied (a registry mirror set as
     * {@code hub.image.name.prefix} / {@code TESTCONTAINERS_HUB_IMAGE_NAME_PREFIX}), as the containers themselves
     * will be.
     */
    static List<String> asPulled(List<String> images) {
        List<String> names = new ArrayList<>();
        for (String image : images) {
            names.add(ImageNameSubstitutor.instance().apply(DockerImageName.parse(image)).asCanonicalNameString());
        }
        return names;
    }

    /** The engine Testcontainers found. One pull attempt per image, no retries: the budget bounds it anyway. */
    static Engine docker() {
        return new Engine() {
            @Override
            public boolean has(String image) {
                try {
                    client().inspectImageCmd(image).exec();
                    return true;
                } catch (NotFoundException e) {
                    return false;
                }
            }

            @Override
            public void pull(String image) throws Exception {
                DockerImageName name = DockerImageName.parse(image);
                AtomicReference<String> error = new AtomicReference<>();
                // Not docker-java's PullImageResultCallback: it fails with a NullPointerException on an error item
                // without a status, which is how podman reports an unreachable registry.
                try (ResultCallback.Adapter<PullResponseItem> callback = client()
                        .pullImageCmd(name.getUnversionedPart())
                        .withTag(name.getVersionPart())
                        .exec(new ResultCallback.Adapter<>() {
                            @Override
                            public void onNext(PullResponseItem item) {
                                if (item.getErrorDetail() != null && item.getErrorDetail().getMessage() != null) {
                                    error.compareAndSet(null, item.getErrorDetail().getMessage());
                                } else if (item.getError() != null) {
                                    error.compareAndSet(null, item.getError());
                                }
                            }
                        })) {
                    callback.awaitCompletion();
                }
                if (error.get() != null) {
                    throw new IllegalStateException(error.get());
                }
            }

            private DockerClient client() {
                return DockerClientFactory.instance().client();
            }
        };
    }

    /** One line: the exception's message (the engine's answer) without its class name, cut to a readable length. */
    static String describe(Throwable e) {
        String message = e.getMessage();
        if (message == null || message.isBlank()) {
            return e.getClass().getSimpleName();
        }
        String line = message.strip().replaceAll("\\s+", " ");
        return line.length() > 300 ? line.substring(0, 300) + "..." : line;
    }

    private static String seconds(Duration d) {
        return d.toMillis() % 1000 == 0 ? d.toSeconds() + " s" : d.toMillis() + " ms";
    }
}
