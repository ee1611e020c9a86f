package com.example.im.balance;

import com.example.im.registry.NodeInfo;
import java.util.List;
import java.util.Random;
import java.util.random.RandomGenerator;

/** Any node, uniformly at random: stateless, and spreads many independent clients evenly on average. */
public final class RandomBalancer implements LoadBalancer {

    private final RandomGenerator random;

    public RandomBalancer() {
        this(new Random());
    }

    /** With a given generator (tests seed it). */
    public RandomBalancer(RandomGenerator random) {
        this.random = random;
    }

    @Override
    public NodeInfo choose(String uid, List<NodeInfo> nodes) {
        return nodes.get(random.nextInt(nodes.size()));
    }

    @Override
    public String name() {
        return "random";
    }
}
