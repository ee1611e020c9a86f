package com.example.im.bench;

import com.example.im.bench.Load.Conn;
import com.example.im.bench.Load.Template;
import com.example.im.bench.Meter.Result;
import java.util.List;
import java.util.concurrent.locks.LockSupport;

/**
 * Drives sender/receiver pairs of private messages (scenarios 1-4 and 7). Latency runs from the sender's
 * {@code System.nanoTime()}, carried in the content, to the receiver in this same process, so both ends read one
 * clock.
 */
final class Relay {

    /** A sender and its receiver; for the echo server both are the same connection. */
    record Pair(Conn sender, Conn receiver) {
    }

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
        Relay relay = new Relay(size);
        List<Lane> lanes = pairs.stream().map(pair -> relay.listen(pair, true)).toList();
        for (Lane lane : lanes) {
            for (int i = 0; i < window; i++) {
                relay.send(lane, System.nanoTime(), true);
            }
        }
        return relay.meter.measure(label, warmupSeconds, seconds, serverThreads);
    }

    // tag::open-loop[]
    /**
     * Open loop at a fixed {@code rate} (messages per second over all pairs, round robin), whether or not earlier
     * messages have arrived. A message's stamp is the instant it was due, not when the pacer got round to it, so a
     * stall counts against the server instead of hiding (coordinated omission). Unlike the closed loop, every
     * message is flushed on its own: holding a due message back to share a flush with the next would add the
     * batching delay to the latency this scenario measures, and at half the closed loop's rate the pacer seldom has
     * two messages for one connection in the same instant anyway.
     */
    static Result openLoop(String label, String serverThreads, List<Pair> pairs, double rate, int size,
                           double warmupSeconds, double seconds) {
        Relay relay = new Relay(size);
        List<Lane> lanes = pairs.stream().map(pair -> relay.listen(pair, false)).toList();
        long start = System.nanoTime();
        relay.meter.recordFrom = start + (long) (warmupSeconds * 1e9);
        long end = relay.meter.recordFrom + (long) (seconds * 1e9);
        double nanosPerMessage = 1e9 / rate;
        long maxBacklog = Math.max(10_000, (long) rate * 5);
        Thread pacer = new Thread(() -> {
            long n = 0;
            for (long now = System.nanoTime(); now < end && !relay.meter.failed(); now = System.nanoTime()) {
                for (long due = (long) ((now - start) / nanosPerMessage); n < due; n++) {
                    relay.send(lanes.get((int) (n % lanes.size())), start + (long) (n * nanosPerMessage), false);
                }
                if (relay.meter.sent.sum() - relay.meter.delivered.sum() > maxBacklog) {
                    relay.meter.fail(label + ": over " + maxBacklog + " messages in flight; the server cannot "
                            + "sustain " + (long) rate + " msgs/s");
                }
                LockSupport.parkNanos(200_000);
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
        Lane lane = new Lane(pair.sender(), new Template(Load.chat(pair.receiver().uid, 0, size)));
        pair.receiver().onChat = stamp -> {
            long now = System.nanoTime();
            meter.delivered(stamp, now);
            if (closedLoop && meter.sending()) {
                send(lane, now, true);
            }
        };
        meter.watch(pair.sender());
        if (pair.receiver() != pair.sender()) {
            meter.watch(pair.receiver());
        }
        return lane;
    }

    /** {@code batched}: flushed with the connection's other frames of this event-loop tick (closed loop). */
    private void send(Lane lane, long stamp, boolean batched) {
        meter.sent.increment();
        if (batched) {
            lane.sender().sendBatched(lane.frame(), stamp);
        } else {
            lane.sender().send(lane.frame(), stamp);
        }
    }
}
