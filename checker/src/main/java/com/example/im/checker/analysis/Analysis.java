package com.example.im.checker.analysis;

import com.example.im.checker.history.Event;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.Deque;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * What a history says happened: every (message, intended recipient) pair sorted into an {@link Outcome}, the
 * per-delivery checks (out-of-order, foreign), latency, a per-second time series, the faults with the time until
 * deliveries resumed, and for every item the fault it is attributed to (the last to begin before it was sent,
 * among those whose window covers the send).
 *
 * <p>A message is identified by (sender client, seq). Its reply is the best one the sender got: an ack beats an
 * error, an error beats a noreply; a send without any reply (the run ended) counts as noreply.
 */
public final class Analysis {

    /** How many examples per class are kept for the reports. */
    public static final int EXAMPLES = 5;
    /** How long before a fault's start a send is still attributed to it (the fault may already be under way). */
    public static final long LEAD_MILLIS = 1000;
    /**
     * The prefix of an error code the client records for a reply that came with no message in flight (a
     * {@code SendAck}, or an error that answers sends): {@code STRAY_ACK}, {@code STRAY_OFFLINE} ...
     */
    public static final String STRAY = "STRAY_";
    /** The reliable client's counts ({@link #clientNotes()}). */
    public static final String RESENT = "messages sent again (same client_msg_id)";
    public static final String DROPPED_SHOWN = "redeliveries dropped by seq (already shown)";
    public static final String DROPPED_AHEAD = "dropped by seq (ahead of the next)";
    public static final String GAPS = "gaps (trimmed ranges) reported";
    /** How many seconds before a fault give the normal delivery rate that "resumed" compares with. */
    public static final int BASELINE_SECONDS = 10;

    /**
     * One classified item: a (message, recipient) pair, or for out-of-order / foreign one delivery.
     *
     * @param sendTime    when the message was sent; -1 if it never was (a foreign delivery)
     * @param deliverTime the first delivery (for a pair) or this delivery (out-of-order, foreign); -1 if none
     * @param deliveries  how many times this recipient got this message (for a per-delivery item: 1)
     * @param faults      the faults whose window contains {@link #time()}; empty = steady state
     */
    public record Item(Outcome outcome, String sender, long seq, String recipient, long sendTime, long deliverTime,
                       int deliveries, List<Fault> faults) {

        /** The time attribution and the charts use: the send time, or the delivery time if it was never sent. */
        public long time() {
            return sendTime >= 0 ? sendTime : deliverTime;
        }

        public boolean steadyState() {
            return faults.isEmpty();
        }

        /** The distinct fault names this item is attributed to, sorted. */
        public Set<String> faultNames() {
            Set<String> names = new TreeSet<>();
            faults.forEach(f -> names.add(f.name()));
            return names;
        }

        /** "steady state", or the fault names joined with '+', e.g. "kill9+pause". */
        public String attribution() {
            return faults.isEmpty() ? "steady state" : String.join("+", faultNames());
        }

        /** e.g. "c1#12 -> c2, sent 3.456 s, delivered 3.500 s (x2), during kill9". */
        public String describe() {
            StringBuilder b = new StringBuilder().append(sender).append('#').append(seq).append(" -> ").append(recipient);
            b.append(sendTime >= 0 ? ", sent " + seconds(sendTime) : ", never sent");
            if (deliverTime >= 0) {
                b.append(", delivered ").append(seconds(deliverTime));
            } else {
                b.append(", never delivered");
            }
            if (deliveries > 1) {
                b.append(" (x").append(deliveries).append(')');
            }
            b.append(faults.isEmpty() ? ", steady state" : ", during " + attribution());
            return b.toString();
        }
    }

    /**
     * A fault from its start to its end.
     *
     * @param ended              false: no end event; {@code end} is then the end of the history
     * @param resumedAfterMillis from the start to the first second (at or after the start) with at least half the
     *                           usual deliveries/s; {@link #NOT_RESUMED} or {@link #NO_BASELINE} otherwise
     */
    public record Fault(String name, String target, long start, long end, boolean ended, long resumedAfterMillis) {
        public static final long NOT_RESUMED = -1;
        /** No deliveries in the seconds before the fault: nothing to compare with. */
        public static final long NO_BASELINE = -2;

