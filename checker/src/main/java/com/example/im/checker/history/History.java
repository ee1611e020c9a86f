package com.example.im.checker.history;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The run's history: every {@link Event}, in the order it was recorded, kept in memory for the analysis and
 * written as JSON lines ({@code history.jsonl}) for a learner to read and for {@code --analyze} to judge again.
 */
public final class History implements AutoCloseable {

    private static final ObjectMapper JSON = new ObjectMapper()
            .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);

    private final long startNanos = System.nanoTime();
    private final List<Event> events = new ArrayList<>();
    private final BufferedWriter out;

    /** A history that is also written to {@code file}; null: in memory only. */
    public History(Path file) {
        try {
            out = file == null ? null : Files.newBufferedWriter(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the history to " + file, e);
        }
    }

    /** Milliseconds since this history began: the {@code t} of an event recorded now. */
    public long now() {
        return (System.nanoTime() - startNanos) / 1_000_000;
    }

    public synchronized void add(Event event) {
        events.add(event);
        if (out != null) {
            try {
                out.write(JSON.writeValueAsString(event));
                out.newLine();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }

    /** How many events so far. */
    public synchronized int size() {
        return events.size();
    }

    /** A copy of every event so far. */
    public synchronized List<Event> events() {
        return List.copyOf(events);
    }

    @Override
    public synchronized void close() {
        if (out != null) {
            try {
                out.close();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }

    /** Reads a history written by a run (blank lines skipped). */
    public static List<Event> read(Path file) throws IOException {
        List<Event> events = new ArrayList<>();
        for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
            if (!line.isBlank()) {
                events.add(parse(line));
            }
        }
        return events;
    }

    public static Event parse(String line) {
        try {
            return JSON.readValue(line, Event.class);
        } catch (IOException e) {
            throw new IllegalArgumentException("not a history line: " + line, e);
        }
    }
}
