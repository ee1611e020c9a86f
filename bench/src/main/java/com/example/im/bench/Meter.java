package com.example.im.bench;

import com.example.im.bench.Load.Conn;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.lang.management.ThreadMXBean;
import java.util.Locale;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.LongSupplier;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.SingleWriterRecorder;

/**
 * Counts what a scenario sent and delivered, records latencies (HdrHistogram, 3 significant digits, nanoseconds)
 * and ends every run the same way: stop sending, wait until every message sent has been delivered, and fail on a
 * lost message, an error frame or a connection closed mid-run — a benchmark that loses messages measures nothing.
 */
final class Meter {

    /**
     * What a run measured: delivered messages per second over the measured window, their latency (ns), and the CPU
     * time per delivered message of the server's threads and of the load generator's ({@link Load#THREADS}).
     */
    record Result(String label, double msgsPerSecond, Histogram latency, long sent, long delivered,
                  double serverCpuNanosPerMessage, double loadCpuNanosPerMessage) {
        double p(double percentile) {
            return latency.getValueAtPercentile(percentile);
        }
    }

    final LongAdder sent = new LongAdder();
    final LongAdder delivered = new LongAdder();
    private final AtomicReference<String> failure = new AtomicReference<>();
    /**
     * One latency recorder per thread that delivers: a shared {@code Recorder} costs every delivery several atomic
     * updates of memory both load threads write, which made the load generator dearer than the echo server.
     */
    private final Queue<SingleWriterRecorder> recorders = new ConcurrentLinkedQueue<>();
    private final ThreadLocal<SingleWriterRecorder> recorder = ThreadLocal.withInitial(() -> {
        SingleWriterRecorder r = new SingleWriterRecorder(3);
        recorders.add(r);
        return r;
    });
    private volatile boolean sending = true;
    /** How long a run waits after sending stops for the last deliveries (tests shorten it). */
    static volatile long drainSeconds = 30;
    /** Messages stamped before this instant are not recorded (open loop: the warm-up). */
    volatile long recordFrom;

    boolean sending() {
        return sending;
    }

    boolean failed() {
        return failure.get() != null;
    }

    /** A delivery of a message stamped {@code stamp} (the sender's nanoTime), received at {@code now}. */
    void delivered(long stamp, long now) {
        if (stamp >= recordFrom) {
            recorder.get().recordValue(Math.max(0, now - stamp));
        }
        delivered.increment();
    }

    void fail(String why) {
        failure.compareAndSet(null, why);
    }

    /** Fails the run if {@code conn} gets an error frame, or closes before the run is over. */
    void watch(Conn conn) {
        conn.onFrame = frame -> {
            if (frame.hasError()) {
                fail(conn.uid + " got " + frame.getError().getCode() + ": " + frame.getError().getText());
            }
        };
        conn.channel.closeFuture().addListener(f -> {
            if (sending) {
                fail(conn.uid + ": connection closed during the run");
            }
        });
    }

    /**
     * Lets the load run {@code warmupSeconds}, measures {@code seconds}, then drains and checks; prints one line.
     * {@code serverThreads}: the name prefix of the server's threads in this JVM, whose CPU time per delivered
     * message is reported too (the load generator shares the machine; this is the server's own cost), and next to
     * it the load generator's, so a reader sees which side is the bottleneck.
     */
    Result measure(String label, double warmupSeconds, double seconds, String serverThreads) {
        return measure(label, warmupSeconds, seconds, () -> cpuNanos(serverThreads));
    }

    /** The same, with the server's CPU time read by {@code serverCpu} (nodes in processes of their own). */
    Result measure(String label, double warmupSeconds, double seconds, LongSupplier serverCpu) {
        sleep(warmupSeconds);
        recorders.forEach(SingleWriterRecorder::reset);
        long from = delivered.sum();
        long cpu0 = serverCpu.getAsLong();
        long loadCpu0 = cpuNanos(Load.THREADS);
        long t0 = System.nanoTime();
        sleep(seconds);
        long count = delivered.sum() - from;
        double elapsed = (System.nanoTime() - t0) / 1e9;
        double cpuPerMessage = (double) (serverCpu.getAsLong() - cpu0) / Math.max(1, count);
        double loadCpuPerMessage = (double) (cpuNanos(Load.THREADS) - loadCpu0) / Math.max(1, count);
        Histogram latency = new Histogram(3);
        recorders.forEach(r -> latency.add(r.getIntervalHistogram()));
        sending = false;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(drainSeconds);
        while (delivered.sum() < sent.sum() && failure.get() == null && System.nanoTime() < deadline) {
            sleep(0.01);
        }
        if (failure.get() != null) {
            throw new IllegalStateException(label + " failed: " + failure.get());
        }
        if (delivered.sum() != sent.sum()) {
            throw new IllegalStateException(label + ": sent " + sent.sum() + " messages, delivered "
                    + delivered.sum() + " within " + drainSeconds + " s after the run");
        }
        Result result = new Result(label, count / elapsed, latency, sent.sum(), delivered.sum(), cpuPerMessage,
                loadCpuPerMessage);
        System.out.printf(Locale.ROOT, "  %-30s %10.0f msgs/s  p50 %8.1f us  p99 %8.1f us  p999 %8.1f us"
                        + "  CPU ns/msg: server %6.0f, load %6.0f  (sent %d, delivered %d)%n", label,
                result.msgsPerSecond(), result.p(50) / 1e3, result.p(99) / 1e3, result.p(99.9) / 1e3, cpuPerMessage,
                loadCpuPerMessage, result.sent(), result.delivered());
        return result;
    }

    /** CPU time so far of this JVM's live threads whose name starts with {@code prefix}. */
    static long cpuNanos(String prefix) {
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        long total = 0;
        for (ThreadInfo info : threads.getThreadInfo(threads.getAllThreadIds())) {
            if (info != null && info.getThreadName().startsWith(prefix)) {
                total += Math.max(0, threads.getThreadCpuTime(info.getThreadId()));
            }
        }
        return total;
    }

    static void sleep(double seconds) {
        try {
            Thread.sleep((long) (seconds * 1000));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }
}
