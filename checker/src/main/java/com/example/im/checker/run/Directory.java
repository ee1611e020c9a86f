package com.example.im.checker.run;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.retry.ExponentialBackoffRetry;

/**
 * The nodes registered under {@code /im/servers}, as the stages' clients see them: each znode holds
 * {@code {"nodeId":..,"host":..,"port":..}} (docs/04-zk-cluster.md). Read again every 250 ms; while ZooKeeper cannot
 * be reached the last list is kept, as a client's cache would.
 */
final class Directory implements AutoCloseable {

    static final String ROOT = "/im/servers";
    private static final ObjectMapper JSON = new ObjectMapper();

    record Entry(String nodeId, InetSocketAddress address) {
    }

    private final CuratorFramework zk;
    private final ScheduledExecutorService refresher = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "checker-directory");
        t.setDaemon(true);
        return t;
    });
    private volatile List<Entry> nodes = List.of();

    Directory(String connectString) {
        zk = CuratorFrameworkFactory.builder().connectString(connectString).sessionTimeoutMs(10_000)
                .connectionTimeoutMs(2_000).retryPolicy(new ExponentialBackoffRetry(100, 3, 1_000)).build();
        zk.start();
        refresher.scheduleWithFixedDelay(this::refresh, 0, 250, TimeUnit.MILLISECONDS);
    }

    private void refresh() {
        try {
            if (zk.checkExists().forPath(ROOT) == null) {
                nodes = List.of();
                return;
            }
            List<Entry> found = new ArrayList<>();
            for (String child : zk.getChildren().forPath(ROOT)) {
                try {
                    JsonNode info = JSON.readTree(zk.getData().forPath(ROOT + "/" + child));
                    found.add(new Entry(info.path("nodeId").asText(child),
                            InetSocketAddress.createUnresolved(info.path("host").asText(), info.path("port").asInt())));
                } catch (Exception gone) {
                    // deleted between the listing and the read, or not a node's registration: skip it
                }
            }
            nodes = List.copyOf(found);
        } catch (Exception unreachable) {
            // keep the last list
        }
    }

    List<Entry> nodes() {
        return nodes;
    }

    @Override
    public void close() {
        refresher.shutdownNow();
        zk.close();
    }
}
