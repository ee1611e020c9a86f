package com.example.im.route;

/**
 * Where a user's session lives: the connection's session id and the node that holds it. Stored as the value of
 * {@code im:session:{uid}} in the form {@code <sessionId>@<nodeId>} (docs/05-redis-forwarding.md, "Keys").
 */
public record SessionRef(String sessionId, String nodeId) {

    public SessionRef {
        if (sessionId.contains("@")) {
            throw new IllegalArgumentException("a session id may not contain '@': " + sessionId);
        }
    }

    public String encode() {
        return sessionId + "@" + nodeId;
    }

    /** The stored form back; null for null (no session). */
    public static SessionRef parse(String value) {
        if (value == null) {
            return null;
        }
        int at = value.indexOf('@');
        if (at < 0) {
            throw new IllegalArgumentException("not a session value: " + value);
        }
        return new SessionRef(value.substring(0, at), value.substring(at + 1));
    }
}
