package com.example.im.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One node's meters (docs/08-web-edge.md, "Metrics"), in a {@link PrometheusMeterRegistry} of its own — never
 * Micrometer's global registry: tests run several nodes in one JVM, and each must show its own numbers at its own
 * {@code GET /metrics}. Every meter is created once here and kept in a field, so the hot paths only increment a
 * counter they already hold (no name or tag lookup per message).
 *
 * <table>
 *   <caption>The meters, as Prometheus names them</caption>
 *   <tr><th>Name</th><th>Type</th><th>Meaning</th></tr>
 *   <tr><td>{@code im_connections{transport="tcp"|"ws"}}</td><td>gauge</td><td>chat connections open now (TCP port,
 *       or WebSocket after its handshake; plain HTTP requests are not counted)</td></tr>
 *   <tr><td>{@code im_logins_total{result="ok"|"refused"}}</td><td>counter</td><td>login acks sent; logins answered
 *       with an error or a go-away instead (bad uid, bad token, Redis down, node stopping)</td></tr>
 *   <tr><td>{@code im_messages_accepted_total}</td><td>counter</td><td>chat messages this node acknowledged to their
 *       sender (a SendAck went out: stored in every recipient's mailbox)</td></tr>
 *   <tr><td>{@code im_messages_pushed_total}</td><td>counter</td><td>chat messages written to this node's clients
 *       (resends included)</td></tr>
 *   <tr><td>{@code im_acks_received_total}</td><td>counter</td><td>Ack frames received from clients (cumulative:
 *       one may cover many messages)</td></tr>
 *   <tr><td>{@code im_delivery_latency_seconds}</td><td>timer (a Prometheus histogram: {@code _bucket},
 *       {@code _count}, {@code _sum}; and {@code _max})</td><td>from the message's server timestamp (stamped by the <em>sender's</em> node) to the
 *       recipient's Ack reaching <em>its</em> node. Across nodes this mixes two clocks: a skew of N ms between them
 *       shifts every cross-node sample by N ms. A message waiting for an offline user counts its whole wait</td></tr>
 *   <tr><td>{@code im_delivery_latency_quantile_seconds{quantile="0.5"|"0.99"}}</td><td>gauge</td><td>the same
 *       latency's median and 99th percentile, estimated in the node over the last minute (a decaying window; in
 *       Prometheus, {@code histogram_quantile} over the buckets is the cluster-wide alternative)</td></tr>
 *   <tr><td>{@code im_inbox_lag_entries}</td><td>gauge</td><td>entries of this node's Redis inbox stream not yet
 *       finished: not yet read by its consumer group plus read and unacknowledged (XINFO GROUPS lag + pending),
 *       sampled every {@value #SAMPLE_MILLIS} ms, not per message</td></tr>
 *   <tr><td>{@code im_redis_errors_total}</td><td>counter</td><td>Redis calls that failed where the node routes: a
 *       session not written, a message not stored or routed, a renewal pass, a takeover, a lag sample</td></tr>
 *   <tr><td>{@code im_goaways_total}</td><td>counter</td><td>go-away frames sent (shutdown, a login during it)</td></tr>
 *   <tr><td>{@code im_takeovers_total}</td><td>counter</td><td>inboxes of departed nodes this node took over</td></tr>
 *   <tr><td>{@code im_node_info{node="..."}}</td><td>gauge</td><td>always 1: the node's id, as a label</td></tr>
 *   <tr><td>{@code jvm_*}, {@code process_*}, {@code system_*}</td><td>various</td><td>Micrometer's JVM and process
 *       binders (memory, GC, threads, classes, CPU, uptime). With several nodes in one JVM (tests) these are the
 *       JVM's, the same for all of them</td></tr>
 * </table>
 *
 * <p>Besides the meters it keeps this node's recent events (nodes joined and left, takeovers, start and stop) for the
 * cluster page, in a bounded buffer.
 */
public final class NodeMetrics implements AutoCloseable {

    /** How often the inbox lag is sampled (and the cluster page's series, {@link ClusterView}). */
    public static final long SAMPLE_MILLIS = 2_000;
    /** Events kept for the cluster page. */
    static final int EVENTS = 100;
    /** The Content-Type of {@link #scrape()}: Prometheus text format 0.0.4. */
    public static final String CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final AtomicInteger tcpConnections = new AtomicInteger();
    private final AtomicInteger wsConnections = new AtomicInteger();
    private final AtomicLong inboxLag = new AtomicLong();
    private final JvmGcMetrics gc;

    final Counter loginsOk;
    final Counter loginsRefused;
    final Counter accepted;
    final Counter pushed;
    final Counter acks;
    final Timer latency;
    private final Counter redisErrors;
    final Counter goAways;
    private final Counter takeovers;

    private final ArrayDeque<Event> events = new ArrayDeque<>();

    /** One recent event of the cluster as this node saw it. */
    public record Event(long at, String type, String node, String detail) {
    }

    /**
     * A node's meters with the JVM/process binders. Created before the node knows its id (the id may contain the port
     * it is about to bind); {@link #identify} adds it once known.
     */
    public NodeMetrics() {
        this(true);
    }

    /**
     * {@code jvm}: whether to bind the JVM and process meters (a test that only needs somewhere to count passes
     * false).
     */
    public NodeMetrics(boolean jvm) {
        Gauge.builder("im.connections", tcpConnections, AtomicInteger::get).tag("transport", "tcp")
                .description("chat connections open now").register(registry);
        Gauge.builder("im.connections", wsConnections, AtomicInteger::get).tag("transport", "ws")
                .description("chat connections open now").register(registry);
        loginsOk = Counter.builder("im.logins").tag("result", "ok").description("logins answered").register(registry);
        loginsRefused = Counter.builder("im.logins").tag("result", "refused").description("logins answered")
                .register(registry);
        accepted = Counter.builder("im.messages.accepted").description("chat messages acknowledged to their sender")
                .register(registry);
        pushed = Counter.builder("im.messages.pushed").description("chat messages written to clients")
                .register(registry);
        acks = Counter.builder("im.acks.received").description("Ack frames received").register(registry);
        latency = Timer.builder("im.delivery.latency")
                .description("from the message's server timestamp to the recipient's Ack at its node")
                .publishPercentiles(0.5, 0.99)
                .publishPercentileHistogram()
                .minimumExpectedValue(Duration.ofMillis(1))
                .maximumExpectedValue(Duration.ofSeconds(60))
                .distributionStatisticExpiry(Duration.ofMinutes(1))
                .distributionStatisticBufferLength(3)
                .register(registry);
        // With a histogram, Prometheus's format has no room for the timer's own quantiles: they get a gauge.
        for (double q : new double[] {0.5, 0.99}) {
            Gauge.builder("im.delivery.latency.quantile", latency, t -> quantile(t, q)).baseUnit("seconds")
                    .tag("quantile", Double.toString(q))
                    .description("delivery latency quantile over the last minute or so (client-side estimate)")
                    .register(registry);
        }
        Gauge.builder("im.inbox.lag", inboxLag, AtomicLong::get).baseUnit("entries")
                .description("entries of this node's inbox not yet finished (sampled)").register(registry);
        redisErrors = Counter.builder("im.redis.errors").description("failed Redis calls").register(registry);
        goAways = Counter.builder("im.goaways").description("go-away frames sent").register(registry);
        takeovers = Counter.builder("im.takeovers").description("inboxes of departed nodes taken over")
                .register(registry);
        if (jvm) {
            new JvmMemoryMetrics().bindTo(registry);
            new JvmThreadMetrics().bindTo(registry);
            new ClassLoaderMetrics().bindTo(registry);
            new ProcessorMetrics().bindTo(registry);
            new UptimeMetrics().bindTo(registry);
            gc = new JvmGcMetrics();
            gc.bindTo(registry);
        } else {
            gc = null;
        }
    }

    /** Meters that count into a registry nobody scrapes (tests and tools that build a pipeline without a node). */
    public static NodeMetrics unscraped() {
        return new NodeMetrics(false);
    }

    /** Adds {@code im_node_info{node="<id>"} 1}: which node these numbers are from, for a Prometheus query. */
    public void identify(String nodeId) {
        Gauge.builder("im.node.info", () -> 1).tag("node", nodeId).description("the node these meters belong to")
                .register(registry);
    }

    /** The Prometheus text of every meter ({@link #CONTENT_TYPE}). */
    public String scrape() {
        return registry.scrape();
    }

    public PrometheusMeterRegistry registry() {
        return registry;
    }

    /** A chat connection opened ({@code ws}: a WebSocket one); the returned action counts it closed. */
    Runnable connectionOpened(boolean ws) {
        AtomicInteger count = ws ? wsConnections : tcpConnections;
        count.incrementAndGet();
        return count::decrementAndGet;
    }

    /** Chat connections open now, both transports. */
    public int connections() {
        return tcpConnections.get() + wsConnections.get();
    }

    public void redisError() {
        redisErrors.increment();
    }

    /** The latest sample of this node's inbox lag. */
    public void inboxLag(long entries) {
        inboxLag.set(entries);
    }

    public void takeover(String departed) {
        takeovers.increment();
        event("takeover", departed, "this node took over the inbox of " + departed);
    }

    /** Records an event for the cluster page (oldest dropped past {@value #EVENTS}). */
    public void event(String type, String node, String detail) {
        synchronized (events) {
            if (events.size() == EVENTS) {
                events.removeFirst();
            }
            events.addLast(new Event(System.currentTimeMillis(), type, node, detail));
        }
    }

    /** The recent events, oldest first. */
    public List<Event> events() {
        synchronized (events) {
            return new ArrayList<>(events);
        }
    }

    /** Delivery latency samples so far (tests). */
    public long latencyCount() {
        return latency.count();
    }

    private static double quantile(Timer timer, double q) {
        var snapshot = timer.takeSnapshot();
        if (snapshot.max() == 0) {
            return Double.NaN; // nothing in the window (none yet, or none for a minute): not "0 ms"
        }
        for (var value : snapshot.percentileValues()) {
            if (value.percentile() == q) {
                return value.value(TimeUnit.SECONDS);
            }
        }
        return Double.NaN;
    }

    /** Records one delivery latency. */
    void delivered(long millis) {
        latency.record(Math.max(0, millis), TimeUnit.MILLISECONDS);
    }

    @Override
    public void close() {
        if (gc != null) {
            gc.close();
        }
        registry.close();
    }
}
