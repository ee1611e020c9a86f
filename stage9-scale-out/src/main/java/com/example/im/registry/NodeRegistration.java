package com.example.im.registry;

import java.util.concurrent.TimeUnit;
import java.util.function.IntSupplier;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.recipes.nodes.PersistentNode;
import org.apache.zookeeper.CreateMode;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A node's presence in ZooKeeper: the ephemeral znode {@code /im/servers/<nodeId>} (docs/04-zk-cluster.md,
 * "Ephemeral znodes and sessions").
 *
 * <p>Curator's {@link PersistentNode} in EPHEMERAL mode is the recipe that makes the registration survive: when the
 * ZooKeeper session expires (a long network partition, a GC pause longer than the session timeout), ZooKeeper deletes
 * the znode, and the recipe creates it again on the new session. A bare {@code create().withMode(EPHEMERAL)} would
 * leave the node serving clients while invisible to every new one.
 */
public final class NodeRegistration implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(NodeRegistration.class);

    private final CuratorFramework curator;
    private final PersistentNode znode;
    private final IntSupplier connections;
    private NodeInfo published;

    // tag::register[]
    /** Starts registering {@code info}; its connection count is then taken from {@code connections}. */
    public NodeRegistration(CuratorFramework curator, NodeInfo info, IntSupplier connections) {
        this.curator = curator;
        this.connections = connections;
        this.published = info.withConnections(connections.getAsInt());
        this.znode = new PersistentNode(curator, CreateMode.EPHEMERAL, false,
                Registry.nodePath(info.nodeId()), published.toJson());
        znode.start();
    }
    // end::register[]

    /** Waits (bounded) for the first creation; false when ZooKeeper is not reachable yet. */
    public boolean awaitRegistered(long timeout, TimeUnit unit) throws InterruptedException {
        return znode.waitForInitialCreate(timeout, unit);
    }

    // tag::refresh[]
    /**
     * Publishes the current connection count if it changed. Called every few seconds rather than on every login:
     * a busy node would otherwise write to ZooKeeper (a consensus round across the ensemble) for every user.
     */
    public synchronized void refresh() {
        int now = connections.getAsInt();
        if (now == published.connections()) {
            return;
        }
        NodeInfo next = published.withConnections(now);
        try {
            // Kept by the recipe even while ZooKeeper is away, and written when the znode is (re)created.
            znode.setData(next.toJson());
            published = next; // only once written: a failed write is tried again on the next refresh
        } catch (Exception e) {
            log.debug("connection count not published yet ({}); the recipe retries", e.toString());
        }
    }
    // end::refresh[]

    public String path() {
        return Registry.nodePath(published.nodeId());
    }

    /** The Curator client this registration uses (tests expire its session). */
    public CuratorFramework curator() {
        return curator;
    }

    /** Deletes the znode (new clients stop choosing this node) and closes the ZooKeeper session. */
    @Override
    public void close() {
        try {
            znode.close();
        } catch (Exception e) {
            log.warn("could not delete {}: {}; it goes when the session ends", path(), e.toString());
        }
        curator.close();
    }
}
