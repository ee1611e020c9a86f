package com.example.im.testkit;

/** A running ZooKeeper (one server or an ensemble) whose servers a test may stop and restart. */
interface ZooKeeperServerHandle extends AutoCloseable {

    /** The connect string a ZooKeeper client takes, e.g. "127.0.0.1:41234,127.0.0.1:41236". */
    String connectString();

    int size();

    /**
     * The connect string for a stage node started by {@link StageCluster}: the same as {@link #connectString()} for
     * a local server; the network alias on {@link ContainerStageJar#network()} for a container.
     */
    default String nodeConnectString() {
        return connectString();
    }

    /** Stops server {@code index} (0-based); its address stays reserved for {@link #restart(int)}. */
    void stop(int index) throws Exception;

    /** Starts server {@code index} again on the same address, with the data it had. */
    void restart(int index) throws Exception;

    String description();

    @Override
    void close() throws Exception;
}
