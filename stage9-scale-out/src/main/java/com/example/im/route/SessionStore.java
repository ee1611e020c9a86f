package com.example.im.route;

import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import redis.clients.jedis.AbstractPipeline;
import redis.clients.jedis.Response;
import redis.clients.jedis.UnifiedJedis;
import redis.clients.jedis.exceptions.JedisDataException;
import redis.clients.jedis.params.SetParams;

/**
 * The distributed session: which node each user is on, in Redis (docs/05-redis-forwarding.md, "Sessions with a TTL,
 * and compare-and-delete"). Every call is a blocking Redis round trip: never call it on an event-loop thread.
 */
public final class SessionStore {

    // tag::scripts[]
    /** Delete only if the value is still ours: a node that lost the user must not delete the user's new session. */
    static final String RELEASE_IF_OWNED = """
            if redis.call('GET', KEYS[1]) == ARGV[1] then
              return redis.call('DEL', KEYS[1])
            end
            return 0""";

    /**
     * Extend our session: 1. Someone else's: 0 (the user logged in elsewhere; the caller closes its connection).
     * Missing: -1 (a Redis restart lost it, or a logout just deleted it). The script never writes a missing session
     * back: it cannot know whether the connection is still there at the moment of the write; the caller re-asserts it
     * on the user's session lane, after looking (see RedisRouting#renew).
     */
    static final String RENEW_IF_OWNED = """
            local current = redis.call('GET', KEYS[1])
            if current == ARGV[1] then
              redis.call('PEXPIRE', KEYS[1], ARGV[2])
              return 1
            elseif current == false then
              return -1
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

    /** What a renewal found for one session. */
    public enum Renewal { RENEWED, SOMEONE_ELSES, MISSING }

    /**
     * Renews every session this node holds, in one pipelined round trip, and says for each what it found. Every
     * reply is read: a session whose renewal failed is absent from the result (it is tried again next time).
     */
    public Map<String, Renewal> renew(Map<String, SessionRef> sessions) {
        Map<String, Renewal> found = new HashMap<>();
        if (sessions.isEmpty()) {
            return found;
        }
        Map<String, Response<Object>> results = new HashMap<>();
        try (AbstractPipeline pipeline = redis.pipelined()) {
            String ttl = Long.toString(ttlMillis);
            sessions.forEach((uid, ref) -> results.put(uid, pipeline.eval(RENEW_IF_OWNED,
                    List.of(RedisKeys.session(uid)), List.of(ref.encode(), ttl))));
            pipeline.sync();
        }
        JedisDataException error = null;
        for (Map.Entry<String, Response<Object>> result : results.entrySet()) {
            try {
                Object reply = result.getValue().get();
                found.put(result.getKey(), Long.valueOf(1L).equals(reply) ? Renewal.RENEWED
                        : Long.valueOf(0L).equals(reply) ? Renewal.SOMEONE_ELSES : Renewal.MISSING);
            } catch (JedisDataException e) {
                error = e;
            }
        }
        if (error != null && found.isEmpty()) {
            throw error; // nothing renewed (-OOM, -READONLY ...): the caller retries soon
        }
        return found;
    }

    /**
     * Writes {@code ref} as the session of {@code uid} only if there is none (after a Redis restart lost it): a
     * session someone else wrote meanwhile is newer and is left alone. True when written.
     */
    public boolean reassert(String uid, SessionRef ref) {
        return "OK".equals(redis.set(RedisKeys.session(uid), ref.encode(),
                SetParams.setParams().nx().px(ttlMillis)));
    }

    /**
     * The sessions of {@code uids}; users without a session are absent from the map. Stage 9: a pipeline of GETs, not
     * one MGET — the keys are in different hash slots, and a cluster refuses a multi-key command across slots. A
     * cluster pipeline sends each Redis server its GETs together: one round trip per server, in parallel, as MGET was
     * one round trip (docs/09-scale-out.md, "What the code had to change").
     */
    public Map<String, SessionRef> lookup(Collection<String> uids) {
        Map<String, SessionRef> found = new HashMap<>();
        if (uids.isEmpty()) {
            return found;
        }
        Map<String, Response<String>> replies = new LinkedHashMap<>();
        try (AbstractPipeline pipeline = redis.pipelined()) {
            uids.forEach(uid -> replies.put(uid, pipeline.get(RedisKeys.session(uid))));
            pipeline.sync();
        }
        replies.forEach((uid, reply) -> {
            SessionRef ref = SessionRef.parse(reply.get()); // an error reply throws: the lookup failed
            if (ref != null) {
                found.put(uid, ref);
            }
        });
        return found;
    }

    public SessionRef lookup(String uid) {
        return SessionRef.parse(redis.get(RedisKeys.session(uid)));
    }
}
