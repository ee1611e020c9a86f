package com.example.im.registry;

import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.retry.ExponentialBackoffRetry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The ZooKeeper layout and client settings shared by nodes and clients (docs/04-zk-cluster.md). */
public final class Registry {

    private static final Logger log = LoggerFactory.getLogger(Registry.class);

    /** Parent of every node's ephemeral znode. */
    public static final String SERVERS_PATH = "/im/servers";

    private Registry() {
    }

    public static String nodePath(String nodeId) {
        return SERVERS_PATH + "/" + nodeId;
    }

    // tag::curator[]
    /**
     * A started Curator client. The session timeout decides how long the znode of a node that died without closing
     * (kill -9, power cut) stays visible: ZooKeeper deletes an ephemeral znode only when its session expires.
     */
    public static CuratorFramework curator(String connectString, int sessionTimeoutMillis) {
        CuratorFramework client = CuratorFrameworkFactory.builder()
                .connectString(connectString)
                .sessionTimeoutMs(sessionTimeoutMillis)
                .connectionTimeoutMs(5_000)
                // Each operation retries for ~30 s in total; recipes such as PersistentNode keep going after that.
                .retryPolicy(new ExponentialBackoffRetry(200, 10, 5_000))
                // Keep dialling the addresses we were given. By default Curator replaces them with the ones in the
                // ensemble's own config, which behind containers or NAT are names only the servers can resolve
                // ("Unable to resolve address: zk1"): the client then loses the whole ensemble when one server stops.
                .ensembleTracker(false)
                .build();
        // One line when ZooKeeper goes away and one when it is back, for nodes and consoles alike. ZooKeeper's own
        // client would log a WARN with a full stack trace at each of its reconnect attempts, about once a second:
        // simplelogger.properties turns that logger down to ERROR, and these lines say what the reader needs.
        client.getConnectionStateListenable().addListener((c, state) -> {
            switch (state) {
                case SUSPENDED -> log.warn("ZooKeeper {} unreachable; retrying", connectString);
                case RECONNECTED -> log.info("ZooKeeper {} reachable again", connectString);
                default -> {
                }
            }
        });
        client.start();
        return client;
    }
    // end::curator[]
}
