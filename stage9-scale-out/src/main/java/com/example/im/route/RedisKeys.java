package com.example.im.route;

import java.nio.charset.StandardCharsets;

/** The Redis key layout (docs/05-redis-forwarding.md, "Keys"). */
public final class RedisKeys {

    /** The consumer group every node's inbox stream has; the consumer inside it is named after the node. */
    public static final String GROUP = "im-delivery";
    /**
     * {@code im:inboxes}: the ids of every node that has an inbox stream. The sweep reads it to find inboxes whose
     * owner is gone (cheaper than a SCAN over the whole keyspace).
     */
    public static final String INBOXES = "im:inboxes";
    /** The stream field that holds an entry's protobuf bytes. */
    public static final byte[] FIELD = "e".getBytes(StandardCharsets.UTF_8);

    private RedisKeys() {
    }

    /** {@code im:session:{uid}} → "sessionId@nodeId", with a TTL the owning node keeps renewing. */
    public static String session(String uid) {
        return "im:session:" + uid;
    }

    /** {@code im:leaving:{nodeId}}: set while a node shuts down gracefully; survivors wait for it before a takeover. */
    public static String leaving(String nodeId) {
        return "im:leaving:" + nodeId;
    }

    /** {@code im:takeover:{nodeId}}: who took over a departed node's inbox; SET NX makes exactly one survivor win. */
    public static String takeover(String nodeId) {
        return "im:takeover:" + nodeId;
    }

    /** {@code im:inbox:{nodeId}}: the stream other nodes push this node's messages to. */
    public static String inbox(String nodeId) {
        return "im:inbox:" + nodeId;
    }
}