        public String resumedText() {
            if (resumedAfterMillis == NOT_RESUMED) {
                return "did not resume";
            }
            if (resumedAfterMillis == NO_BASELINE) {
                return "n/a (no deliveries before)";
            }
            return String.format(Locale.ROOT, "%.1f s", resumedAfterMillis / 1000.0);
        }

        /** The attribution window: [start - 1 s, end + windowMillis]. */
        public boolean covers(long t, long windowMillis) {
            return t >= start - LEAD_MILLIS && t <= end + windowMillis;
        }
    }

    private record Msg(String client, long seq) {
    }

    private record Reply(String type, Event event) {
    }

    private final long windowMillis;
    private final long durationMillis;
    private final String runText;
    private final int sends;
    private final long firstSend;
    private final long lastSend;
    private final int deliveryEvents;
    private final int pairs;
    private final Map<String, Integer> unrelatedErrors;
    private final Map<Outcome, List<Item>> byClass;
    private final List<Fault> faults;
    private final long[] sortedLatencies;
    private final long[] sendsPerSecond;
    private final long[] deliveriesPerSecond;
    private final long[] p99PerSecond;
    private final long[] badPerSecond;
    private final Map<String, Integer> clientNotes;
    private final List<Event> faultSteps;

    private Analysis(long windowMillis, long durationMillis, String runText, int sends, long firstSend, long lastSend,
                     int deliveryEvents, int pairs,
                     Map<String, Integer> unrelatedErrors, Map<Outcome, List<Item>> byClass, List<Fault> faults,
                     long[] sortedLatencies, long[] sendsPerSecond, long[] deliveriesPerSecond, long[] p99PerSecond,
                     long[] badPerSecond, Map<String, Integer> clientNotes, List<Event> faultSteps) {
        this.clientNotes = clientNotes;
        this.faultSteps = faultSteps;
        this.windowMillis = windowMillis;
        this.durationMillis = durationMillis;
        this.runText = runText;
        this.sends = sends;
        this.firstSend = firstSend;
        this.lastSend = lastSend;
        this.deliveryEvents = deliveryEvents;
        this.pairs = pairs;
        this.unrelatedErrors = unrelatedErrors;
        this.byClass = byClass;
        this.faults = faults;
        this.sortedLatencies = sortedLatencies;
        this.sendsPerSecond = sendsPerSecond;
        this.deliveriesPerSecond = deliveriesPerSecond;
        this.p99PerSecond = p99PerSecond;
        this.badPerSecond = badPerSecond;
    }

    /**
     * Analyses a history.
     *
     * @param windowMillis how long after a fault's end a send is still attributed to it (recovery time the stage
     *                     may take: reconnects, session expiry, redelivery)
     */
    public static Analysis of(List<Event> history, long windowMillis) {
        return of(history, windowMillis, false);
    }

