package com.example.im.checker.analysis;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * What a stage promises, read from the {@code checker.promise} file it ships:
 *
 * <pre>
 * # comments, blank lines and trailing comments are ignored
 * main = com.example.im.Main        # any other key: a setting other code reads with get()
 * lost-acked = kill9, pause         # this class may be non-zero only in these faults' windows
 * duplicated = any                  # always allowed, in steady state too
 * out-of-order = none               # never allowed
 * </pre>
 *
 * A class key takes {@code any}, {@code none} or a comma-separated list of fault names (kill9, sigterm, pause,
 * restart, redis-restart, redis-pause, zk-restart, net, redis-master-kill). A class not listed: delivered, rejected and
 * delivered-unanswered default to {@code any}, every other class to {@code none}.
 */
public final class Promise {

    public static final List<String> KNOWN_FAULTS =
            List.of("kill9", "sigterm", "pause", "restart", "redis-restart", "redis-pause", "zk-restart", "net",
                    "redis-master-kill");

    private final Map<Outcome, Set<String>> allowedFaults; // absent: any
    private final Map<String, String> settings;

    private Promise(Map<Outcome, Set<String>> allowedFaults, Map<String, String> settings) {
        this.allowedFaults = allowedFaults;
        this.settings = settings;
    }

    public static Promise load(Path file) throws IOException {
        String text = Files.readString(file, StandardCharsets.UTF_8);
        try {
            return parse(text);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(file + ": " + e.getMessage(), e);
        }
    }

    /** @throws IllegalArgumentException on a malformed line, a repeated key or an unknown fault name */
    public static Promise parse(String text) {
        Map<Outcome, Set<String>> allowed = new EnumMap<>(Outcome.class);
        for (Outcome o : Outcome.values()) {
            if (o.isBad()) {
                allowed.put(o, Set.of()); // default none; the others default to any (absent)
            }
        }
        Map<String, String> settings = new LinkedHashMap<>();
        Set<String> seen = new LinkedHashSet<>();
        String[] lines = text.split("\\R", -1);
        for (int n = 0; n < lines.length; n++) {
            String line = lines[n];
            int hash = line.indexOf('#');
            if (hash >= 0) {
                line = line.substring(0, hash);
            }
            line = line.strip();
            if (line.isEmpty()) {
                continue;
            }
            String where = "line " + (n + 1) + " (" + lines[n].strip() + ")";
            int eq = line.indexOf('=');
            if (eq <= 0) {
                throw new IllegalArgumentException(where + ": expected 'key = value'");
            }
            String key = line.substring(0, eq).strip();
            String value = line.substring(eq + 1).strip();
            if (!seen.add(key)) {
                throw new IllegalArgumentException(where + ": '" + key + "' is set twice");
            }
            var outcome = Outcome.fromLabel(key);
            if (outcome.isEmpty()) {
                settings.put(key, value);
                continue;
            }
            Set<String> faults = parseFaults(value, where);
            if (faults == null) {
                allowed.remove(outcome.get());
            } else {
                allowed.put(outcome.get(), faults);
            }
        }
        return new Promise(allowed, Collections.unmodifiableMap(settings));
    }

    /** null = any; empty = none; else the fault names. */
    private static Set<String> parseFaults(String value, String where) {
        List<String> names = new ArrayList<>();
        for (String part : value.split(",")) {
            String name = part.strip().toLowerCase();
            if (!name.isEmpty()) {
                names.add(name);
            }
        }
        if (names.isEmpty()) {
            throw new IllegalArgumentException(where + ": no value; write 'none', 'any' or fault names ("
                    + String.join(", ", KNOWN_FAULTS) + ")");
        }
        if (names.contains("any") || names.contains("none")) {
            if (names.size() > 1) {
                throw new IllegalArgumentException(where + ": 'any' and 'none' stand alone, not in a list");
            }
            return names.get(0).equals("any") ? null : Set.of();
        }
        for (String name : names) {
            if (!KNOWN_FAULTS.contains(name)) {
                throw new IllegalArgumentException(where + ": unknown fault '" + name + "'; known faults: "
                        + String.join(", ", KNOWN_FAULTS) + " (or 'any' / 'none')");
            }
        }
        return Collections.unmodifiableSet(new LinkedHashSet<>(names));
    }

    /** A setting (a key that is not a class label), or null. */
    public String get(String key) {
        return settings.get(key);
    }

    public String getOrDefault(String key, String defaultValue) {
        return settings.getOrDefault(key, defaultValue);
    }

    /** Every setting (keys that are not class labels), in file order. */
    public Map<String, String> settings() {
        return settings;
    }

    /** True if the class is allowed always ({@code any}), steady state included. */
    public boolean allowsAlways(Outcome o) {
        return !allowedFaults.containsKey(o);
    }

