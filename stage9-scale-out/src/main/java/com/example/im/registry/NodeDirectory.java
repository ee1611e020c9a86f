package com.example.im.registry;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.recipes.cache.ChildData;
import org.apache.curator.framework.recipes.cache.CuratorCache;
import org.apache.curator.framework.recipes.cache.CuratorCacheListener;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The client's live view of the nodes under {@code /im/servers} (docs/04-zk-cluster.md, "Finding the nodes").
 *
 * <p>The article's client read the list once with {@code getChildren} and never again: a node that joined later got
 * no clients and a node that died kept being chosen. Curator's {@link CuratorCache} keeps a local copy current through
 * ZooKeeper watches, so {@link #nodes()} is a memory read, and a node that leaves is gone from it within moments.
 */
public final class NodeDirectory implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(NodeDirectory.class);

    private final CuratorFramework curator;
    private final boolean ownsCurator;
    private final CuratorCache cache;
    private volatile List<NodeInfo> nodes = List.of();
    private final CountDownLatch initialized = new CountDownLatch(1);

    // tag::cache[]
    public NodeDirectory(CuratorFramework curator) {
        this(curator, nodeId -> { }, true);
    }

    /**
     * A directory that also reports every node that leaves (its znode deleted: a clean shutdown or an expired
     * session) to {@code onNodeLeft}; a node uses it to take over departed nodes' inboxes (stage 6).
     * {@code ownsCurator}: whether {@link #close()} closes the Curator client too.
     */
    public NodeDirectory(CuratorFramework curator, Consumer<String> onNodeLeft, boolean ownsCurator) {
        this(curator, nodeId -> { }, onNodeLeft, ownsCurator);
    }

    /**
     * Stage 8: also reports every node that joins (its znode created; at start, each node already registered) to
     * {@code onNodeJoined}, after {@link #nodes()} lists it — the cluster page's events (docs/08-web-edge.md, "The
     * cluster page").
     */
    public NodeDirectory(CuratorFramework curator, Consumer<String> onNodeJoined, Consumer<String> onNodeLeft,
                         boolean ownsCurator) {
        this.curator = curator;
        this.ownsCurator = ownsCurator;
        this.cache = CuratorCache.build(curator, Registry.SERVERS_PATH);
        cache.listenable().addListener(CuratorCacheListener.builder()
                .forDeletes(gone -> {
                    String path = gone.getPath();
                    if (path.startsWith(Registry.SERVERS_PATH + "/")) {
                        rebuild(); // first: whoever is told must not still find the node in nodes()
                        onNodeLeft.accept(path.substring(Registry.SERVERS_PATH.length() + 1));
                    }
                })
                .forCreates(created -> {
                    String path = created.getPath();
                    if (path.startsWith(Registry.SERVERS_PATH + "/")) {
                        rebuild();
                        onNodeJoined.accept(path.substring(Registry.SERVERS_PATH.length() + 1));
                    }
                })
                .forAll((type, oldData, data) -> rebuild())
                .forInitialized(() -> {
                    rebuild();
                    initialized.countDown();
                })
                .build());
        cache.start();
    }

    private void rebuild() {
        List<NodeInfo> current = new ArrayList<>();
        cache.stream()
                .filter(child -> !child.getPath().equals(Registry.SERVERS_PATH))
                .forEach(child -> parse(child, current));
        current.sort(Comparator.comparing(NodeInfo::nodeId));
        nodes = List.copyOf(current);
    }
    // end::cache[]

    private static void parse(ChildData child, List<NodeInfo> into) {
        try {
            into.add(NodeInfo.fromJson(child.getData()));
        } catch (IllegalArgumentException e) {
            log.warn("ignoring {}: {}", child.getPath(), e.getMessage());
        }
    }

    /** Whether the first full read of the node list is done: false while ZooKeeper has never answered. */
    public boolean initialized() {
        return initialized.getCount() == 0;
    }

    /** Waits (bounded) until the first full read of the node list; false when ZooKeeper did not answer in time. */
    public boolean awaitInitialized(long timeout, TimeUnit unit) throws InterruptedException {
        return initialized.await(timeout, unit);
    }

    /**
     * True when this view can be trusted: the first read is done and the ZooKeeper connection is up. A node that has
     * lost ZooKeeper must not conclude that the others are gone (and take their inboxes over).
     */
    public boolean isCurrent() {
        return initialized.getCount() == 0 && curator.getZookeeperClient().isConnected();
    }

    /** Whether {@code nodeId} is registered now. */
    public boolean contains(String nodeId) {
        return nodes.stream().anyMatch(n -> n.nodeId().equals(nodeId));
    }

    /** The registered nodes, sorted by node id; empty when none is (or ZooKeeper was never reached). */
    public List<NodeInfo> nodes() {
        return nodes;
    }

    @Override
    public void close() {
        cache.close();
        if (ownsCurator) {
            curator.close();
        }
    }
}
