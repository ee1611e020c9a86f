package com.example.im.balance;

import com.example.im.registry.NodeInfo;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The nodes in turn. The turn is this client process's own counter: many client processes each starting at the first
 * node would all pile onto it, so the counter starts at a random position.
 */
public final class RoundRobinBalancer implements LoadBalancer {

    private final AtomicInteger next;

    public RoundRobinBalancer() {
        this(ThreadLocalRandom.current().nextInt(1 << 16));
    }

    /** Starting at {@code start} (tests start at 0). */
    public RoundRobinBalancer(int start) {
        this.next = new AtomicInteger(start);
    }

    @Override
    public NodeInfo choose(String uid, List<NodeInfo> nodes) {
        return nodes.get(Math.floorMod(next.getAndIncrement(), nodes.size()));
    }

    @Override
    public String name() {
        return "round-robin";
    }
}
