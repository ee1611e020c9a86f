package com.example.im.route;

import java.nio.charset.StandardCharsets;

/** The Redis key layout (docs/05-redis-forwarding.md, "Keys"). */
public final class RedisKeys {

    /** The consumer group every node's inbox stream has; the consumer inside it is named after the node. */
    public static final String GROUP = "im-delivery";
    /** The stream field that holds an entry's protobuf bytes. */
    public static final byte[] FIELD = "e".getBytes(StandardCharsets.UTF_8);

    private RedisKeys() {
    }

    /** {@code im:session:{uid}} → "sessionId@nodeId", with a TTL the owning node keeps renewing. */
    public static String session(String uid) {
        return "im:session:" + uid;
    }

    /** {@code im:inbox:{nodeId}}: the stream other nodes push this node's messages to. */
    public static String inbox(String nodeId) {
        return "im:inbox:" + nodeId;
    }
}
