package com.example.im.checker.analysis;

import com.example.im.checker.history.Event;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;

/** The console summary of an analysis and its verdict. */
public final class Summary {

    private Summary() {
    }

    public static String text(Analysis a, Verdict v) {
        StringBuilder b = new StringBuilder();
        if (a.runText() != null) {
            b.append("run: ").append(a.runText()).append('\n');
        }
        b.append(String.format(Locale.ROOT, "%d sends, %d deliveries, %d (message, recipient) pairs, %.1f s%n",
                a.sends(), a.deliveries(), a.pairs(), a.durationMillis() / 1000.0));
        if (!a.unrelatedErrors().isEmpty()) {
            b.append("errors not answering a send: ").append(a.unrelatedErrors().entrySet().stream()
                    .map(e -> e.getKey() + " x" + e.getValue()).collect(Collectors.joining(", "))).append('\n');
        }

        if (!a.clientNotes().isEmpty()) {
            b.append("reliable client: ").append(a.clientNotes().entrySet().stream()
                    .map(e -> e.getKey() + " " + e.getValue()).collect(Collectors.joining(", "))).append('\n');
        }

        b.append('\n').append(String.format(Locale.ROOT, "%-22s %8s %8s%n", "class", "count", "% pairs"));
        for (Outcome o : Outcome.values()) {
            String pct = o.isPairOutcome() && a.pairs() > 0
                    ? String.format(Locale.ROOT, "%.2f%%", 100.0 * a.count(o) / a.pairs()) : "-";
            b.append(String.format(Locale.ROOT, "%-22s %8d %8s%n", o.label(), a.count(o), pct));
        }
        for (Outcome o : Outcome.values()) {
            if (o.isBad() && a.count(o) > 0) {
                b.append("  ").append(o.label()).append(", first ones:\n");
                for (Analysis.Item i : a.examples(o)) {
                    b.append("    ").append(i.describe()).append('\n');
                }
            }
        }

        b.append('\n');
        if (a.latencyCount() == 0) {
            b.append("latency: nothing delivered\n");
        } else {
            b.append(String.format(Locale.ROOT, "latency (send -> first delivery): p50 %d ms, p99 %d ms, max %d ms (%d deliveries)%n",
                    a.latencyP50(), a.latencyP99(), a.latencyMax(), a.latencyCount()));
        }

        b.append('\n');
        if (a.faults().isEmpty()) {
            b.append("faults: none\n");
        } else {
            b.append(String.format(Locale.ROOT, "%-14s %-10s %8s %8s %-28s %s%n",
                    "fault", "target", "start s", "end s", "deliveries resumed after", "bad items attributed"));
            for (Analysis.Fault f : a.faults()) {
                Map<Outcome, Integer> bad = a.badAttributedTo(f);
                String badText = bad.isEmpty() ? "0" : bad.values().stream().mapToInt(Integer::intValue).sum() + " ("
                        + bad.entrySet().stream().map(e -> e.getKey().label() + " " + e.getValue())
                        .collect(Collectors.joining(", ")) + ")";
                b.append(String.format(Locale.ROOT, "%-14s %-10s %8.1f %8s %-28s %s%n", f.name(), f.target(), f.start() / 1000.0,
                        String.format(Locale.ROOT, "%.1f", f.end() / 1000.0) + (f.ended() ? "" : "*"), f.resumedText(), badText));
            }
            for (Event step : a.faultSteps()) {
                b.append(String.format(Locale.ROOT, "  %s %s, %s at %.1f s: %s%n", step.fault(), step.node(),
                        step.phase(), step.t() / 1000.0, step.text()));
            }
            if (a.faults().stream().anyMatch(f -> !f.ended())) {
                b.append("  * no end recorded: taken to last until the end of the run\n");
            }
            b.append(String.format(Locale.ROOT, "  an item is attributed to a fault when it was sent from 1 s before the fault's start"
                    + " to %.1f s after its end%n", a.windowMillis() / 1000.0));
        }

        b.append('\n').append(v.pass() ? "PASS"
                : "FAIL (" + v.reasons().size() + (v.reasons().size() == 1 ? " reason)" : " reasons)")).append('\n');
        for (String r : v.reasons()) {
            b.append("  - ").append(r).append('\n');
        }
        for (Verdict.Failure f : v.failures()) {
            b.append("  ").append(f.outcome().label()).append(" not allowed, first ones:\n");
            for (Analysis.Item i : f.examples()) {
                b.append("    ").append(i.describe()).append('\n');
            }
        }
        for (String n : v.notes()) {
            b.append("  allowed: ").append(n).append('\n');
        }
        return b.toString();
    }
}
