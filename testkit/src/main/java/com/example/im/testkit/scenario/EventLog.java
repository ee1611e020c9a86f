package com.example.im.testkit.scenario;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * The events one test connection received, fed by the stage's driver from the client's I/O thread and read by the
 * test thread. Reads wait for the next event (bounded), so a test never sleeps.
 */
public final class EventLog {

    /** How long a test waits for an event the server owes it. Generous: CI machines are slow and shared. */
    public static final Duration WAIT = Duration.ofSeconds(10);

    private final BlockingQueue<ChatEvent> events = new LinkedBlockingQueue<>();
    private volatile boolean closed;

    /** Called by the driver for every event the server sent. */
    public void add(ChatEvent event) {
        events.add(event);
    }

    /** Called by the driver when the connection has closed, from either side. */
    public void markClosed() {
        closed = true;
    }

    public boolean isClosed() {
        return closed;
    }

    /** The next event, waiting up to {@link #WAIT}; fails the test if none comes. */
    public ChatEvent next() {
        try {
            ChatEvent event = events.poll(WAIT.toMillis(), TimeUnit.MILLISECONDS);
            if (event == null) {
                throw new AssertionError("no event within " + WAIT.toSeconds() + " s (connection "
                        + (closed ? "closed" : "open") + ")");
            }
            return event;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted while waiting for an event", e);
        }
    }

    /** The next event, which must be of {@code type}. */
    public <T extends ChatEvent> T next(Class<T> type) {
        ChatEvent event = next();
        assertThat(event).as("next event").isInstanceOf(type);
        return type.cast(event);
    }

    /** The next event, which must be an error with {@code code}. */
    public ChatEvent.Error nextError(String code) {
        ChatEvent.Error error = next(ChatEvent.Error.class);
        assertThat(error.code()).as("error code of %s", error).isEqualTo(code);
        return error;
    }

    /** Waits until the server has closed this connection. */
    public void awaitClosed() {
        await("connection closed").atMost(WAIT).until(this::isClosed);
    }

    /** Events received but not read yet (for failure messages). */
    public int pending() {
        return events.size();
    }
}
