package com.example.im.balance;

import com.example.im.registry.NodeInfo;
import java.util.List;

/**
 * A client-side load-balancing strategy: which of the registered nodes a client connects to
 * (docs/04-zk-cluster.md, "Choosing a node"). Chosen with the console flag {@code --strategy}.
 */
public interface LoadBalancer {

    /** Chooses one of {@code nodes} (never empty, sorted by node id) for {@code uid} (null when not known yet). */
    NodeInfo choose(String uid, List<NodeInfo> nodes);

    /** The flag value that selects this strategy. */
    String name();

    /** The strategy for a flag value: random, round-robin, consistent-hash, least-connections. */
    static LoadBalancer named(String name) {
        return switch (name) {
            case "random" -> new RandomBalancer();
            case "round-robin" -> new RoundRobinBalancer();
            case "consistent-hash" -> new ConsistentHashBalancer();
            case "least-connections" -> new LeastConnectionsBalancer();
            default -> throw new IllegalArgumentException("unknown strategy '" + name
                    + "' (random, round-robin, consistent-hash, least-connections)");
        };
    }
}
