package com.example.im.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The one output of every scenario: each figure next to the baseline measured in the same run, their ratio, and
 * the target the project aims at (issue 8); plus the machine and the date, because only the ratios travel.
 */
final class Table {

    record Row(String figure, String value, String baseline, String ratio, String target) {
    }

    private final List<Row> rows = new ArrayList<>();
    private final List<String> notes = new ArrayList<>();

    void add(String figure, String value, String baseline, String ratio, String target) {
        rows.add(new Row(figure, value, baseline, ratio, target));
    }

    /** A figure whose ratio is value / baseline. */
    void ratio(String figure, double value, double baseline, String unitFormat, String target) {
        add(figure, fmt(unitFormat, value), fmt(unitFormat, baseline), fmt("%.2f", value / baseline), target);
    }

    void note(String line) {
        notes.add(line);
    }

    static String fmt(String format, double value) {
        return String.format(Locale.ROOT, format, value);
    }

    static String machine() {
        return String.format(Locale.ROOT, "%d cores, JDK %s (%s), %s %s, %s",
                Runtime.getRuntime().availableProcessors(), System.getProperty("java.version"),
                System.getProperty("java.vm.name"), System.getProperty("os.name"), System.getProperty("os.arch"),
                LocalDate.now());
    }

    String text() {
        int[] w = {6, 5, 8, 5, 6};
        for (Row r : rows) {
            w[0] = Math.max(w[0], r.figure().length());
            w[1] = Math.max(w[1], r.value().length());
            w[2] = Math.max(w[2], r.baseline().length());
            w[3] = Math.max(w[3], r.ratio().length());
            w[4] = Math.max(w[4], r.target().length());
        }
        String format = "%-" + w[0] + "s  %" + w[1] + "s  %" + w[2] + "s  %" + w[3] + "s  %-" + w[4] + "s%n";
        StringBuilder sb = new StringBuilder();
        sb.append("machine: ").append(machine()).append('\n');
        sb.append(String.format(Locale.ROOT, format, "figure", "value", "baseline", "ratio", "target"));
        for (Row r : rows) {
            sb.append(String.format(Locale.ROOT, format, r.figure(), r.value(), r.baseline(), r.ratio(),
                    r.target()));
        }
        notes.forEach(n -> sb.append("  ").append(n).append('\n'));
        return sb.toString();
    }

    String markdown() {
        StringBuilder sb = new StringBuilder();
        sb.append("Machine: ").append(machine()).append(".\n\n");
        sb.append("| figure | value | baseline | ratio | target |\n|---|--:|--:|--:|---|\n");
        for (Row r : rows) {
            sb.append("| ").append(r.figure()).append(" | ").append(r.value()).append(" | ").append(r.baseline())
                    .append(" | ").append(r.ratio()).append(" | ").append(r.target()).append(" |\n");
        }
        if (!notes.isEmpty()) {
            sb.append('\n');
            notes.forEach(n -> sb.append("- ").append(n).append('\n'));
        }
        return sb.toString();
    }

    void writeMarkdown(Path file) {
        try {
            Files.writeString(file, markdown());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