    /**
     * Analyses a history.
     *
     * @param offlineIsStored true for a stage whose SendAck lists a recipient as offline when it stored the message
     *                        for their next login (stage 7: {@code client = reliable}): such a pair counts as
     *                        accepted (delivered or lost-acked), not as rejected
     */
    public static Analysis of(List<Event> history, long windowMillis, boolean offlineIsStored) {
        List<Event> events = new ArrayList<>(history);
        events.sort(Comparator.comparingLong(Event::t)); // stable: equal times keep the recorded order

        long duration = 0;
        String runText = null;
        Map<Msg, Long> sendTime = new LinkedHashMap<>();
        Map<Msg, Set<String>> recipients = new HashMap<>();
        Map<Msg, Reply> replies = new HashMap<>();
        Map<String, Integer> unrelatedErrors = new TreeMap<>();
        List<Event> deliveries = new ArrayList<>();
        List<Event> faultEvents = new ArrayList<>();
        int sends = 0;
        long firstSend = -1;
        long lastSend = -1;
        Map<String, Integer> clientNotes = new LinkedHashMap<>();
        if (offlineIsStored) {
            // A reliable client's run: its counts are shown even when they are 0, in this order.
            for (String kind : List.of(RESENT, DROPPED_SHOWN, DROPPED_AHEAD, GAPS)) {
                clientNotes.put(kind, 0);
            }
        }
        for (Event e : events) {
            duration = Math.max(duration, e.t());
            if (e.type() == null) {
                continue;
            }
            switch (e.type()) {
                case "run" -> runText = runText == null ? e.text() : runText;
                case "send" -> {
                    sends++;
                    firstSend = firstSend < 0 ? e.t() : firstSend;
                    lastSend = e.t();
                    Msg m = new Msg(e.client(), e.seq());
                    sendTime.putIfAbsent(m, e.t());
                    recipients.computeIfAbsent(m, k -> new LinkedHashSet<>())
                            .addAll(e.to() == null ? List.of() : e.to());
                }
                case "ack", "noreply" -> offerReply(replies, new Msg(e.client(), e.seq()), new Reply(e.type(), e));
                case "error" -> {
                    if (e.seq() == null) {
                        unrelatedErrors.merge(e.code() == null ? "?" : e.code(), 1, Integer::sum);
                    } else {
                        offerReply(replies, new Msg(e.client(), e.seq()), new Reply("error", e));
                    }
                }
                case "deliver" -> deliveries.add(e);
                case "fault" -> faultEvents.add(e);
                case "resend" -> clientNotes.merge(RESENT, 1, Integer::sum);
                case "dropped" -> clientNotes.merge(e.text() != null && e.text().startsWith("ahead")
                        ? DROPPED_AHEAD : DROPPED_SHOWN, 1, Integer::sum);
                case "gap" -> clientNotes.merge(GAPS, 1, Integer::sum);
                default -> {
                }
            }
        }
        int seconds = (int) (duration / 1000) + 1;

        // Deliveries: per (message, recipient) their times; foreign and out-of-order deliveries as items.
        Map<Msg, Map<String, List<Long>>> delivered = new HashMap<>();
        Map<String, Map<String, TreeSet<Long>>> seenSeqs = new HashMap<>(); // recipient -> sender -> seqs
        List<Item> perDelivery = new ArrayList<>();
        long[] deliveriesPerSecond = new long[seconds];
        for (Event d : deliveries) {
            deliveriesPerSecond[bucket(d.t())]++;
            Msg m = new Msg(d.from(), d.seq() == null ? -1 : d.seq());
            Set<String> to = recipients.get(m);
            if (to == null || !to.contains(d.client())) {
                perDelivery.add(new Item(Outcome.FOREIGN, d.from(), m.seq(), d.client(),
                        to == null ? -1 : sendTime.get(m), d.t(), 1, List.of()));
                continue;
            }
            delivered.computeIfAbsent(m, k -> new HashMap<>()).computeIfAbsent(d.client(), k -> new ArrayList<>())
                    .add(d.t());
            TreeSet<Long> seen = seenSeqs.computeIfAbsent(d.client(), k -> new HashMap<>())
                    .computeIfAbsent(d.from(), k -> new TreeSet<>());
            if (!seen.contains(m.seq()) && !seen.isEmpty() && seen.last() > m.seq()) {
                perDelivery.add(new Item(Outcome.OUT_OF_ORDER, d.from(), m.seq(), d.client(), sendTime.get(m), d.t(),
                        1, List.of()));
            }
            seen.add(m.seq());
        }

        // Pairs.
        List<Item> pairItems = new ArrayList<>();
        List<Long> latencies = new ArrayList<>();
        List<long[]> firstDeliveries = new ArrayList<>(); // {delivery time, latency}
        for (Map.Entry<Msg, Long> s : sendTime.entrySet()) {
            Msg m = s.getKey();
            Reply reply = replies.get(m);
            Map<String, List<Long>> got = delivered.getOrDefault(m, Map.of());
            for (String r : recipients.get(m)) {
                List<Long> times = got.getOrDefault(r, List.of());
                Outcome o = classify(reply, r, times.size(), offlineIsStored);
                long first = times.isEmpty() ? -1 : times.get(0);
                if (first >= 0) {
                    latencies.add(first - s.getValue());
                    firstDeliveries.add(new long[] {first, first - s.getValue()});
                }
                pairItems.add(new Item(o, m.client(), m.seq(), r, s.getValue(), first, times.size(), List.of()));
            }
        }

        // Time series.
        long[] sendsPerSecond = new long[seconds];
        for (Event e : events) {
            if ("send".equals(e.type())) {
                sendsPerSecond[bucket(e.t())]++;
            }
        }
        long[] p99PerSecond = new long[seconds];
        List<List<Long>> latencyBySecond = new ArrayList<>();
        for (int i = 0; i < seconds; i++) {
            latencyBySecond.add(new ArrayList<>());
        }
        for (long[] fd : firstDeliveries) {
            latencyBySecond.get(bucket(fd[0])).add(fd[1]);
        }
        for (int i = 0; i < seconds; i++) {
            long[] sorted = sorted(latencyBySecond.get(i));
            p99PerSecond[i] = percentile(sorted, 0.99);
        }

        // Faults, then attribution.
        List<Fault> faults = pairFaults(faultEvents, duration, deliveriesPerSecond);
        Map<Outcome, List<Item>> byClass = new EnumMap<>(Outcome.class);
        for (Outcome o : Outcome.values()) {
            byClass.put(o, new ArrayList<>());
        }
        long[] badPerSecond = new long[seconds];
        List<Item> all = new ArrayList<>(pairItems);
        all.addAll(perDelivery);
        for (Item i : all) {
            // The one fault the message was sent under: of those whose window covers the send, the one that began
            // last. Windows overlap when faults come close together; blaming every covering fault would let one
            // fault's allowance excuse what went wrong under the next (a loss during a pause passing because a kill -9
            // had ended 5 s before).
            Fault under = null;
            for (Fault f : faults) {
                if (f.covers(i.time(), windowMillis) && (under == null || f.start() >= under.start())) {
                    under = f;
                }
            }
            Item attributed = new Item(i.outcome(), i.sender(), i.seq(), i.recipient(), i.sendTime(), i.deliverTime(),
                    i.deliveries(), under == null ? List.of() : List.of(under));
            byClass.get(i.outcome()).add(attributed);
            if (i.outcome().isBad()) {
                badPerSecond[bucket(i.time())]++;
            }
        }
        Comparator<Item> order = Comparator.comparingLong(Item::time).thenComparing(Item::sender)
                .thenComparingLong(Item::seq).thenComparing(Item::recipient);
        byClass.replaceAll((o, list) -> {
            list.sort(order);
            return Collections.unmodifiableList(list);
        });

        return new Analysis(windowMillis, duration, runText, sends, firstSend, lastSend, deliveries.size(),
                pairItems.size(),
                Collections.unmodifiableMap(unrelatedErrors), Collections.unmodifiableMap(byClass),
                List.copyOf(faults), sorted(latencies), sendsPerSecond, deliveriesPerSecond, p99PerSecond,
                badPerSecond, Collections.unmodifiableMap(clientNotes),
                faultEvents.stream().filter(e -> !"start".equals(e.phase()) && !"end".equals(e.phase())).toList());
    }

