package com.example.im.checker.analysis;

import java.util.Arrays;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * The classes the checker sorts what happened into. Most are outcomes of a (message, intended recipient) pair; the
 * last two ({@link #OUT_OF_ORDER}, {@link #FOREIGN}) count single deliveries instead, but a promise selects them the
 * same way. The label is the name used in {@code checker.promise} files and in the reports.
 */
public enum Outcome {
    DELIVERED("delivered", true, false,
            "the server took the message for this recipient and the recipient saw it exactly once"),
    DUPLICATED("duplicated", true, true,
            "the recipient saw the same message two or more times"),
    LOST_ACKED("lost-acked", true, true,
            "the server said it took the message, the recipient never saw it (acked-but-lost: the worst class)"),
    REJECTED("rejected", true, false,
            "the sender was told it failed (an error reply, or the recipient listed as offline) and it was never delivered"),
    REJECTED_DELIVERED("rejected-delivered", true, true,
            "the sender was told it failed, yet the recipient saw it once"),
    LOST_UNANSWERED("lost-unanswered", true, true,
            "the sender got no answer (timeout or dropped connection) and the recipient never saw it"),
    DELIVERED_UNANSWERED("delivered-unanswered", true, false,
            "the sender got no answer, but the recipient saw it once"),
    OUT_OF_ORDER("out-of-order", false, true,
            "a delivery that arrived after a later message from the same sender had already arrived (counted per delivery)"),
    FOREIGN("foreign", false, true,
            "a delivery of a message that was never sent, or not sent to this recipient (counted per delivery)");

    private final String label;
    private final boolean pair;
    private final boolean bad;
    private final String meaning;

    Outcome(String label, boolean pair, boolean bad, String meaning) {
        this.label = label;
        this.pair = pair;
        this.bad = bad;
        this.meaning = meaning;
    }

    /** The kebab-case name used in promise files and reports, e.g. {@code lost-acked}. */
    public String label() {
        return label;
    }

    /** True for outcomes of a (message, recipient) pair; false for per-delivery counts (out-of-order, foreign). */
    public boolean isPairOutcome() {
        return pair;
    }

    /**
     * True for the classes that are a misbehaviour in themselves (drawn red, counted against faults); false for
     * delivered, rejected and delivered-unanswered, which a stage may always produce unless its promise says otherwise.
     */
    public boolean isBad() {
        return bad;
    }

    /** One line of plain English: what this class means. */
    public String meaning() {
        return meaning;
    }

    public static Optional<Outcome> fromLabel(String label) {
        return Arrays.stream(values()).filter(o -> o.label.equals(label)).findFirst();
    }

    static String allLabels() {
        return Arrays.stream(values()).map(Outcome::label).collect(Collectors.joining(", "));
    }

    @Override
    public String toString() {
        return label;
    }
}
