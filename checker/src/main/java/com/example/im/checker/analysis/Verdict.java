package com.example.im.checker.analysis;

import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * A promise's judgement of an analysis.
 *
 * @param pass     true: every item of every class was allowed
 * @param reasons  why it failed, one line each (empty when it passed)
 * @param failures per class that broke the promise: how many items, split by attribution, with examples
 * @param notes    bad items the promise allowed, one line per class (e.g. "lost-acked: 4, allowed (kill9: 4)")
 */
public record Verdict(boolean pass, List<String> reasons, List<Failure> failures, List<String> notes) {

    public Verdict {
        reasons = List.copyOf(reasons);
        failures = List.copyOf(failures);
        notes = List.copyOf(notes);
    }

    /**
     * The items of one class that the promise did not allow.
     *
     * @param byAttribution "steady state" or fault names ("pause", "kill9+pause") -> count, largest first
     * @param allowedUnder  what the promise allows for this class: "none" or a list of fault names
     */
    public record Failure(Outcome outcome, int count, Map<String, Integer> byAttribution, String allowedUnder,
                          List<Analysis.Item> examples) {

        /** e.g. "lost-acked: 12 not allowed (steady state: 3, pause: 9); the promise allows it under: kill9". */
        public String text() {
            return outcome.label() + ": " + count + " not allowed ("
                    + byAttribution.entrySet().stream().map(e -> e.getKey() + ": " + e.getValue())
                    .collect(Collectors.joining(", "))
                    + "); the promise allows it " + ("none".equals(allowedUnder) ? "never" : "under: " + allowedUnder);
        }
    }

    /** "PASS" or "FAIL: " and the first reason. */
    public String line() {
        return pass ? "PASS" : "FAIL: " + (reasons.isEmpty() ? "" : reasons.get(0))
                + (reasons.size() > 1 ? " (+" + (reasons.size() - 1) + " more)" : "");
    }
}
