package com.example.im.checker.analysis;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * The HTML report: one self-contained file (inline SVG and CSS, no JavaScript) a learner can open in a browser, and
 * the console summary next to it.
 */
public final class Report {

    private static final int W = 960;
    private static final int H = 240;
    private static final int LEFT = 60;
    private static final int RIGHT = 20;
    private static final int TOP = 24;
    private static final int BOTTOM = 36;
    private static final String[] BAND_COLOURS = {"#f4c542", "#7fb3ff", "#c792ea", "#8fd694", "#ff9f80", "#9ee6e6"};

    private Report() {
    }

    /** Writes {@code dir/report.html} and {@code dir/summary.txt} (creating {@code dir}); returns the HTML file. */
    public static Path write(Path dir, String title, Analysis a, Verdict v) throws IOException {
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("summary.txt"), Summary.text(a, v), StandardCharsets.UTF_8);
        Path html = dir.resolve("report.html");
        Files.writeString(html, html(title, a, v), StandardCharsets.UTF_8);
        return html;
    }

    static String html(String title, Analysis a, Verdict v) {
        StringBuilder b = new StringBuilder();
        b.append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<title>")
                .append(esc(title)).append("</title>\n<style>\n")
                .append("body{font-family:system-ui,sans-serif;margin:2em;max-width:1000px;color:#222}\n")
                .append("table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:4px 8px;")
                .append("text-align:left;vertical-align:top}th{background:#f0f0f0}td.n{text-align:right}\n")
                .append(".pass{color:#fff;background:#2e7d32;padding:.3em .8em;border-radius:4px}\n")
                .append(".fail{color:#fff;background:#c62828;padding:.3em .8em;border-radius:4px}\n")
                .append("tr.bad td{background:#fdecea}small,.muted{color:#666}svg{display:block;margin:.5em 0}\n")
                .append("code,pre{font-family:ui-monospace,monospace;font-size:90%}\n")
                .append("</style></head><body>\n");
        b.append("<h1>").append(esc(title)).append("</h1>\n");
        if (a.runText() != null) {
            b.append("<p class=\"muted\">").append(esc(a.runText())).append("</p>\n");
        }
        b.append("<h2>Verdict: <span class=\"").append(v.pass() ? "pass\">PASS" : "fail\">FAIL").append("</span></h2>\n");
        verdict(b, v);

        b.append("<p>").append(a.sends()).append(" sends, ").append(a.deliveries()).append(" deliveries, ")
                .append(a.pairs()).append(" (message, recipient) pairs over ")
                .append(String.format(Locale.ROOT, "%.1f", a.durationMillis() / 1000.0)).append(" s. ");
        if (a.latencyCount() > 0) {
            b.append("Latency from send to first delivery: p50 ").append(a.latencyP50()).append(" ms, p99 ")
                    .append(a.latencyP99()).append(" ms, max ").append(a.latencyMax()).append(" ms.");
        } else {
            b.append("Nothing was delivered.");
        }
        b.append("</p>\n");
        if (!a.unrelatedErrors().isEmpty()) {
            b.append("<p>Errors that answered no send: ").append(esc(a.unrelatedErrors().entrySet().stream()
                    .map(e -> e.getKey() + " \u00d7" + e.getValue()).collect(Collectors.joining(", "))))
                    .append("</p>\n");
        }

        b.append("<h2>Timeline</h2>\n<p class=\"muted\">Shaded bands: faults (name and target on top). "
                + "Red marks along the bottom: seconds in which a message that went wrong was sent "
                + "(taller = more).</p>\n");
        throughputChart(b, a);
        latencyChart(b, a);

        b.append("<h2>What happened to each message</h2>\n<p class=\"muted\">Every message is checked once per intended "
                + "recipient (a group message to 3 people is 3 pairs). The last two rows count single deliveries.</p>\n");
        classes(b, a);

        b.append("<h2>Faults</h2>\n");
        faults(b, a);

        b.append("</body></html>\n");
        return b.toString();
    }

    private static void verdict(StringBuilder b, Verdict v) {
        if (v.pass()) {
            b.append("<p>Everything that went wrong happened where the stage's promise allows it.</p>\n");
        } else {
            b.append("<p>The stage broke its promise:</p>\n<ul>\n");
            for (String r : v.reasons()) {
                b.append("<li>").append(esc(r)).append("</li>\n");
            }
            b.append("</ul>\n");
            for (Verdict.Failure f : v.failures()) {
                b.append("<p>First <b>").append(esc(f.outcome().label())).append("</b> items not allowed:</p>\n<ul>\n");
                for (Analysis.Item i : f.examples()) {
                    b.append("<li><code>").append(esc(i.describe())).append("</code></li>\n");
                }
                b.append("</ul>\n");
            }
        }
        if (!v.notes().isEmpty()) {
            b.append("<p>Allowed by the promise:</p>\n<ul>\n");
            for (String n : v.notes()) {
                b.append("<li>").append(esc(n)).append("</li>\n");
            }
            b.append("</ul>\n");
        }
    }

    private static void classes(StringBuilder b, Analysis a) {
        b.append("<table><tr><th>class</th><th>count</th><th>% of pairs</th><th>meaning</th><th>first ones</th></tr>\n");
        for (Outcome o : Outcome.values()) {
            int n = a.count(o);
            b.append("<tr").append(o.isBad() && n > 0 ? " class=\"bad\"" : "").append("><td><code>")
                    .append(esc(o.label())).append("</code></td><td class=\"n\">").append(n).append("</td><td class=\"n\">")
                    .append(o.isPairOutcome() && a.pairs() > 0 ? String.format(Locale.ROOT, "%.2f%%", 100.0 * n / a.pairs()) : "-")
                    .append("</td><td>").append(esc(o.meaning())).append("</td><td>");
            if (o.isBad()) {
                b.append(a.examples(o).stream().map(i -> "<small>" + esc(i.describe()) + "</small>")
                        .collect(Collectors.joining("<br>")));
            }
            b.append("</td></tr>\n");
        }
        b.append("</table>\n");
    }

    private static void faults(StringBuilder b, Analysis a) {
        if (a.faults().isEmpty()) {
            b.append("<p>No fault was injected: everything ran in steady state.</p>\n");
            return;
        }
        b.append("<p class=\"muted\">A message is blamed on a fault when it was sent from 1 s before the fault started "
                + "until ").append(String.format(Locale.ROOT, "%.1f", a.windowMillis() / 1000.0)).append(" s after it ended. "
                + "\"Resumed after\": from the fault's start to the first second with at least half the usual "
                + "deliveries per second (the median of the 10 s before).</p>\n");
        b.append("<table><tr><th>fault</th><th>target</th><th>start s</th><th>end s</th><th>deliveries resumed after</th>"
                + "<th>bad items attributed</th></tr>\n");
        for (Analysis.Fault f : a.faults()) {
            Map<Outcome, Integer> bad = a.badAttributedTo(f);
            b.append("<tr><td>").append(esc(f.name())).append("</td><td>").append(esc(f.target()))
                    .append("</td><td class=\"n\">").append(String.format(Locale.ROOT, "%.1f", f.start() / 1000.0))
                    .append("</td><td class=\"n\">").append(String.format(Locale.ROOT, "%.1f", f.end() / 1000.0))
                    .append(f.ended() ? "" : " <small>(no end: end of run)</small>")
                    .append("</td><td>").append(esc(f.resumedText())).append("</td><td>")
                    .append(bad.isEmpty() ? "0" : esc(bad.entrySet().stream()
                            .map(e -> e.getKey().label() + " " + e.getValue()).collect(Collectors.joining(", "))))
                    .append("</td></tr>\n");
        }
        b.append("</table>\n");
    }

    // ---- charts ----

    /** The x axis spans every whole second the series have (the last one included). */
    private static long domain(Analysis a) {
        return a.sendsPerSecond().length * 1000L;
    }

    private static double x(long millis, long duration) {
        return LEFT + (W - LEFT - RIGHT) * (millis / (double) Math.max(1000, duration));
    }

    private static void throughputChart(StringBuilder b, Analysis a) {
        long[] sends = a.sendsPerSecond();
        long[] delivs = a.deliveriesPerSecond();
        long max = 1;
        for (int i = 0; i < sends.length; i++) {
            max = Math.max(max, Math.max(sends[i], delivs[i]));
        }
        long top = niceCeiling(max);
        long duration = domain(a);
        svgStart(b, "messages per second over the run");
        faultBands(b, a);
        for (long tick : List.of(0L, top / 2, top)) {
            hLine(b, yLinear(tick, top), String.valueOf(tick));
        }
        xAxis(b, duration, "time since the run started (s)");
        yLabel(b, "messages / s");
        polyline(b, sends, top, duration, "#1f77b4");
        polyline(b, delivs, top, duration, "#2ca02c");
        badMarks(b, a);
        legend(b, new String[][] {{"#1f77b4", "sends/s"}, {"#2ca02c", "deliveries/s"}, {"#d62728", "bad items (by send time)"}});
        b.append("</svg>\n");
    }

    private static void latencyChart(StringBuilder b, Analysis a) {
        long[] p99 = a.p99LatencyPerSecond();
        long max = 1;
        for (long l : p99) {
            max = Math.max(max, l);
        }
        int decades = Math.max(1, (int) Math.ceil(Math.log10(max + 1)));
        double top = Math.pow(10, decades);
        long duration = domain(a);
        svgStart(b, "p99 latency per second (log scale)");
        faultBands(b, a);
        for (int d = 0; d <= decades; d++) {
            long v = (long) Math.pow(10, d);
            hLine(b, yLog(v, top), v >= 1000 ? (v / 1000) + " s" : v + " ms");
        }
        xAxis(b, duration, "time since the run started (s)");
        yLabel(b, "p99 latency (log)");
        StringBuilder pts = new StringBuilder();
        for (int i = 0; i < p99.length; i++) {
            if (p99[i] < 0) {
                flush(b, pts, "#ff7f0e");
                continue;
            }
            pts.append(fmt(x(i * 1000L + 500, duration))).append(',').append(fmt(yLog(Math.max(1, p99[i]), top))).append(' ');
            b.append("<circle cx=\"").append(fmt(x(i * 1000L + 500, duration))).append("\" cy=\"")
                    .append(fmt(yLog(Math.max(1, p99[i]), top))).append("\" r=\"1.8\" fill=\"#ff7f0e\"><title>second ")
                    .append(i).append(": p99 ").append(p99[i]).append(" ms</title></circle>\n");
        }
        flush(b, pts, "#ff7f0e");
        legend(b, new String[][] {{"#ff7f0e", "p99 latency of the deliveries in that second (gaps: none delivered)"}});
        b.append("</svg>\n");
    }

    private static void flush(StringBuilder b, StringBuilder pts, String colour) {
        if (pts.length() > 0) {
            b.append("<polyline fill=\"none\" stroke=\"").append(colour).append("\" stroke-width=\"1.5\" points=\"")
                    .append(pts.toString().strip()).append("\"/>\n");
            pts.setLength(0);
        }
    }

    private static void svgStart(StringBuilder b, String caption) {
        b.append("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"").append(W).append("\" height=\"").append(H)
                .append("\" viewBox=\"0 0 ").append(W).append(' ').append(H)
                .append("\" font-family=\"sans-serif\" font-size=\"11\" role=\"img\"><title>").append(esc(caption))
                .append("</title>\n<rect x=\"0\" y=\"0\" width=\"").append(W).append("\" height=\"").append(H)
                .append("\" fill=\"#fff\"/>\n<text x=\"").append(LEFT).append("\" y=\"14\" font-weight=\"bold\">")
                .append(esc(caption)).append("</text>\n");
    }

    private static void faultBands(StringBuilder b, Analysis a) {
        long duration = domain(a);
        int row = 0;
        for (int i = 0; i < a.faults().size(); i++) {
            Analysis.Fault f = a.faults().get(i);
            double x0 = x(f.start(), duration);
            double x1 = Math.max(x0 + 2, x(f.end(), duration));
            String colour = BAND_COLOURS[i % BAND_COLOURS.length];
            String label = f.name() + " " + f.target();
            b.append("<g><title>").append(esc(label + ": " + String.format(Locale.ROOT, "%.1f", f.start() / 1000.0) + " s to "
                            + String.format(Locale.ROOT, "%.1f", f.end() / 1000.0) + " s, deliveries resumed after "
                            + f.resumedText())).append("</title><rect x=\"").append(fmt(x0)).append("\" y=\"").append(TOP)
                    .append("\" width=\"").append(fmt(x1 - x0)).append("\" height=\"").append(H - TOP - BOTTOM)
                    .append("\" fill=\"").append(colour).append("\" fill-opacity=\"0.3\"/>")
                    .append("<text x=\"").append(fmt(x0 + 2)).append("\" y=\"").append(TOP + 11 + 11 * (row % 3))
                    .append("\" fill=\"#444\">").append(esc(label)).append("</text></g>\n");
            row++;
        }
    }

    private static void badMarks(StringBuilder b, Analysis a) {
        long[] bad = a.badPerSecond();
        long max = 1;
        for (long n : bad) {
            max = Math.max(max, n);
        }
        double base = H - BOTTOM;
        for (int i = 0; i < bad.length; i++) {
            if (bad[i] > 0) {
                double h = 4 + 16 * (bad[i] / (double) max);
                double x = x(i * 1000L, domain(a));
                double w = Math.max(2, x(i * 1000L + 1000, domain(a)) - x - 1);
                b.append("<rect x=\"").append(fmt(x)).append("\" y=\"").append(fmt(base - h)).append("\" width=\"")
                        .append(fmt(w)).append("\" height=\"").append(fmt(h)).append("\" fill=\"#d62728\"><title>second ")
                        .append(i).append(": ").append(bad[i]).append(" bad item(s)</title></rect>\n");
            }
        }
    }

    private static void polyline(StringBuilder b, long[] values, long top, long duration, String colour) {
        StringBuilder pts = new StringBuilder();
        for (int i = 0; i < values.length; i++) {
            pts.append(fmt(x(i * 1000L + 500, duration))).append(',').append(fmt(yLinear(values[i], top))).append(' ');
        }
        flush(b, pts, colour);
    }

    private static double yLinear(long v, long top) {
        return H - BOTTOM - (H - TOP - BOTTOM) * (v / (double) top);
    }

    private static double yLog(long v, double top) {
        return H - BOTTOM - (H - TOP - BOTTOM) * (Math.log10(Math.max(1, v)) / Math.log10(top));
    }

    private static void hLine(StringBuilder b, double y, String label) {
        b.append("<line x1=\"").append(LEFT).append("\" x2=\"").append(W - RIGHT).append("\" y1=\"").append(fmt(y))
                .append("\" y2=\"").append(fmt(y)).append("\" stroke=\"#ddd\"/><text x=\"").append(LEFT - 4)
                .append("\" y=\"").append(fmt(y + 4)).append("\" text-anchor=\"end\">").append(esc(label)).append("</text>\n");
    }

    private static void xAxis(StringBuilder b, long duration, String label) {
        long seconds = Math.max(1, duration / 1000);
        long step = niceCeiling(Math.max(1, seconds / 10));
        int y = H - BOTTOM;
        b.append("<line x1=\"").append(LEFT).append("\" x2=\"").append(W - RIGHT).append("\" y1=\"").append(y)
                .append("\" y2=\"").append(y).append("\" stroke=\"#888\"/>\n");
        for (long s = 0; s * 1000 <= Math.max(1000, duration); s += step) {
            double x = x(s * 1000, duration);
            b.append("<line x1=\"").append(fmt(x)).append("\" x2=\"").append(fmt(x)).append("\" y1=\"").append(y)
                    .append("\" y2=\"").append(y + 4).append("\" stroke=\"#888\"/><text x=\"").append(fmt(x))
                    .append("\" y=\"").append(y + 15).append("\" text-anchor=\"middle\">").append(s).append("</text>\n");
        }
        b.append("<text x=\"").append((LEFT + W - RIGHT) / 2).append("\" y=\"").append(H - 4)
                .append("\" text-anchor=\"middle\">").append(esc(label)).append("</text>\n");
    }

    private static void yLabel(StringBuilder b, String label) {
        int cy = (TOP + H - BOTTOM) / 2;
        b.append("<text x=\"12\" y=\"").append(cy).append("\" text-anchor=\"middle\" transform=\"rotate(-90 12 ")
                .append(cy).append(")\">").append(esc(label)).append("</text>\n");
    }

    private static void legend(StringBuilder b, String[][] entries) {
        double x = W - RIGHT - 10;
        // right-aligned, from the last entry backwards
        for (int i = entries.length - 1; i >= 0; i--) {
            String text = entries[i][1];
            double width = 16 + 6.2 * text.length();
            x -= width;
            b.append("<rect x=\"").append(fmt(x)).append("\" y=\"6\" width=\"10\" height=\"10\" fill=\"")
                    .append(entries[i][0]).append("\"/><text x=\"").append(fmt(x + 13)).append("\" y=\"15\">")
                    .append(esc(text)).append("</text>\n");
            x -= 8;
        }
    }

    /** 1, 2, 5, 10, 20, 50 ... at or above v. */
    static long niceCeiling(long v) {
        long p = 1;
        while (true) {
            for (long m : new long[] {1, 2, 5}) {
                if (m * p >= v) {
                    return m * p;
                }
            }
            p *= 10;
        }
    }

    private static String fmt(double d) {
        return String.format(Locale.ROOT, "%.1f", d);
    }

    /** Escapes text for HTML element content and attribute values. */
    public static String esc(String s) {
        if (s == null) {
            return "";
        }
        StringBuilder b = new StringBuilder(s.length());
        for (char c : s.toCharArray()) {
            switch (c) {
                case '&' -> b.append("&amp;");
                case '<' -> b.append("&lt;");
                case '>' -> b.append("&gt;");
                case '"' -> b.append("&quot;");
                case '\'' -> b.append("&#39;");
                default -> b.append(c);
            }
        }
        return b.toString();
    }
}
