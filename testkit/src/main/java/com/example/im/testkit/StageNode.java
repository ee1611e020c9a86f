package com.example.im.testkit;

import java.net.InetSocketAddress;

/** One node of a cluster stage started by {@link StageCluster}: its jar as a local process or in a container. */
public interface StageNode {

    /** The {@code --node-id} it runs with (its znode under /im/servers, its Redis inbox from stage 5). */
    String nodeId();

    /** Where a client connects: the host and (published) port, the address the node registers in ZooKeeper. */
    InetSocketAddress address();

    /** As {@code docker stop}: SIGTERM (the node's graceful shutdown), SIGKILL after a bound; returns once gone. */
    void stop();

    /** SIGKILL: the node dies at once, as in a crash (no shutdown hook, its znode stays until its session expires). */
    void kill();

    /** How it was started and where its output goes (for failure messages). */
    String description();
}
