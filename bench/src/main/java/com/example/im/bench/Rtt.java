package com.example.im.bench;

import com.example.im.bench.Meter.Result;
import com.example.im.embedded.net.FaultProxy;
import com.example.im.server.ChatServer;
import com.example.im.server.ServerConfig;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * Scenario 4b (docs/benchmarks.md): scenario 4 again, with a network between each node and Redis. On loopback a Redis
 * round trip costs tens of microseconds, which flatters the article's forwarder: it pays round trips per message
 * ({@code GET} + {@code LPUSH} on the event loop, one {@code BRPOP} per message in one consumer thread), stage 6 pays
 * them per batch. Each node, naive or stage 6, reaches Redis through a {@link FaultProxy} of its own that delays every
 * chunk by half the added round trip in each direction (as two hosts a network apart would), and the same closed loop
 * as scenarios 3 and 4 runs through both designs at each added round trip of {@code --rtts}.
 */
final class Rtt {

    /** The target (cross-node at least 5 x naive) is stated at this added round trip. */
    private static final double TARGET_RTT_MILLIS = 0.2;
    private static final int PINGS = 200;
    /** FaultProxy names its threads "proxy-" + its name (+ "-timer"); ours are named "redis-a" and "redis-b". */
    private static final String PROXY_THREADS = "proxy-redis-";

    private Rtt() {
    }

    /**
     * What one added round trip gave: both relays, the Redis round trip a client measured through the proxy and
     * without it (median of {@value #PINGS} PINGs, before the load), and how many Redis connections went through the
     * two proxies while each design ran (none would mean the nodes were not on the proxies).
     */
    record Run(double rttMillis, Result naive, Result crossNode, double pingMicros, double directPingMicros,
               int naiveLinks, int crossNodeLinks) {
    }

    static void run(Bench.Scenarios run, Table table) throws InterruptedException {
        for (double rtt : rtts(run.stringOf("rtts", "0,0.2,1"))) {
            Run r = measure(run, rtt);
            String added = "+" + millis(rtt) + " ms RTT to Redis";
            table.ratio("4b. cross-node relay, msgs/s, " + added + " (base: naive LPUSH/BRPOP)",
                    r.crossNode().msgsPerSecond(), r.naive().msgsPerSecond(), "%.0f",
                    rtt == TARGET_RTT_MILLIS ? ">= 5" : "-");
            table.ratio("4b. Redis PING round trip, us, " + added + " (base: no proxy)", r.pingMicros(),
                    r.directPingMicros(), "%.0f", "-");
        }
    }

    /** "0,0.2,1" -> [0.0, 0.2, 1.0]: added round trips in milliseconds. */
    static List<Double> rtts(String flag) {
        List<Double> rtts = Arrays.stream(flag.split(",")).map(String::trim).map(Double::parseDouble).toList();
        if (rtts.isEmpty() || rtts.stream().anyMatch(r -> !(r >= 0))) {
            throw new IllegalArgumentException("--rtts: milliseconds >= 0, comma-separated, e.g. 0,0.2,1: " + flag);
        }
        return rtts;
    }

