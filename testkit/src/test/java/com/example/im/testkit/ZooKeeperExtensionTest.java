package com.example.im.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.framework.state.ConnectionState;
import org.apache.curator.retry.RetryForever;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

class ZooKeeperExtensionTest {

    @RegisterExtension
    final ZooKeeperExtension zk = new ZooKeeperExtension(1, Infra.Backend.LOCAL);

    static CuratorFramework curator(String connectString) {
        CuratorFramework client = CuratorFrameworkFactory.builder()
                .connectString(connectString)
                .sessionTimeoutMs(30_000)
                .connectionTimeoutMs(5_000)
                .retryPolicy(new RetryForever(100))
                .build();
        client.start();
        return client;
    }

    @Test
    void localZooKeeperIsARealServerOnLoopbackThatCuratorUses() throws Exception {
        assertThat(zk.connectString()).startsWith("127.0.0.1:");
        try (CuratorFramework client = curator(zk.connectString())) {
            client.create().creatingParentsIfNeeded().forPath("/im/servers/n1", "x".getBytes(StandardCharsets.UTF_8));
            assertThat(client.getChildren().forPath("/im/servers")).containsExactly("n1");
        }
    }

    @Test
    void aServerCanBeStoppedAndRestartedOnTheSameAddressWithItsData() throws Exception {
        AtomicReference<ConnectionState> state = new AtomicReference<>();
        try (CuratorFramework client = curator(zk.connectString())) {
            client.getConnectionStateListenable().addListener((c, newState) -> state.set(newState));
            client.create().forPath("/kept", "v1".getBytes(StandardCharsets.UTF_8));

            zk.stopServer(0);
            await().atMost(Duration.ofSeconds(15)).until(() -> state.get() == ConnectionState.SUSPENDED
                    || state.get() == ConnectionState.LOST);

            zk.restartServer(0);
            await().atMost(Duration.ofSeconds(30)).until(() -> state.get() == ConnectionState.RECONNECTED);
            assertThat(new String(client.getData().forPath("/kept"), StandardCharsets.UTF_8)).isEqualTo("v1");
        }
    }
}