    private static int bucket(long t) {
        return (int) (Math.max(0, t) / 1000);
    }

    private static void offerReply(Map<Msg, Reply> replies, Msg m, Reply r) {
        replies.merge(m, r, (old, neu) -> rank(neu.type()) > rank(old.type()) ? neu : old);
    }

    private static int rank(String replyType) {
        return switch (replyType) {
            case "ack" -> 3;
            case "error" -> 2;
            default -> 1;
        };
    }

    private static Outcome classify(Reply reply, String recipient, int deliveries, boolean offlineIsStored) {
        if (deliveries >= 2) {
            return Outcome.DUPLICATED;
        }
        boolean once = deliveries == 1;
        if (reply == null || reply.type().equals("noreply")) {
            return once ? Outcome.DELIVERED_UNANSWERED : Outcome.LOST_UNANSWERED;
        }
        if (reply.type().equals("error") || !offlineIsStored && contains(reply.event().offline(), recipient)) {
            return once ? Outcome.REJECTED_DELIVERED : Outcome.REJECTED;
        }
        // An ack that does not list the recipient as offline: accepted for it (an ack with both lists empty means
        // accepted for every recipient; one that lists others but not this one is taken at its word that it took
        // the message, so a loss counts).
        return once ? Outcome.DELIVERED : Outcome.LOST_ACKED;
    }

