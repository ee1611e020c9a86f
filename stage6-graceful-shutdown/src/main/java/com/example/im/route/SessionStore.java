package com.example.im.route;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import redis.clients.jedis.AbstractPipeline;
import redis.clients.jedis.Response;
import redis.clients.jedis.UnifiedJedis;
import redis.clients.jedis.params.SetParams;

/**
 * The distributed session: which node each user is on, in Redis (docs/05-redis-forwarding.md, "The session").
 * Every call is a blocking Redis round trip: never call it on an event-loop thread.
 */
public final class SessionStore {

    // tag::scripts[]
    /** Delete only if the value is still ours: a node that lost the user must not delete the user's new session. */
    static final String RELEASE_IF_OWNED = """
            if redis.call('GET', KEYS[1]) == ARGV[1] then
              return redis.call('DEL', KEYS[1])
            end
            return 0""";

    /** Extend our session, or write it again if it vanished (a Redis restart); never overwrite someone else's. */
    static final String RENEW_IF_OWNED_OR_MISSING = """
            local current = redis.call('GET', KEYS[1])
            if current == false or current == ARGV[1] then
              redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
              return 1
            end
            return 0""";
    // end::scripts[]

    private final UnifiedJedis redis;
    private final long ttlMillis;

    public SessionStore(UnifiedJedis redis, long ttlMillis) {
        this.redis = redis;
        this.ttlMillis = ttlMillis;
    }

    // tag::claim[]
    /** Makes {@code ref} the session of {@code uid} (the newest login wins) and returns the one it replaced. */
    public SessionRef claim(String uid, SessionRef ref) {
        String previous = redis.setGet(RedisKeys.session(uid), ref.encode(), SetParams.setParams().px(ttlMillis));
        return SessionRef.parse(previous);
    }

    /** Compare-and-delete: removes the session of {@code uid} only if it is still {@code ref}. */
    public boolean releaseIfOwned(String uid, SessionRef ref) {
        Object deleted = redis.eval(RELEASE_IF_OWNED, List.of(RedisKeys.session(uid)), List.of(ref.encode()));
        return Long.valueOf(1L).equals(deleted);
    }
    // end::claim[]

    /** Renews every session this node holds, in one pipelined round trip; returns how many were still ours. */
    public int renew(Map<String, SessionRef> sessions) {
        if (sessions.isEmpty()) {
            return 0;
        }
        List<Response<Object>> results = new ArrayList<>(sessions.size());
        try (AbstractPipeline pipeline = redis.pipelined()) {
            String ttl = Long.toString(ttlMillis);
            sessions.forEach((uid, ref) -> results.add(pipeline.eval(RENEW_IF_OWNED_OR_MISSING,
                    List.of(RedisKeys.session(uid)), List.of(ref.encode(), ttl))));
            pipeline.sync();
        }
        return (int) results.stream().filter(r -> Long.valueOf(1L).equals(r.get())).count();
    }

    /** The sessions of {@code uids} in one MGET; users without a session are absent from the map. */
    public Map<String, SessionRef> lookup(Collection<String> uids) {
        Map<String, SessionRef> found = new HashMap<>();
        if (uids.isEmpty()) {
            return found;
        }
        List<String> ordered = List.copyOf(uids);
        List<String> values = redis.mget(ordered.stream().map(RedisKeys::session).toArray(String[]::new));
        for (int i = 0; i < ordered.size(); i++) {
            SessionRef ref = SessionRef.parse(values.get(i));
            if (ref != null) {
                found.put(ordered.get(i), ref);
            }
        }
        return found;
    }

    public SessionRef lookup(String uid) {
        return SessionRef.parse(redis.get(RedisKeys.session(uid)));
    }
}
