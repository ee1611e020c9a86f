package com.example.im.client;

import java.util.concurrent.ThreadLocalRandom;
import java.util.function.DoubleSupplier;

/**
 * Reconnect delays: exponential (base, 2 x base, 4 x base, ...), capped, with "equal jitter" — each delay is drawn
 * from [d/2, d] — so that thousands of clients dropped by the same server restart do not all come back in the same
 * millisecond (docs/03-heartbeat.md, "Reconnect").
 */
public final class Backoff {

    private final long baseMillis;
    private final long maxMillis;
    private final DoubleSupplier random;

    public Backoff(long baseMillis, long maxMillis) {
        this(baseMillis, maxMillis, () -> ThreadLocalRandom.current().nextDouble());
    }

    /** {@code random} returns values in [0, 1); tests pass fixed ones. */
    Backoff(long baseMillis, long maxMillis, DoubleSupplier random) {
        if (baseMillis < 1 || maxMillis < baseMillis) {
            throw new IllegalArgumentException("need 1 <= base <= max, got base " + baseMillis + ", max " + maxMillis);
        }
        this.baseMillis = baseMillis;
        this.maxMillis = maxMillis;
        this.random = random;
    }

    // tag::delay[]
    /** The delay before reconnect attempt {@code attempt} (0 for the first). */
    public long delayMillis(int attempt) {
        long ceiling = attempt >= 62 ? maxMillis : Math.min(maxMillis, baseMillis << Math.min(attempt, 40));
        long half = ceiling / 2;
        return half + (long) (random.getAsDouble() * (ceiling - half));
    }
    // end::delay[]
}
