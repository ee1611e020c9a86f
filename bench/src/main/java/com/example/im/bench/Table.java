package com.example.im.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The one output of every scenario: each figure next to the baseline measured in the same run, their ratio, and
 * the target the project aims at (issue 8); plus the machine and the date, because only the ratios travel. A figure
 * measured in several rounds shows the median of its values, of its baselines and of its per-round ratios (each
 * ratio against the baseline of its own round, so a machine that drifts between rounds does not skew it).
 */
final class Table {

    private static final class Figure {
        final String format;
        final String target;
        final List<Double> values = new ArrayList<>();
        final List<Double> baselines = new ArrayList<>();

        Figure(String format, String target) {
            this.format = format;
            this.target = target;
        }
    }

    private final Map<String, Figure> figures = new LinkedHashMap<>();
    private final List<String> notes = new ArrayList<>();
    private int rounds = 1;
    private boolean smoke;

    /** A figure whose ratio is value / baseline; {@code baseline} NaN for a figure that is itself a baseline. */
    void ratio(String figure, double value, double baseline, String format, String target) {
        Figure f = figures.computeIfAbsent(figure, k -> new Figure(format, target));
        f.values.add(value);
        f.baselines.add(baseline);
    }

    void note(String line) {
        if (!notes.contains(line)) {
            notes.add(line);
        }
    }

    void rounds(int n) {
        rounds = n;
    }

    /**
     * A smoke run: tiny sizes that only check every scenario completes and delivers what it sent. Its ratios mean
     * nothing, so the table says so and shows no targets (a reader of CI's log saw "0.57 ... >= 5" and was alarmed).
     */
    void smoke() {
        smoke = true;
    }

    static String fmt(String format, double value) {
        return Double.isNaN(value) ? "-" : String.format(Locale.ROOT, format, value);
    }

    private static double median(List<Double> xs) {
        double[] sorted = xs.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        int n = sorted.length;
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    }

    /** figure, value, baseline, ratio, target (and the number of rounds behind it). */
    List<String[]> rows() {
        List<String[]> rows = new ArrayList<>();
        figures.forEach((name, f) -> {
            List<Double> ratios = new ArrayList<>();
            for (int i = 0; i < f.values.size(); i++) {
                ratios.add(f.values.get(i) / f.baselines.get(i));
            }
            rows.add(new String[] {name, fmt(f.format, median(f.values)), fmt(f.format, median(f.baselines)),
                    fmt("%.2f", median(ratios)), f.target, Integer.toString(f.values.size())});
        });
        return rows;
    }

    static String machine() {
        return String.format(Locale.ROOT, "%d cores, JDK %s (%s), %s %s, %s",
                Runtime.getRuntime().availableProcessors(), System.getProperty("java.version"),
                System.getProperty("java.vm.name"), System.getProperty("os.name"), System.getProperty("os.arch"),
                LocalDate.now());
    }

    private String header() {
        return (smoke ? "SMOKE RUN, not a measurement: tiny sizes that check each scenario completes and delivers"
                + " everything; its ratios mean nothing and no targets are shown (docs/benchmarks.md has real runs)\n"
                : "") + "machine: " + machine()
                + (rounds > 1 ? "; median of " + rounds + " rounds where n > 1" : "");
    }

    /** The columns shown: a smoke run leaves out the target (column 4). */
    private String[] shown(String[] row) {
        if (!smoke) {
            return row;
        }
        String[] without = new String[row.length - 1];
        System.arraycopy(row, 0, without, 0, 4);
        System.arraycopy(row, 5, without, 4, row.length - 5);
        return without;
    }

    String text() {
        List<String[]> all = concat(new String[] {"figure", "value", "baseline", "ratio", "target", "n"}, rows());
        all.replaceAll(this::shown);
        int[] w = new int[all.get(0).length];
        for (String[] r : all) {
            for (int i = 0; i < w.length; i++) {
                w[i] = Math.max(w[i], r[i].length());
            }
        }
        StringBuilder format = new StringBuilder("%-" + w[0] + "s"); // the figure and the target left, numbers right
        for (int i = 1; i < w.length; i++) {
            boolean target = !smoke && i == 4;
            format.append("  %").append(target ? "-" : "").append(w[i]).append('s');
        }
        format.append("%n");
        StringBuilder sb = new StringBuilder(header()).append('\n');
        for (String[] r : all) {
            sb.append(String.format(Locale.ROOT, format.toString(), (Object[]) r));
        }
        notes.forEach(n -> sb.append("  ").append(n).append('\n'));
        return sb.toString();
    }

    private static List<String[]> concat(String[] head, List<String[]> rows) {
        List<String[]> all = new ArrayList<>(List.<String[]>of(head));
        all.addAll(rows);
        return all;
    }

    String markdown() {
        StringBuilder sb = new StringBuilder(header().replace("machine:", "Machine:")).append(".\n\n");
        sb.append(smoke ? "| figure | value | baseline | ratio | n |\n|---|--:|--:|--:|--:|\n"
                : "| figure | value | baseline | ratio | target | n |\n|---|--:|--:|--:|---|--:|\n");
        for (String[] r : rows()) {
            sb.append("| ").append(String.join(" | ", Arrays.asList(shown(r)))).append(" |\n");
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
