package com.example.im.bench;

import com.example.im.bench.Load.Conn;
import com.example.im.bench.Load.Template;
import com.example.im.bench.Meter.Result;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.locks.LockSupport;
import java.util.function.LongSupplier;

/**
 * Drives sender/receiver pairs of private messages (scenarios 1-4 and 7). Latency runs from the sender's
 * {@code System.nanoTime()}, carried in the content, to the receiver in this same process, so both ends read one
 * clock.
 */
final class Relay {

    /** A sender and its receiver; for the echo server both are the same connection. */
    record Pair(Conn sender, Conn receiver) {
    }

    /** In the failure of an open loop that fell behind (a search takes it for "too fast", not for a fault). */
    static final String CANNOT_SUSTAIN = "the server cannot sustain";

    private final Meter meter = new Meter();
    private final int size;

    private Relay(int size) {
        this.size = size;
    }

    /**
     * Closed loop: every pair keeps {@code window} messages in flight; each delivery sends the next one. This finds
     * the highest rate the server sustains (latency here includes queueing behind the window). The next messages
     * are written as the deliveries of a read batch arrive and flushed once per connection and event-loop tick
     * ({@link Load.Conn#sendBatched}), so the load generator does not spend a socket write per message.
     */
    static Result closedLoop(String label, String serverThreads, List<Pair> pairs, int window, int size,
                             double warmupSeconds, double seconds) {
        return closedLoop(label, () -> Meter.cpuNanos(serverThreads), pairs, window, size, warmupSeconds, seconds);
    }

    /** The same, with the server's CPU time read by {@code serverCpu} (nodes in processes of their own). */
    static Result closedLoop(String label, LongSupplier serverCpu, List<Pair> pairs, int window, int size,
                             double warmupSeconds, double seconds) {
        Relay relay = new Relay(size);
        List<Lane> lanes = pairs.stream().map(pair -> relay.listen(pair, true)).toList();
        for (Lane lane : lanes) {
            for (int i = 0; i < window; i++) {
                relay.send(lane, System.nanoTime());
            }
        }
        return relay.meter.measure(label, warmupSeconds, seconds, serverCpu);
    }

    // tag::open-loop[]
    /**
     * Open loop at a fixed {@code rate} (messages per second over all pairs, round robin), whether or not earlier
     * messages have arrived. A message's stamp is the instant it was due, not when the pacer got round to it, so a
     * stall counts against the server instead of hiding (coordinated omission). Nothing is held back to share a
     * flush: the pacer wakes every 200 us at most and hands what has come due to the event loops ({@link Load.Tick},
     * one task per loop and one flush per connection per tick); the wait for the tick counts as latency.
     */
    static Result openLoop(String label, String serverThreads, List<Pair> pairs, double rate, int size,
                           double warmupSeconds, double seconds) {
        double gap = 1e9 / rate;
        return openLoop(label, serverThreads, pairs, rate, Math.max(10_000, (long) rate * 5), new Arrivals() {
            @Override
            public Pair pair(long n) {
                return pairs.get((int) (n % pairs.size()));
            }

            @Override
            public double gapNanos() {
                return gap;
            }
        }, size, warmupSeconds, seconds);
    }

    /**
     * Who sends the open loop's n-th message to whom, and how long after the one before it is due (a fixed gap
     * for scenario 7, an exponential one for scenario 9's Poisson process). Called from the pacer thread only.
     */
    interface Arrivals {
        Pair pair(long n);

        double gapNanos();
    }

    /**
     * The open loop with any {@code arrivals}, at {@code rate} messages per second on average. {@code listeners}:
     * the pairs whose frames this run counts (and whose connections it watches); every pair {@code arrivals} names
     * must be made of their connections. With more than {@code maxBacklog} messages in flight the pacer stops and
     * the run fails ({@link #CANNOT_SUSTAIN}).
     */
    static Result openLoop(String label, String serverThreads, List<Pair> listeners, double rate, long maxBacklog,
                           Arrivals arrivals, int size, double warmupSeconds, double seconds) {
        Relay relay = new Relay(size);
        Map<Conn, Template> toReceiver = new IdentityHashMap<>(); // the frame template for each receiver
        listeners.forEach(pair -> toReceiver.put(pair.receiver(), relay.listen(pair, false).frame()));
        long start = System.nanoTime();
        relay.meter.recordFrom = start + (long) (warmupSeconds * 1e9);
        Thread pacer = new Thread(() -> {
            long n = 0;
            double due = 0; // when message n is due, in ns after start
            Load.Tick tick = new Load.Tick();
            // Until the meter has taken its last CPU reading: a pacer thread that ended before it would drop out of
            // the load generator's CPU sum, with all the CPU it had used (measured: a negative figure).
            for (long now = start; relay.meter.sending() && !relay.meter.failed(); now = System.nanoTime()) {
                for (; due < now - start; n++, due += arrivals.gapNanos()) {
                    Pair pair = arrivals.pair(n);
                    relay.meter.sent.increment();
                    tick.add(pair.sender(), toReceiver.get(pair.receiver()), start + (long) due);
                }
                tick.send();
                if (relay.meter.sent.sum() - relay.meter.delivered.sum() > maxBacklog) {
                    relay.meter.fail(label + ": over " + maxBacklog + " messages in flight; " + CANNOT_SUSTAIN + " "
                            + (long) rate + " msgs/s");
                }
                // At least 200 us between wake-ups, so a high rate sends in small bursts; at a low rate, until the
                // next message is due (at most 10 ms, to see the end of the run): a pacer waking every 200 us
                // costs a tenth of a core by itself (measured at 20 msgs/s), which would count as load per message.
                long untilDue = start + (long) due - System.nanoTime();
                LockSupport.parkNanos(Math.min(10_000_000, Math.max(200_000, untilDue)));
            }
        }, "bench-pacer");
        pacer.start();
        Result result = relay.meter.measure(label, warmupSeconds, seconds, serverThreads);
        try {
            pacer.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return result;
    }
    // end::open-loop[]

    /** A pair and the template of its frames. */
    private record Lane(Conn sender, Template frame) {
    }

    /** Watches the pair; each delivery is metered and, in the closed loop, sends the pair's next message. */
    private Lane listen(Pair pair, boolean closedLoop) {
        // A stage 7 client gives every message a client_msg_id.
        Lane lane = new Lane(pair.sender(), new Template(Load.chat(pair.receiver().uid, 0, size),
                pair.sender().reliable));
        pair.receiver().onChat = stamp -> {
            long now = System.nanoTime();
            meter.delivered(stamp, now);
            if (closedLoop && meter.sending()) {
                send(lane, now);
            }
        };
        meter.watch(pair.sender());
        if (pair.receiver() != pair.sender()) {
            meter.watch(pair.receiver());
        }
        return lane;
    }

    /** {@code batched}: flushed with the connection's other frames of this event-loop tick (closed loop). */
    private void send(Lane lane, long stamp) {
        meter.sent.increment();
        lane.sender().sendBatched(lane.frame(), stamp);
    }
}
