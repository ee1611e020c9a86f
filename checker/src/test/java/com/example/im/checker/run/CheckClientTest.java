package com.example.im.checker.run;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

class CheckClientTest {

    /** The first node a client picks: with any seed and any node count, 40 clients spread over all the nodes. */
    @Test
    void clientsOfOneRunSpreadOverTheNodes() {
        for (long seed : new long[] {0, 1, 2, 42, 99_999}) {
            for (int nodes = 2; nodes <= 4; nodes++) {
                Set<Integer> picked = new HashSet<>();
                for (int i = 0; i < 40; i++) {
                    picked.add(CheckClient.randomFor(seed, String.format("c%02d", i)).nextInt(nodes));
                }
                assertThat(picked).as("seed %d, %d nodes", seed, nodes).hasSize(nodes);
            }
        }
    }
}
