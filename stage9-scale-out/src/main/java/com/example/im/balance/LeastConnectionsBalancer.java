package com.example.im.balance;

import com.example.im.registry.NodeInfo;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The node with the fewest logged-in users, as last published in its znode. The counts are a few seconds old, so many
 * clients choosing at once all see the same emptiest node; ties are broken at random to soften that herd.
 */
public final class LeastConnectionsBalancer implements LoadBalancer {

    @Override
    public NodeInfo choose(String uid, List<NodeInfo> nodes) {
        int least = nodes.stream().mapToInt(NodeInfo::connections).min().orElseThrow();
        List<NodeInfo> emptiest = nodes.stream().filter(n -> n.connections() == least).toList();
        return emptiest.get(ThreadLocalRandom.current().nextInt(emptiest.size()));
    }

    @Override
    public String name() {
        return "least-connections";
    }
}
