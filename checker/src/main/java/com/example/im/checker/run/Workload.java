package com.example.im.checker.run;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * The traffic: {@code rate} messages a second in all, each from a random client that has nothing in flight.
 * Most are private messages to the client's partner (client i talks to client i + n/2, and the two usually sit on
 * different nodes, because each picks its node at random); {@value #GROUP_PERCENT} % are group messages
 * ({@code to_uid_list}) to three others.
 */
final class Workload {

    static final int GROUP_PERCENT = 15;

    private final List<CheckClient> clients;
    private final int rate;
    private final Random random;
    private volatile boolean running = true;

    Workload(List<CheckClient> clients, int rate, Random random) {
        if (clients.size() < 2) {
            throw new IllegalArgumentException("need at least 2 clients, got " + clients.size());
        }
        if (rate < 1) {
            throw new IllegalArgumentException("need --rate >= 1, got " + rate);
        }
        this.clients = clients;
        this.rate = rate;
        this.random = random;
    }

    void stop() {
        running = false;
    }

    /** Sends for {@code millis} ms (or until stopped) on this thread. */
    void run(long millis) {
        long interval = TimeUnit.SECONDS.toNanos(1) / rate;
        long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
        long next = System.nanoTime();
        int n = clients.size();
        while (running && next < end) {
            next += interval;
            long wait = next - System.nanoTime();
            if (wait > 0) {
                LockSupport.parkNanos(wait);
            }
            int first = random.nextInt(n);
            for (int k = 0; k < n; k++) {
                int i = (first + k) % n;
                CheckClient client = clients.get(i);
                if (client.idle() && client.trySend(recipients(i))) {
                    break;
                }
            }
        }
    }

    private List<String> recipients(int i) {
        int n = clients.size();
        if (n >= 4 && random.nextInt(100) < GROUP_PERCENT) {
            List<String> group = new ArrayList<>(3);
            while (group.size() < 3) {
                String uid = clients.get(random.nextInt(n)).uid;
                if (!uid.equals(clients.get(i).uid) && !group.contains(uid)) {
                    group.add(uid);
                }
            }
            return group;
        }
        return List.of(clients.get((i + n / 2) % n).uid);
    }
}
