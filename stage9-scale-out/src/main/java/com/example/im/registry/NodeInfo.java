package com.example.im.registry;

import com.example.im.config.HostPort;
import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;

/**
 * What a node publishes about itself in its znode {@code /im/servers/<nodeId>}, as JSON
 * (docs/04-zk-cluster.md, "The registry layout"):
 *
 * <pre>{"nodeId":"127.0.0.1:7001","host":"127.0.0.1","port":7001,"connections":42,"httpPort":8001,"tls":false}</pre>
 *
 * <p>Stage 9 adds {@code "httpHost"} (docs/09-scale-out.md, "Advertised addresses"), written only when it differs
 * from {@code host}: the usual znode stays byte for byte in the stage-8 shape, which a stage-8 reader (Jackson
 * failing on unknown properties) still reads; a znode without it (written by a stage-8 node) reads as "the HTTP
 * host is the TCP host". This reader ignores properties it does not know, so a later field breaks nothing here.
 *
 * @param host        the address clients dial — the advertised host, not necessarily the bind address
 * @param connections logged-in users on the node, refreshed every few seconds (for least-connections balancing)
 * @param httpPort    stage 8: the node's HTTP/WebSocket port (pages, {@code /ws}, {@code /metrics}); 0: none.
 *                    Stage 9: the advertised one, which differs from the bound port behind a port mapping
 * @param tls         stage 8: whether both ports speak TLS ({@code wss://}, {@code https://})
 * @param httpHost    stage 9: the advertised host of the HTTP port; null given: {@code host}
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record NodeInfo(String nodeId, String host, int port, int connections, int httpPort, boolean tls,
                       String httpHost) {

    public NodeInfo {
        if (httpHost == null) {
            httpHost = host;
        }
    }

    /** A node whose HTTP port is advertised on its TCP host (the stage-8 shape). */
    public NodeInfo(String nodeId, String host, int port, int connections, int httpPort, boolean tls) {
        this(nodeId, host, port, connections, httpPort, tls, null);
    }

    /** A node without a web edge (the stage 4-7 shape; tests of the balancers). */
    public NodeInfo(String nodeId, String host, int port, int connections) {
        this(nodeId, host, port, connections, 0, false);
    }

    private static final ObjectMapper JSON = new ObjectMapper();

    public InetSocketAddress address() {
        return InetSocketAddress.createUnresolved(host, port);
    }

    /** The start of this node's URLs: {@code http(s)://httpHost:httpPort/}, an IPv6 host in brackets. */
    public String httpBase() {
        return (tls ? "https://" : "http://") + HostPort.forUrl(httpHost) + ":" + httpPort + "/";
    }

    /** The znode's data; {@code httpHost} only when it is not {@code host} (see above). */
    public byte[] toJson() {
        try {
            ObjectNode tree = JSON.valueToTree(this);
            if (httpHost == null || httpHost.equals(host)) {
                tree.remove("httpHost");
            }
            return JSON.writeValueAsBytes(tree);
        } catch (IOException | IllegalArgumentException e) {
            throw new UncheckedIOException(e instanceof IOException io ? io : new IOException(e));
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
        return new NodeInfo(nodeId, host, port, count, httpPort, tls, httpHost);
    }
}
