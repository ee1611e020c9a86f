package com.example.im.server;

import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;

/** The steps of one graceful shutdown, each timed and logged (docs/06-graceful-shutdown.md). */
public final class ShutdownReport {

    /** One step: its name, when it started and ended (System.nanoTime), and what it reported. */
    public record Step(String name, long startNanos, long endNanos, String outcome) {
        public long millis() {
            return (endNanos - startNanos) / 1_000_000;
        }
    }

    /** A step's work; returns a short outcome for the log ("3 clients moved"). */
    @FunctionalInterface
    interface Work {
        String run() throws Exception;
    }

    private final Logger log;
    private final String nodeId;
    private final long startNanos = System.nanoTime();
    private final List<Step> steps = new ArrayList<>();
    private volatile long endNanos;

    ShutdownReport(Logger log, String nodeId) {
        this.log = log;
        this.nodeId = nodeId;
    }

    /** Runs a step; a failing step is logged and the shutdown goes on with the next one. */
    void step(String name, Work work) {
        long start = System.nanoTime();
        String outcome;
        try {
            outcome = work.run();
        } catch (Exception e) {
            outcome = "failed: " + e;
        }
        Step step = new Step(name, start, System.nanoTime(), outcome);
        steps.add(step);
        log.info("shutdown {} step {}: {} — {} ms{}", nodeId, steps.size(), name, step.millis(),
                outcome == null || outcome.isEmpty() ? "" : " (" + outcome + ")");
    }

    void done() {
        endNanos = System.nanoTime();
        log.info("shutdown {} complete in {} ms", nodeId, totalMillis());
    }

    public List<Step> steps() {
        return List.copyOf(steps);
    }

    public Step step(String name) {
        return steps.stream().filter(s -> s.name().equals(name)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("no step " + name));
    }

    /** From the first step to the end of the last (so far, while it runs). */
    public long totalMillis() {
        return ((endNanos != 0 ? endNanos : System.nanoTime()) - startNanos) / 1_000_000;
    }
}
