package com.example.im.balance;

import static org.assertj.core.api.Assertions.assertThat;

import com.example.im.registry.NodeInfo;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/** Properties of each strategy, on plain node lists (no ZooKeeper needed). */
class BalancersTest {

    private static NodeInfo node(String id, int connections) {
        return new NodeInfo(id, "127.0.0.1", 7000 + id.hashCode() % 100, connections);
    }

    private static final List<NodeInfo> THREE = List.of(node("n1", 0), node("n2", 0), node("n3", 0));

    private static Map<String, Long> spread(LoadBalancer balancer, List<NodeInfo> nodes, int picks) {
        return IntStream.range(0, picks).mapToObj(i -> balancer.choose("user-" + i, nodes).nodeId())
                .collect(Collectors.groupingBy(id -> id, Collectors.counting()));
    }

    @Test
    void roundRobinVisitsEveryNodeEvenly() {
        assertThat(spread(new RoundRobinBalancer(0), THREE, 300)).containsOnly(
                Map.entry("n1", 100L), Map.entry("n2", 100L), Map.entry("n3", 100L));
        // Any start position gives the same evenness.
        assertThat(spread(new RoundRobinBalancer(), THREE, 30).values()).containsOnly(10L);
    }

    @Test
    void randomUsesEveryNode() {
        Map<String, Long> counts = spread(new RandomBalancer(new Random(42)), THREE, 300);
        assertThat(counts).containsOnlyKeys("n1", "n2", "n3");
        assertThat(counts.values()).allMatch(c -> c > 60, "roughly a third each");
    }

    @Test
    void leastConnectionsPrefersTheEmptiestNode() {
        List<NodeInfo> loaded = List.of(node("n1", 5), node("n2", 0), node("n3", 2));
        assertThat(spread(new LeastConnectionsBalancer(), loaded, 20)).containsOnlyKeys("n2");
        // Ties are shared, not all sent to the first.
        List<NodeInfo> tied = List.of(node("n1", 1), node("n2", 1), node("n3", 4));
        assertThat(spread(new LeastConnectionsBalancer(), tied, 200)).containsOnlyKeys("n1", "n2");
    }

    @Test
    void consistentHashSendsTheSameUidToTheSameNode() {
        ConsistentHashBalancer balancer = new ConsistentHashBalancer();
        for (int i = 0; i < 100; i++) {
            String uid = "user-" + i;
            String first = balancer.choose(uid, THREE).nodeId();
            assertThat(new ConsistentHashBalancer().choose(uid, THREE).nodeId())
                    .as("another client process computes the same node").isEqualTo(first);
            // Connection counts changing does not move anybody.
            List<NodeInfo> busier = List.of(node("n1", 9), node("n2", 3), node("n3", 1));
            assertThat(balancer.choose(uid, busier).nodeId()).isEqualTo(first);
        }
    }

    @Test
    void consistentHashSpreadsUidsAcrossNodes() {
        Map<String, Long> counts = spread(new ConsistentHashBalancer(), THREE, 30_000);
        assertThat(counts).containsOnlyKeys("n1", "n2", "n3");
        assertThat(counts.values()).allMatch(c -> c > 7_000 && c < 13_000, "each node 23%-43% with 160 vnodes");
    }

    @Test
    void removingANodeMovesOnlyThatNodesUidsAndTheDeadNodeLeavesTheRing() {
        ConsistentHashBalancer balancer = new ConsistentHashBalancer();
        Map<String, String> before = new HashMap<>();
        for (int i = 0; i < 10_000; i++) {
            before.put("user-" + i, balancer.choose("user-" + i, THREE).nodeId());
        }
        List<NodeInfo> withoutN2 = List.of(THREE.get(0), THREE.get(2));
        int moved = 0;
        for (Map.Entry<String, String> e : before.entrySet()) {
            String now = balancer.choose(e.getKey(), withoutN2).nodeId();
            assertThat(now).as("nobody is sent to the node that left").isNotEqualTo("n2");
            if (!e.getValue().equals("n2")) {
                assertThat(now).as("%s was not on n2, so it stays", e.getKey()).isEqualTo(e.getValue());
            } else {
                moved++;
            }
        }
        assertThat(moved).isEqualTo(before.values().stream().filter("n2"::equals).count());
        // And when n2 comes back, its users return to it.
        for (Map.Entry<String, String> e : before.entrySet()) {
            assertThat(balancer.choose(e.getKey(), THREE).nodeId()).isEqualTo(e.getValue());
        }
    }

    @Test
    void strategiesAreNamedByTheirFlag() {
        for (String name : List.of("random", "round-robin", "consistent-hash", "least-connections")) {
            assertThat(LoadBalancer.named(name).name()).isEqualTo(name);
        }
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> LoadBalancer.named("fastest"))
                .hasMessageContaining("unknown strategy 'fastest'");
    }
}
