package com.example.im.registry;

import com.example.im.balance.LoadBalancer;
import com.example.im.client.NodeLocator;
import java.net.InetSocketAddress;
import java.util.List;

/**
 * Picks the node a client connects to: the current node list from ZooKeeper, filtered, then the load-balancing
 * strategy (docs/04-zk-cluster.md, "Choosing a node" and "Failover").
 */
public final class ZkNodeLocator implements NodeLocator, AutoCloseable {

    private final NodeDirectory directory;
    private final LoadBalancer balancer;

    public ZkNodeLocator(NodeDirectory directory, LoadBalancer balancer) {
        this.directory = directory;
        this.balancer = balancer;
    }

    // tag::locate[]
    @Override
    public InetSocketAddress locate(String uid, InetSocketAddress lost) {
        List<NodeInfo> nodes = directory.nodes();
        if (lost != null && nodes.size() > 1) {
            // The node we just lost may still be listed: its znode lives until its ZooKeeper session expires
            // (seconds after a crash). Do not walk straight back into it while there are others.
            List<NodeInfo> others = nodes.stream().filter(n -> !sameAddress(n, lost)).toList();
            nodes = others.isEmpty() ? nodes : others;
        }
        if (nodes.isEmpty()) {
            throw new IllegalStateException(directory.initialized()
                    ? "no chat node is registered under " + Registry.SERVERS_PATH
                    : "ZooKeeper does not answer, so no chat node is known yet");
        }
        return balancer.choose(uid, nodes).address();
    }
    // end::locate[]

    private static boolean sameAddress(NodeInfo node, InetSocketAddress address) {
        return node.port() == address.getPort() && node.host().equals(address.getHostString());
    }

    @Override
    public String toString() {
        return balancer.name() + " over " + directory.nodes().size() + " nodes from ZooKeeper";
    }

    @Override
    public void close() {
        directory.close();
    }
}
