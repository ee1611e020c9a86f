package com.example.im.registry;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;

/**
 * What a node publishes about itself in its znode {@code /im/servers/<nodeId>}, as JSON
 * (docs/04-zk-cluster.md, "The registry layout"):
 *
 * <pre>{"nodeId":"127.0.0.1:7001","host":"127.0.0.1","port":7001,"connections":42,"httpPort":8001,"tls":false}</pre>
 *
 * @param host        the address clients dial — the advertised host, not necessarily the bind address
 * @param connections logged-in users on the node, refreshed every few seconds (for least-connections balancing)
 * @param httpPort    stage 8: the node's HTTP/WebSocket port (pages, {@code /ws}, {@code /metrics}); 0: none
 * @param tls         stage 8: whether both ports speak TLS ({@code wss://}, {@code https://})
 */
public record NodeInfo(String nodeId, String host, int port, int connections, int httpPort, boolean tls) {

    /** A node without a web edge (the stage 4-7 shape; tests of the balancers). */
    public NodeInfo(String nodeId, String host, int port, int connections) {
        this(nodeId, host, port, connections, 0, false);
    }

    private static final ObjectMapper JSON = new ObjectMapper();

    public InetSocketAddress address() {
        return InetSocketAddress.createUnresolved(host, port);
    }

    public byte[] toJson() {
        try {
            return JSON.writeValueAsBytes(this);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Parses a znode's data; throws IllegalArgumentException for data that is not a node's registration. */
    public static NodeInfo fromJson(byte[] json) {
        try {
            NodeInfo info = JSON.readValue(json, NodeInfo.class);
            if (info.nodeId == null || info.host == null || info.port <= 0) {
                throw new IllegalArgumentException("incomplete node registration: " + new String(json));
            }
            return info;
        } catch (IOException e) {
            throw new IllegalArgumentException("not a node registration: " + e.getMessage(), e);
        }
    }

    public NodeInfo withConnections(int count) {
        return new NodeInfo(nodeId, host, port, count, httpPort, tls);
    }
}