    private static boolean contains(List<String> list, String s) {
        return list != null && list.contains(s);
    }

    private static List<Fault> pairFaults(List<Event> faultEvents, long duration, long[] deliveriesPerSecond) {
        record Key(String name, String target) {
        }
        Map<Key, Deque<Event>> open = new LinkedHashMap<>();
        List<long[]> spans = new ArrayList<>();
        List<Key> keys = new ArrayList<>();
        List<Boolean> ended = new ArrayList<>();
        for (Event e : faultEvents) {
            Key k = new Key(e.fault(), e.node());
            if ("start".equals(e.phase())) {
                open.computeIfAbsent(k, x -> new ArrayDeque<>()).addLast(e);
            } else if ("end".equals(e.phase())) {
                Deque<Event> q = open.get(k);
                if (q != null && !q.isEmpty()) {
                    spans.add(new long[] {q.removeFirst().t(), e.t()});
                    keys.add(k);
                    ended.add(true);
                }
            }
        }
        for (Map.Entry<Key, Deque<Event>> o : open.entrySet()) {
            for (Event s : o.getValue()) {
                spans.add(new long[] {s.t(), duration});
                keys.add(o.getKey());
                ended.add(false);
            }
        }
        List<Fault> faults = new ArrayList<>();
        for (int i = 0; i < spans.size(); i++) {
            long start = spans.get(i)[0];
            faults.add(new Fault(keys.get(i).name(), keys.get(i).target(), start, spans.get(i)[1], ended.get(i),
                    resumedAfter(start, deliveriesPerSecond)));
        }
        faults.sort(Comparator.comparingLong(Fault::start).thenComparing(Fault::name, Comparator.nullsFirst(
                Comparator.naturalOrder())));
        return faults;
    }

    /**
     * From {@code start} to the first whole second at or after it whose deliveries reach half the median
     * deliveries/s of the (up to) 10 whole seconds before it.
     */
    static long resumedAfter(long start, long[] deliveriesPerSecond) {
        int startBucket = (int) (start / 1000);
        int from = Math.max(0, startBucket - BASELINE_SECONDS);
        if (startBucket - from <= 0) {
            return Fault.NO_BASELINE;
        }
        long[] before = Arrays.copyOfRange(deliveriesPerSecond, from, startBucket);
        Arrays.sort(before);
        double median = before.length % 2 == 1 ? before[before.length / 2]
                : (before[before.length / 2 - 1] + before[before.length / 2]) / 2.0;
        if (median <= 0) {
            return Fault.NO_BASELINE;
        }
        for (int b = (int) ((start + 999) / 1000); b < deliveriesPerSecond.length; b++) {
            if (deliveriesPerSecond[b] >= median / 2) {
                return b * 1000L - start;
            }
        }
        return Fault.NOT_RESUMED;
    }

    private static long[] sorted(List<Long> values) {
        long[] a = new long[values.size()];
        for (int i = 0; i < a.length; i++) {
            a[i] = values.get(i);
        }
        Arrays.sort(a);
        return a;
    }

