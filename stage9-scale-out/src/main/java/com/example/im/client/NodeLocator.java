package com.example.im.client;

import java.net.InetSocketAddress;

/**
 * Where the client connects, asked again before every reconnect (docs/04-zk-cluster.md). A fixed address in the
 * single-node stages; the ZooKeeper node list and a load-balancing strategy in a cluster.
 */
public interface NodeLocator {

    /**
     * The address to connect to for {@code uid} (null before a login is known). {@code lost} is the address of the
     * connection that just failed, or null on the first connect.
     *
     * @throws IllegalStateException when no node is available right now (the client backs off and asks again)
     */
    InetSocketAddress locate(String uid, InetSocketAddress lost);

    static NodeLocator fixed(String host, int port) {
        InetSocketAddress address = InetSocketAddress.createUnresolved(host, port);
        return new NodeLocator() {
            @Override
            public InetSocketAddress locate(String uid, InetSocketAddress lost) {
                return address;
            }

            @Override
            public String toString() {
                return host + ":" + port;
            }
        };
    }
}
