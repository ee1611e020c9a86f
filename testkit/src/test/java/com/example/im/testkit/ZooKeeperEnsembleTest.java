package com.example.im.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import org.apache.curator.framework.CuratorFramework;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

class ZooKeeperEnsembleTest {

    @RegisterExtension
    static final ZooKeeperExtension ensemble = new ZooKeeperExtension(3, Infra.Backend.LOCAL);

    @Test
    void theEnsembleKeepsServingWhenOneServerIsDownAndTakesItBack() throws Exception {
        assertThat(ensemble.connectString().split(",")).hasSize(3).allMatch(s -> s.startsWith("127.0.0.1:"));
        try (CuratorFramework client = ZooKeeperExtensionTest.curator(ensemble.connectString())) {
            client.create().forPath("/before", new byte[0]);

            ensemble.stopServer(0);
            // Two of three is still a quorum: writes go on.
            client.create().forPath("/during", "q".getBytes(StandardCharsets.UTF_8));

            ensemble.restartServer(0);
            assertThat(client.getChildren().forPath("/")).contains("before", "during");
        }
    }

    @Test
    void anEnsembleMustBeOddAndAtLeastThree() {
        assertThatThrownBy(() -> ZooKeeperExtension.ensemble(2)).isInstanceOf(IllegalArgumentException.class);
        assertThat(ZooKeeperExtension.ensemble(3).size()).isEqualTo(3);
    }
}