    /** The naive forwarder, then stage 6 cross-node, each node on its own proxy to Redis that adds {@code rtt} ms. */
    static Run measure(Bench.Scenarios run, double rtt) throws InterruptedException {
        String redis = run.redisUri();
        InetSocketAddress upstream = address(redis);
        try (FaultProxy a = FaultProxy.start("redis-a", upstream);
             FaultProxy b = FaultProxy.start("redis-b", upstream)) {
            if (rtt > 0) {
                // Per direction: the request and its reply each cross the proxy once.
                Duration perDirection = Duration.ofNanos(Math.round(rtt * 1e6 / 2));
                a.delay(perDirection);
                b.delay(perDirection);
            }
            double direct = pingMicros(upstream);
            double proxied = pingMicros(a.address());
            System.out.printf(Locale.ROOT, "  +%s ms RTT asked: Redis PING round trip %.0f us through the proxy,"
                    + " %.0f us without%n", millis(rtt), proxied, direct);
            String added = " +" + millis(rtt) + " ms RTT";
            Result naive;
            int naiveLinks;
            try (NaiveNode na = new NaiveNode(via(redis, a)); NaiveNode nb = new NaiveNode(via(redis, b))) {
                long cpu = Meter.cpuNanos(PROXY_THREADS);
                naive = run.relay("naive" + added, Bench.NAIVE_THREADS, na.address(), nb.address());
                naiveLinks = a.connections() + b.connections();
                printProxies(naive, Meter.cpuNanos(PROXY_THREADS) - cpu, naiveLinks);
            }
            Result crossNode;
            int crossNodeLinks;
            ServerConfig base = run.nodeConfig();
            try (ChatServer na = ChatServer.start(base.withRedis(via(redis, a), base.sessionTtlMillis(),
                    base.undeliverableMillis()));
                 ChatServer nb = ChatServer.start(base.withRedis(via(redis, b), base.sessionTtlMillis(),
                         base.undeliverableMillis()))) {
                long cpu = Meter.cpuNanos(PROXY_THREADS);
                crossNode = run.relay("cross-node" + added, Bench.NODE_THREADS, na.localAddress(), nb.localAddress());
                crossNodeLinks = a.connections() + b.connections();
                printProxies(crossNode, Meter.cpuNanos(PROXY_THREADS) - cpu, crossNodeLinks);
            }
            return new Run(rtt, naive, crossNode, proxied, direct, naiveLinks, crossNodeLinks);
        }
    }

    /**
     * The proxies run in this JVM on the same cores as the nodes and the load generator; their CPU time per message
     * (not counted as the server's) says how much of the machine the injected network took.
     */
    private static void printProxies(Result result, long cpuNanos, int links) {
        System.out.printf(Locale.ROOT, "    the two proxies: %d Redis connections, CPU %.0f ns per message%n", links,
                (double) cpuNanos / Math.max(1, result.sent()));
    }

    /** "0.2", "1", "0": the label's form of an added round trip. */
    static String millis(double rtt) {
        return BigDecimal.valueOf(rtt).stripTrailingZeros().toPlainString();
    }

    /** Host and port of a {@code redis://} URI. */
    static InetSocketAddress address(String redisUri) {
        URI uri = URI.create(redisUri);
        return new InetSocketAddress(uri.getHost(), uri.getPort() < 0 ? 6379 : uri.getPort());
    }

    /** {@code redisUri} with the proxy's address instead of the server's (user, password, database kept). */
    static String via(String redisUri, FaultProxy proxy) {
        URI uri = URI.create(redisUri);
        InetSocketAddress at = proxy.address();
        try {
            return new URI(uri.getScheme(), uri.getUserInfo(), at.getAddress().getHostAddress(), at.getPort(),
                    uri.getPath(), uri.getQuery(), uri.getFragment()).toString();
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException(redisUri, e);
        }
    }

    /**
     * The median round trip of {@value #PINGS} inline {@code PING}s, one at a time on one connection, in
     * microseconds. Any one-line reply counts ({@code -NOAUTH} from a Redis with a password is a round trip too).
     */
    static double pingMicros(InetSocketAddress redis) {
        try (Socket socket = new Socket()) {
            socket.setTcpNoDelay(true);
            socket.connect(redis, 5_000);
            socket.setSoTimeout(5_000);
            OutputStream out = socket.getOutputStream();
            InputStream in = socket.getInputStream();
            byte[] ping = "PING\r\n".getBytes(StandardCharsets.US_ASCII);
            long[] nanos = new long[PINGS];
            for (int i = -PINGS / 10; i < PINGS; i++) { // the first few warm up the path, unrecorded
                long start = System.nanoTime();
                out.write(ping);
                out.flush();
                for (int c = in.read(); c != '\n'; c = in.read()) {
                    if (c < 0) {
                        throw new IOException("Redis closed the connection");
                    }
                }
                if (i >= 0) {
                    nanos[i] = System.nanoTime() - start;
                }
            }
            Arrays.sort(nanos);
            return nanos[PINGS / 2] / 1e3;
        } catch (IOException e) {
            throw new UncheckedIOException("PING " + redis, e);
        }
    }
}