    /** Nearest-rank percentile of a sorted array; -1 if it is empty. */
    static long percentile(long[] sorted, double p) {
        if (sorted.length == 0) {
            return -1;
        }
        int rank = (int) Math.ceil(p * sorted.length);
        return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1];
    }

    static String seconds(long millis) {
        return String.format(Locale.ROOT, "%.3f s", millis / 1000.0);
    }

    // ---- the results ----

    public long windowMillis() {
        return windowMillis;
    }

    /** The last event's time: the length of the run. */
    public long durationMillis() {
        return durationMillis;
    }

    /** The text of the first "run" event (stage, seed, settings), or null. */
    public String runText() {
        return runText;
    }

    /** Send events (a resend of the same (client, seq) counts again). */
    public int sends() {
        return sends;
    }

    /** The first send's time; -1 if nothing was sent. */
    public long firstSendMillis() {
        return firstSend;
    }

    /** The last send's time: when the traffic stopped; -1 if nothing was sent. */
    public long lastSendMillis() {
        return lastSend;
    }

    /** Deliver events, foreign ones included. */
    public int deliveries() {
        return deliveryEvents;
    }

    /** (message, intended recipient) pairs: the denominator of the pair outcomes' percentages. */
    public int pairs() {
        return pairs;
    }

    /** Error replies that answered no send (KICKED ...), by code. */
    public Map<String, Integer> unrelatedErrors() {
        return unrelatedErrors;
    }

    /**
     * What a reliable client did that is not a class (informational): messages sent again, redeliveries it dropped by
     * seq, gaps reported; by kind. Empty for the stop-and-wait client.
     */
    public Map<String, Integer> clientNotes() {
        return clientNotes;
    }

    public int count(Outcome o) {
        return byClass.get(o).size();
    }

    /** Every item of a class, by time, each with its attribution. */
    public List<Item> items(Outcome o) {
        return byClass.get(o);
    }

    /** The first {@link #EXAMPLES} items of a class. */
    public List<Item> examples(Outcome o) {
        List<Item> all = byClass.get(o);
        return all.subList(0, Math.min(EXAMPLES, all.size()));
    }

    /**
     * What a fault recorded between its start and its end (a phase other than "start" and "end"): for
     * redis-master-kill, the moment the Redis Cluster was ok again ("failover": the window and the promoted replica)
     * and the moment the killed master was back as a replica ("rejoined"). Informational: windows run start to end.
     */
    public List<Event> faultSteps() {
        return faultSteps;
    }

    /** Faults, by start time. */
    public List<Fault> faults() {
        return faults;
    }

    /** Items of bad classes ({@link Outcome#isBad()}) attributed to this fault, by class (only non-zero). */
    public Map<Outcome, Integer> badAttributedTo(Fault f) {
        Map<Outcome, Integer> counts = new EnumMap<>(Outcome.class);
        for (Outcome o : Outcome.values()) {
            if (o.isBad()) {
                int n = (int) byClass.get(o).stream().filter(i -> i.faults().contains(f)).count();
                if (n > 0) {
                    counts.put(o, n);
                }
            }
        }
        return counts;
    }

    /** How many (first-)deliveries have a latency. */
    public int latencyCount() {
        return sortedLatencies.length;
    }

    /** Latency percentile (0..1) in ms of first deliveries (deliver.t - send.t); -1 if nothing was delivered. */
    public long latencyPercentile(double p) {
        return percentile(sortedLatencies, p);
    }

    public long latencyP50() {
        return latencyPercentile(0.50);
    }

    public long latencyP99() {
        return latencyPercentile(0.99);
    }

    public long latencyMax() {
        return sortedLatencies.length == 0 ? -1 : sortedLatencies[sortedLatencies.length - 1];
    }

    /** Index i = second i of the run. */
    public long[] sendsPerSecond() {
        return sendsPerSecond.clone();
    }

    public long[] deliveriesPerSecond() {
        return deliveriesPerSecond.clone();
    }

    /** p99 latency (ms) of the first deliveries that happened in each second; -1 where there were none. */
    public long[] p99LatencyPerSecond() {
        return p99PerSecond.clone();
    }

    /** Items of bad classes per second, by {@link Item#time()}. */
    public long[] badPerSecond() {
        return badPerSecond.clone();
    }
}