    /** The faults under which the class may be non-zero (empty: none, or any — see {@link #allowsAlways}). */
    public Set<String> allowedFaults(Outcome o) {
        return allowedFaults.getOrDefault(o, Set.of());
    }

    /** "any", "none" or the fault names, e.g. "kill9, pause". */
    public String describe(Outcome o) {
        if (allowsAlways(o)) {
            return "any";
        }
        Set<String> f = allowedFaults(o);
        return f.isEmpty() ? "none" : String.join(", ", f);
    }

    /** Whether this item may exist: its class is {@code any}, or one of its faults is allowed for its class. */
    public boolean allows(Analysis.Item item) {
        if (allowsAlways(item.outcome())) {
            return true;
        }
        Set<String> ok = allowedFaults(item.outcome());
        return item.faults().stream().anyMatch(f -> f.name() != null && ok.contains(f.name().toLowerCase()));
    }

    public Verdict judge(Analysis analysis) {
        List<String> reasons = new ArrayList<>();
        List<Verdict.Failure> failures = new ArrayList<>();
        List<String> notes = new ArrayList<>();
        if (analysis.sends() == 0) {
            reasons.add("no message was sent: the run did nothing, so it proves nothing");
        }
        if (analysis.deliveries() == 0) {
            reasons.add("no message was delivered at all");
        }
        for (Outcome o : Outcome.values()) {
            List<Analysis.Item> items = analysis.items(o);
            if (items.isEmpty()) {
                continue;
            }
            Map<String, Integer> bad = new LinkedHashMap<>();
            Map<String, Integer> tolerated = new LinkedHashMap<>();
            List<Analysis.Item> examples = new ArrayList<>();
            for (Analysis.Item i : items) {
                if (allows(i)) {
                    tolerated.merge(i.attribution(), 1, Integer::sum);
                } else {
                    bad.merge(i.attribution(), 1, Integer::sum);
                    if (examples.size() < Analysis.EXAMPLES) {
                        examples.add(i);
                    }
                }
            }
            if (!bad.isEmpty()) {
                int count = bad.values().stream().mapToInt(Integer::intValue).sum();
                Verdict.Failure f = new Verdict.Failure(o, count, largestFirst(bad), describe(o), examples);
                failures.add(f);
                reasons.add(f.text());
            }
            if (o.isBad() && !tolerated.isEmpty()) {
                int count = tolerated.values().stream().mapToInt(Integer::intValue).sum();
                notes.add(o.label() + ": " + count + " allowed (" + largestFirst(tolerated).entrySet().stream()
                        .map(e -> e.getKey() + ": " + e.getValue()).collect(Collectors.joining(", "))
                        + "); the promise allows it " + (allowsAlways(o) ? "always" : "under: " + describe(o)));
            }
        }
        if (analysis.sends() > 0) {
            // A fault the traffic did not span tested nothing: the messages it would have hurt were never sent.
            for (Analysis.Fault f : analysis.faults()) {
                if (f.start() < analysis.firstSendMillis() || f.end() > analysis.lastSendMillis()) {
                    reasons.add(f.name() + " " + (f.target() == null ? "" : f.target() + " ") + "ran from "
                            + Analysis.seconds(f.start()) + " to " + Analysis.seconds(f.end())
                            + (f.ended() ? "" : " (never ended)") + ", outside the traffic (sends from "
                            + Analysis.seconds(analysis.firstSendMillis()) + " to "
                            + Analysis.seconds(analysis.lastSendMillis()) + "): it was not tested");
                }
            }
        }
        int stray = analysis.unrelatedErrors().entrySet().stream().filter(e -> e.getKey().startsWith(Analysis.STRAY))
                .mapToInt(Map.Entry::getValue).sum();
        if (stray > 0) {
            // With one message in flight a reply without one means the server answered something twice, or a reply
            // was tied to the wrong message: a loss may be hiding behind a reply that belonged to another message.
            reasons.add(stray + " replies came with no message in flight (" + analysis.unrelatedErrors().entrySet()
                    .stream().filter(e -> e.getKey().startsWith(Analysis.STRAY))
                    .map(e -> e.getKey() + " x" + e.getValue()).collect(Collectors.joining(", "))
                    + "): replies cannot be tied to their messages, so the classes cannot be trusted");
        }
        return new Verdict(reasons.isEmpty(), reasons, failures, notes);
    }

    private static Map<String, Integer> largestFirst(Map<String, Integer> counts) {
        Map<String, Integer> out = new LinkedHashMap<>();
        counts.entrySet().stream()
                .sorted(Map.Entry.<String, Integer>comparingByValue().reversed().thenComparing(Map.Entry.comparingByKey()))
                .forEach(e -> out.put(e.getKey(), e.getValue()));
        return Collections.unmodifiableMap(out);
    }
}
