package com.example.im.bench;

import com.example.im.bench.Load.Conn;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

/**
 * Counts what a scenario sent and delivered, records latencies (HdrHistogram, 3 significant digits, nanoseconds)
 * and ends every run the same way: stop sending, wait until every message sent has been delivered, and fail on a
 * lost message, an error frame or a connection closed mid-run — a benchmark that loses messages measures nothing.
 */
final class Meter {

    /** What a run measured: delivered messages per second over the measured window, and their latency (ns). */
    record Result(String label, double msgsPerSecond, Histogram latency, long sent, long delivered) {
        double p(double percentile) {
            return latency.getValueAtPercentile(percentile);
        }
    }

    final LongAdder sent = new LongAdder();
    final LongAdder delivered = new LongAdder();
    private final AtomicReference<String> failure = new AtomicReference<>();
    private final Recorder recorder = new Recorder(3);
    private volatile boolean sending = true;
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
            recorder.recordValue(Math.max(0, now - stamp));
        }
        delivered.increment();
    }

    void fail(String why) {
        failure.compareAndSet(null, why);
    }

    /** Fails the run if {@code conn} closes before the run is over. */
    void watch(Conn conn) {
        conn.channel.closeFuture().addListener(f -> {
            if (sending) {
                fail(conn.uid + ": connection closed during the run");
            }
        });
    }

    /** Lets the load run {@code warmupSeconds}, measures {@code seconds}, then drains and checks; prints one line. */
    Result measure(String label, double warmupSeconds, double seconds) {
        sleep(warmupSeconds);
        recorder.reset();
        long from = delivered.sum();
        long t0 = System.nanoTime();
        sleep(seconds);
        long count = delivered.sum() - from;
        double elapsed = (System.nanoTime() - t0) / 1e9;
        Histogram latency = recorder.getIntervalHistogram();
        sending = false;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (delivered.sum() < sent.sum() && failure.get() == null && System.nanoTime() < deadline) {
            sleep(0.01);
        }
        if (failure.get() != null) {
            throw new IllegalStateException(label + " failed: " + failure.get());
        }
        if (delivered.sum() != sent.sum()) {
            throw new IllegalStateException(label + ": sent " + sent.sum() + " messages, delivered "
                    + delivered.sum() + " within 30 s after the run");
        }
        Result result = new Result(label, count / elapsed, latency, sent.sum(), delivered.sum());
        System.out.printf(Locale.ROOT, "  %-30s %10.0f msgs/s  p50 %8.1f us  p99 %8.1f us  p999 %8.1f us"
                        + "  (sent %d, delivered %d)%n", label, result.msgsPerSecond(), result.p(50) / 1e3,
                result.p(99) / 1e3, result.p(99.9) / 1e3, result.sent(), result.delivered());
        return result;
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
