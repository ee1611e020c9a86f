package com.example.im.testkit;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real ZooKeeper for a test: one server ({@link #ZooKeeperExtension()}) or an ensemble
 * ({@link #ensemble(int)}, e.g. 3 servers, for tests where ZooKeeper itself fails over).
 *
 * <pre>{@code
 * @RegisterExtension
 * static final ZooKeeperExtension zk = new ZooKeeperExtension();
 * ... CuratorFrameworkFactory.newClient(zk.connectString(), retryPolicy) ...
 * }</pre>
 *
 * <p>The backend follows {@code -Dim.infra} (see {@link Infra}). Servers can be stopped and restarted on the same
 * address to test what a node does while ZooKeeper is away.
 */
public final class ZooKeeperExtension extends ServerExtension {

    private static final Logger log = LoggerFactory.getLogger(ZooKeeperExtension.class);

    private final int size;
    private final Infra.Backend requested;
    private ZooKeeperServerHandle servers;

    /** A single ZooKeeper server. */
    public ZooKeeperExtension() {
        this(1, null);
    }

    /** An ensemble of {@code size} servers (odd, at least 3, so that it survives losing one). */
    public static ZooKeeperExtension ensemble(int size) {
        if (size < 3 || size % 2 == 0) {
            throw new IllegalArgumentException("an ensemble needs an odd size >= 3, got " + size);
        }
        return new ZooKeeperExtension(size, null);
    }

    /** A fixture with a fixed backend, whatever {@code -Dim.infra} says (used by the testkit's own tests). */
    public ZooKeeperExtension(int size, Infra.Backend backend) {
        this.size = size;
        this.requested = backend;
    }

    @Override
    protected void start() throws Exception {
        Infra.Backend backend = requested != null ? requested : Infra.backend();
        if (backend == Infra.Backend.CONTAINERS) {
            servers = ContainerZooKeeper.start(size);
        } else {
            servers = size == 1 ? LocalZooKeeper.single() : LocalZooKeeper.ensemble(size);
        }
        log.info("ZooKeeper ready: {}", servers.description());
    }

    @Override
    protected void stop() throws Exception {
        if (servers != null) {
            servers.close();
            servers = null;
        }
    }

    public String connectString() {
        return running().connectString();
    }

    /** The connect string a stage node started by {@link StageCluster} takes (see the handle's). */
    String nodeConnectString() {
        return running().nodeConnectString();
    }

    public int size() {
        return size;
    }

    /** Stops server {@code index} (0-based; 0 for a single server). */
    public void stopServer(int index) throws Exception {
        running().stop(index);
    }

    /** Starts server {@code index} again on the same address. */
    public void restartServer(int index) throws Exception {
        running().restart(index);
    }

    private ZooKeeperServerHandle running() {
        if (servers == null) {
            throw new IllegalStateException("ZooKeeper is not running: register the extension with @RegisterExtension");
        }
        return servers;
    }
}
