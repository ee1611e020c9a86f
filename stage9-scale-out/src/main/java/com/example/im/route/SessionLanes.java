package com.example.im.route;

import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * Where a node runs its session operations (claim on login, release on logout, re-assert after a Redis restart):
 * a few single-thread lanes, one uid always on the same lane (docs/05-redis-forwarding.md, "Login and logout without
 * blocking the event loop").
 *
 * <p>Why lanes and not one pool: on a pool, the claim and the release of one connection can run out of order or at
 * once (a login storm after a node dies, a slow Redis); a late claim then overwrites the session the user has since
 * made on another node and kicks that live connection. On one lane per uid they run in the order the event loop
 * asked for them. Why bounded: with Redis unresponsive (not refusing) every operation waits out the client timeout;
 * an unbounded queue would grow with every login. A full lane refuses at once and the login gets UNAVAILABLE.
 */
public final class SessionLanes implements AutoCloseable {

    private final ThreadPoolExecutor[] lanes;

    /** {@code count} lanes of one thread each, each holding at most {@code capacity} waiting operations. */
    public SessionLanes(int count, int capacity) {
        this("im-sessions-", count, capacity);
    }

    /** The same, with threads named {@code prefix} + the lane's number. */
    public SessionLanes(String prefix, int count, int capacity) {
        lanes = new ThreadPoolExecutor[count];
        for (int i = 0; i < count; i++) {
            String name = prefix + i;
            lanes[i] = new ThreadPoolExecutor(1, 1, 0, TimeUnit.MILLISECONDS, new ArrayBlockingQueue<>(capacity),
                    r -> {
                        Thread t = new Thread(r, name);
                        t.setDaemon(true);
                        return t;
                    });
        }
    }

    /** Runs {@code op} after every earlier operation of {@code uid}; false (and nothing runs) when its lane is full. */
    public boolean submit(String uid, Runnable op) {
        try {
            lanes[Math.floorMod(uid.hashCode(), lanes.length)].execute(op);
            return true;
        } catch (RejectedExecutionException e) {
            return false;
        }
    }

    /** Operations waiting on all lanes (metrics, tests). */
    public int backlog() {
        int sum = 0;
        for (ThreadPoolExecutor lane : lanes) {
            sum += lane.getQueue().size();
        }
        return sum;
    }

    /** Takes no new operations; runs what is queued; true when all of it ran before {@code deadlineMillis}. */
    public boolean finish(long deadlineMillis) throws InterruptedException {
        for (ThreadPoolExecutor lane : lanes) {
            lane.shutdown();
        }
        for (ThreadPoolExecutor lane : lanes) {
            if (!lane.awaitTermination(Math.max(0, deadlineMillis - System.currentTimeMillis()),
                    TimeUnit.MILLISECONDS)) {
                return false;
            }
        }
        return true;
    }

    /** Drops whatever still waits and stops the lanes at once. */
    public void abort() {
        for (ThreadPoolExecutor lane : lanes) {
            lane.shutdownNow();
        }
    }

    @Override
    public void close() {
        try {
            finish(System.currentTimeMillis() + 2_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        abort();
    }
}
