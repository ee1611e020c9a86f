package com.example.im.balance;

import com.example.im.registry.NodeInfo;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Consistent hashing on the uid: the same user lands on the same node while the node set is unchanged, and when a
 * node leaves only its users move (docs/04-zk-cluster.md, "Consistent hash").
 *
 * <p>Each node is placed on a 64-bit ring at {@link #VIRTUAL_NODES} points (hashes of "nodeId#i"); a uid goes to
 * the first point at or after its own hash. Virtual nodes even out the share each node gets. The ring is rebuilt
 * from the current node list whenever that list changes — a node that left is never on it (a bug the closest
 * open-source peer of this project shipped twice: its ring kept dead nodes).
 */
public final class ConsistentHashBalancer implements LoadBalancer {

    public static final int VIRTUAL_NODES = 160;

    private record Ring(List<NodeInfo> nodes, TreeMap<Long, NodeInfo> points) {
    }

    private volatile Ring ring = new Ring(List.of(), new TreeMap<>());

    // tag::choose[]
    @Override
    public NodeInfo choose(String uid, List<NodeInfo> nodes) {
        Ring current = ringFor(nodes);
        if (uid == null) {
            return nodes.get(0);
        }
        Map.Entry<Long, NodeInfo> point = current.points().ceilingEntry(hash(uid));
        return (point != null ? point : current.points().firstEntry()).getValue();
    }

    private Ring ringFor(List<NodeInfo> nodes) {
        Ring current = ring;
        if (!sameNodes(current.nodes(), nodes)) {
            TreeMap<Long, NodeInfo> points = new TreeMap<>();
            for (NodeInfo node : nodes) {
                for (int i = 0; i < VIRTUAL_NODES; i++) {
                    points.put(hash(node.nodeId() + "#" + i), node);
                }
            }
            current = new Ring(List.copyOf(nodes), points);
            ring = current;
        }
        return current;
    }
    // end::choose[]

    /** Same node ids at the same addresses; connection counts do not move anybody. */
    private static boolean sameNodes(List<NodeInfo> a, List<NodeInfo> b) {
        if (a.size() != b.size()) {
            return false;
        }
        for (int i = 0; i < a.size(); i++) {
            NodeInfo x = a.get(i);
            NodeInfo y = b.get(i);
            if (!x.nodeId().equals(y.nodeId()) || !x.host().equals(y.host()) || x.port() != y.port()) {
                return false;
            }
        }
        return true;
    }

    /** First 8 bytes of MD5: well spread, and the same in every language a client might be written in. */
    static long hash(String key) {
        try {
            byte[] digest = MessageDigest.getInstance("MD5").digest(key.getBytes(StandardCharsets.UTF_8));
            return ByteBuffer.wrap(digest).getLong();
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has MD5", e);
        }
    }

    @Override
    public String name() {
        return "consistent-hash";
    }
}
