package com.example.im.metrics;

import com.example.im.registry.NodeInfo;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What {@code GET /api/cluster} answers (docs/08-web-edge.md, "The cluster page"): every node registered in ZooKeeper
 * with its connections, inbox lag, messages/s and delivery latency, as series over the last
 * {@value #HISTORY_MILLIS} ms, and this node's recent events. The numbers come from each node's own {@code /metrics}
 * (this node's straight from its registry): the page shows what a Prometheus would scrape, nothing computed aside.
 *
 * <p>Everything runs on one daemon thread of this node's, never on an event loop: every {@value
 * NodeMetrics#SAMPLE_MILLIS} ms it samples this node's inbox lag (one Redis call) and — only while someone asked for
 * the cluster in the last {@value #IDLE_AFTER_MILLIS} ms — scrapes every node, asynchronously, each with a
 * {@value #SCRAPE_TIMEOUT_MILLIS} ms timeout. A node that does not answer is shown as unreachable; it delays nothing.
 */
public final class ClusterView implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(ClusterView.class);

    static final long HISTORY_MILLIS = 5 * 60_000;
    static final int POINTS = (int) (HISTORY_MILLIS / NodeMetrics.SAMPLE_MILLIS);
    static final long IDLE_AFTER_MILLIS = 60_000;
    static final long SCRAPE_TIMEOUT_MILLIS = 1_500;

    /** One client for every node of the JVM: its threads are shared, and it only ever talks to our nodes. */
    private static final class Client {
        static final java.util.concurrent.ExecutorService EXECUTOR = Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "im-cluster-scrape");
            t.setDaemon(true);
            return t;
        });
        static final HttpClient HTTP = HttpClient.newBuilder()
                .connectTimeout(Duration.ofMillis(SCRAPE_TIMEOUT_MILLIS))
                .executor(EXECUTOR)
                .build();
    }

    /** What one scrape of a node's /metrics says. NaN: not measured (no latency sample yet). */
    record Sample(boolean reachable, double connections, double inboxLag, double accepted, double pushed, double p50,
                  double p99) {
        static final Sample UNREACHABLE = new Sample(false, Double.NaN, Double.NaN, Double.NaN, Double.NaN,
                Double.NaN, Double.NaN);
    }

    /** One point of a node's series. */
    record Point(long at, Sample sample, double msgsPerSec, double pushedPerSec) {
    }

    private final HttpClient http;
    private final NodeMetrics self;
    private final String selfId;
    private final Supplier<List<NodeInfo>> nodes;
    private final LongSupplier inboxLag;
    private final ScheduledExecutorService thread;
    private final Map<String, ArrayDeque<Point>> series = new LinkedHashMap<>(); // guarded by itself
    private volatile long lastAsked;
    private volatile long lastRound;

    /**
     * @param nodes    the registered nodes (ZooKeeper's view)
     * @param inboxLag samples this node's inbox lag (a Redis call), or null for a node without Redis
     */
    public ClusterView(NodeMetrics self, String selfId, Supplier<List<NodeInfo>> nodes, LongSupplier inboxLag) {
        this(self, selfId, nodes, inboxLag, null);
    }

    /**
     * @param tls trust for scraping nodes that speak TLS (their /metrics over https): the certificate(s) this node
     *            serves, so nodes sharing one certificate or one chain, as the demo's do, see each other; null: the
     *            JDK's default trust (certificates from a public CA)
     */
    public ClusterView(NodeMetrics self, String selfId, Supplier<List<NodeInfo>> nodes, LongSupplier inboxLag,
                       javax.net.ssl.SSLContext tls) {
        this.http = tls == null ? Client.HTTP : HttpClient.newBuilder()
                .connectTimeout(Duration.ofMillis(SCRAPE_TIMEOUT_MILLIS))
                .sslContext(tls)
                .executor(Client.EXECUTOR)
                .build();
        this.self = self;
        this.selfId = selfId;
        this.nodes = nodes;
        this.inboxLag = inboxLag;
        this.thread = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "im-metrics");
            t.setDaemon(true);
            return t;
        });
        thread.scheduleWithFixedDelay(this::tick, 0, NodeMetrics.SAMPLE_MILLIS, TimeUnit.MILLISECONDS);
    }

    private void tick() {
        try {
            if (inboxLag != null) {
                try {
                    self.inboxLag(inboxLag.getAsLong());
                } catch (RuntimeException e) {
                    log.debug("inbox lag not sampled: {}", e.toString()); // counted as a Redis error
                }
            }
            if (System.currentTimeMillis() - lastAsked < IDLE_AFTER_MILLIS) {
                round();
            }
        } catch (RuntimeException e) {
            log.warn("cluster sampling failed; the next tick tries again", e);
        }
    }

    /** Scrapes every node once and appends a point to each series. Runs on {@link #thread}. */
    private void round() {
        long at = System.currentTimeMillis();
        Map<String, CompletableFuture<Sample>> scrapes = new LinkedHashMap<>();
        for (NodeInfo node : nodes.get()) {
            scrapes.put(node.nodeId(), node.nodeId().equals(selfId)
                    ? CompletableFuture.completedFuture(parse(self.scrape()))
                    : scrape(node));
        }
        try {
            CompletableFuture.allOf(scrapes.values().toArray(CompletableFuture[]::new))
                    .get(SCRAPE_TIMEOUT_MILLIS + 500, TimeUnit.MILLISECONDS);
        } catch (Exception e) {
            // every future below completes on its own timeout; a late one counts as unreachable this round
        }
        synchronized (series) {
            series.keySet().retainAll(scrapes.keySet()); // a node that left ZooKeeper leaves the table
            scrapes.forEach((id, scrape) -> {
                Sample sample = scrape.getNow(Sample.UNREACHABLE);
                ArrayDeque<Point> points = series.computeIfAbsent(id, k -> new ArrayDeque<>());
                Point previous = points.peekLast();
                points.addLast(new Point(at, sample, rate(previous, at, sample.accepted(), true),
                        rate(previous, at, sample.pushed(), false)));
                while (points.size() > POINTS) {
                    points.removeFirst();
                }
            });
        }
        lastRound = System.currentTimeMillis();
    }

    /** Per second since the previous point; NaN when unknown, 0 after a counter reset (a restarted node). */
    private static double rate(Point previous, long at, double now, boolean accepted) {
        if (previous == null || !previous.sample().reachable() || Double.isNaN(now) || at <= previous.at()) {
            return Double.NaN;
        }
        double before = accepted ? previous.sample().accepted() : previous.sample().pushed();
        return now < before ? 0 : (now - before) * 1000.0 / (at - previous.at());
    }

    private CompletableFuture<Sample> scrape(NodeInfo node) {
        try {
            HttpRequest request = HttpRequest.newBuilder(URI.create(baseUrl(node) + "metrics"))
                    .timeout(Duration.ofMillis(SCRAPE_TIMEOUT_MILLIS)).GET().build();
            CompletableFuture<HttpResponse<String>> sent = http.sendAsync(request,
                    HttpResponse.BodyHandlers.ofString());
            // The request's own timeout ends at the response's headers: a node that hangs half-way through its body
            // would hold the connection (and what it sent so far) for ever, one more every round. Cancelling the
            // exchange closes its connection; completing a future of ours (orTimeout) would not.
            CompletableFuture.delayedExecutor(SCRAPE_TIMEOUT_MILLIS, TimeUnit.MILLISECONDS, Client.EXECUTOR)
                    .execute(() -> sent.cancel(true));
            return sent
                    .thenApply(response -> response.statusCode() == 200 ? parse(response.body()) : Sample.UNREACHABLE)
                    .exceptionally(e -> Sample.UNREACHABLE);
        } catch (RuntimeException e) {
            return CompletableFuture.completedFuture(Sample.UNREACHABLE);
        }
    }

    /**
     * A node's pages. (With TLS on, the scrape needs the nodes' certificate trusted by this JVM; until then such a
     * node shows as unreachable here, though its /metrics works for a Prometheus that trusts it.)
     *
     * <p>Stage 9: the advertised HTTP address, although this scrape runs inside the cluster. The advertised address
     * is by definition the one that reaches the node — the only one ZooKeeper has; the bound one may be 0.0.0.0 or
     * a container's private address that no other node can dial. From inside, it may take a detour (through a
     * published port or a NAT's hairpin); a deployment where nodes cannot reach each other's advertised addresses
     * shows them as unreachable on this page, and needs the page's scrapes (like Prometheus's) pointed elsewhere
     * (docs/09-scale-out.md, "Advertised addresses").
     */
    static String baseUrl(NodeInfo node) {
        return node.httpBase();
    }

    /** The numbers the page needs, out of Prometheus text (the subset of the format Micrometer writes). */
    static Sample parse(String text) {
        double connections = 0;
        double lag = Double.NaN;
        double accepted = Double.NaN;
        double pushed = Double.NaN;
        double p50 = Double.NaN;
        double p99 = Double.NaN;
        for (String line : text.split("\n")) {
            if (line.isEmpty() || line.charAt(0) == '#' || !line.startsWith("im_")) {
                continue;
            }
            int space = line.lastIndexOf(' ');
            if (space < 0) {
                continue;
            }
            int brace = line.indexOf('{');
            String name = line.substring(0, brace >= 0 && brace < space ? brace : space);
            String labels = brace >= 0 && brace < space ? line.substring(brace, space) : "";
            double value = number(line.substring(space + 1).trim());
            switch (name) {
                case "im_connections" -> connections += value;
                case "im_inbox_lag_entries" -> lag = value;
                case "im_messages_accepted_total" -> accepted = value;
                case "im_messages_pushed_total" -> pushed = value;
                case "im_delivery_latency_quantile_seconds" -> {
                    if (labels.contains("quantile=\"0.5\"")) {
                        p50 = value * 1000;
                    } else if (labels.contains("quantile=\"0.99\"")) {
                        p99 = value * 1000;
                    }
                }
                default -> { }
            }
        }
        return new Sample(true, connections, lag, accepted, pushed, p50, p99);
    }

    private static double number(String s) {
        return switch (s) {
            case "+Inf" -> Double.POSITIVE_INFINITY;
            case "-Inf" -> Double.NEGATIVE_INFINITY;
            default -> {
                try {
                    yield Double.parseDouble(s);
                } catch (NumberFormatException e) {
                    yield Double.NaN;
                }
            }
        };
    }

    /**
     * The cluster as JSON, for {@code GET /api/cluster}. Asking (re)starts the sampling for the next
     * {@value #IDLE_AFTER_MILLIS} ms; the first ask after a quiet spell waits for one round (bounded), so the page
     * never starts empty. Completes off the event loop.
     */
    public CompletableFuture<String> json() {
        lastAsked = System.currentTimeMillis();
        if (System.currentTimeMillis() - lastRound > 2 * NodeMetrics.SAMPLE_MILLIS) {
            try {
                return CompletableFuture.supplyAsync(() -> {
                    if (System.currentTimeMillis() - lastRound > NodeMetrics.SAMPLE_MILLIS) {
                        round();
                    }
                    return render();
                }, thread);
            } catch (RejectedExecutionException e) {
                return CompletableFuture.completedFuture(render()); // the node is stopping: what there is
            }
        }
        return CompletableFuture.completedFuture(render());
    }

    private String render() {
        Map<String, NodeInfo> registered = new HashMap<>();
        nodes.get().forEach(n -> registered.put(n.nodeId(), n));
        StringBuilder json = new StringBuilder(4096);
        json.append("{\"self\":").append(quote(selfId)).append(",\"sampleMillis\":").append(NodeMetrics.SAMPLE_MILLIS)
                .append(",\"historyMillis\":").append(HISTORY_MILLIS).append(",\"now\":")
                .append(System.currentTimeMillis()).append(",\"nodes\":[");
        synchronized (series) {
            boolean first = true;
            for (Map.Entry<String, ArrayDeque<Point>> entry : series.entrySet()) {
                NodeInfo node = registered.get(entry.getKey());
                Point last = entry.getValue().peekLast();
                if (node == null || last == null) {
                    continue;
                }
                json.append(first ? "" : ",");
                first = false;
                Sample s = last.sample();
                json.append("{\"nodeId\":").append(quote(node.nodeId()))
                        .append(",\"self\":").append(node.nodeId().equals(selfId))
                        .append(",\"host\":").append(quote(node.host()))
                        .append(",\"port\":").append(node.port())
                        .append(",\"httpHost\":").append(quote(node.httpHost()))
                        .append(",\"httpPort\":").append(node.httpPort())
                        .append(",\"url\":").append(quote(baseUrl(node)))
                        .append(",\"reachable\":").append(s.reachable())
                        .append(",\"connections\":").append(num(s.connections()))
                        .append(",\"inboxLag\":").append(num(s.inboxLag()))
                        .append(",\"accepted\":").append(num(s.accepted()))
                        .append(",\"pushed\":").append(num(s.pushed()))
                        .append(",\"msgsPerSec\":").append(num(last.msgsPerSec()))
                        .append(",\"pushedPerSec\":").append(num(last.pushedPerSec()))
                        .append(",\"p50Ms\":").append(num(s.p50()))
                        .append(",\"p99Ms\":").append(num(s.p99()))
                        .append(",\"series\":{");
                List<Point> points = new ArrayList<>(entry.getValue());
                series(json, "t", points, p -> (double) p.at());
                json.append(',');
                series(json, "connections", points, p -> p.sample().connections());
                json.append(',');
                series(json, "inboxLag", points, p -> p.sample().inboxLag());
                json.append(',');
                series(json, "msgsPerSec", points, Point::msgsPerSec);
                json.append(',');
                series(json, "pushedPerSec", points, Point::pushedPerSec);
                json.append(',');
                series(json, "p50Ms", points, p -> p.sample().p50());
                json.append(',');
                series(json, "p99Ms", points, p -> p.sample().p99());
                json.append("}}");
            }
        }
        json.append("],\"events\":[");
        List<NodeMetrics.Event> events = self.events();
        for (int i = 0; i < events.size(); i++) {
            NodeMetrics.Event e = events.get(i);
            json.append(i == 0 ? "" : ",").append("{\"at\":").append(e.at()).append(",\"type\":").append(quote(e.type()))
                    .append(",\"node\":").append(quote(e.node())).append(",\"detail\":").append(quote(e.detail()))
                    .append('}');
        }
        return json.append("]}").toString();
    }

    private static void series(StringBuilder json, String name, List<Point> points,
                               java.util.function.ToDoubleFunction<Point> value) {
        json.append(quote(name)).append(":[");
        for (int i = 0; i < points.size(); i++) {
            json.append(i == 0 ? "" : ",").append(num(value.applyAsDouble(points.get(i))));
        }
        json.append(']');
    }

    private static String num(double v) {
        if (Double.isNaN(v) || Double.isInfinite(v)) {
            return "null";
        }
        if (v == Math.rint(v) && Math.abs(v) < 1e15) {
            return Long.toString((long) v);
        }
        return String.format(java.util.Locale.ROOT, "%.3f", v);
    }

    static String quote(String s) {
        StringBuilder out = new StringBuilder(s.length() + 2).append('"');
        for (char c : s.toCharArray()) {
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                default -> {
                    if (c < 0x20) {
                        out.append(String.format("\\u%04x", (int) c));
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        return out.append('"').toString();
    }

    @Override
    public void close() {
        thread.shutdownNow();
    }
}
