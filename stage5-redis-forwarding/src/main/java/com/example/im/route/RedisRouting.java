package com.example.im.route;

import com.example.im.protocol.ChatMessage;
import com.example.im.protocol.InboxEntry;
import com.example.im.protocol.Kick;
import com.example.im.server.SessionMap;
import io.netty.channel.Channel;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.Executor;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import redis.clients.jedis.ConnectionPoolConfig;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.RedisClient;

/**
 * Everything a node does with Redis (docs/05-redis-forwarding.md): the distributed session, cross-node routing
 * through the {@link Forwarder}, its own inbox through the {@link InboxConsumer}, and the renewal that keeps its
 * users' sessions alive. Every Redis call runs on a thread of its own here, never on a Netty event loop: a slow or
 * absent Redis must not stop local chat.
 */
public final class RedisRouting implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(RedisRouting.class);

    /**
     * Pool size. In use at once: the inbox consumer (blocked in XREADGROUP most of the time), the forwarder, the
     * session lanes and the renewal: seven. Sixteen leaves room; a caller waits at most 2 s for one.
     */
    static final int POOL_SIZE = 16;
    /** Session lanes: operations of one uid run in order on one lane (see {@link SessionLanes}). */
    static final int LANES = 4;
    /**
     * Waiting session operations per lane. 2 500 x 4 = 10 000 logins or logouts queued behind a slow Redis — a
     * login storm of a whole node's users at ~1 ms per claim drains in ~10 s; beyond that a login gets UNAVAILABLE
     * at once (and the client retries with backoff) instead of the node's memory growing.
     */
    static final int LANE_CAPACITY = 2_500;
    /** After a failed renewal pass, the next one comes this soon: the sessions are back soon after Redis is. */
    static final long RENEW_RETRY_MILLIS = 500;

    private final String nodeId;
    private final SessionMap sessions;
    private final RedisClient redis;
    private final SessionStore store;
    private final Forwarder forwarder;
    private final InboxConsumer inbox;
    private final SessionLanes lanes = new SessionLanes(LANES, LANE_CAPACITY);
    private final ScheduledExecutorService renewal;
    private final long renewEveryMillis;
    private volatile boolean halted;

    /**
     * @param sessionTtlMillis    how long a session outlives its node's last renewal; renewed every third of it
     * @param undeliverableMillis how long an inbox entry waits for a recipient who is not connected anywhere
     */
    public RedisRouting(String redisUri, String nodeId, SessionMap sessions, long sessionTtlMillis,
                        long undeliverableMillis) {
        this.nodeId = nodeId;
        this.sessions = sessions;
        ConnectionPoolConfig pool = new ConnectionPoolConfig();
        pool.setMaxTotal(POOL_SIZE);
        pool.setMaxIdle(POOL_SIZE);
        pool.setMinIdle(2);
        pool.setMaxWait(Duration.ofSeconds(2));
        // Every call is bounded: 2 s for a reply, and for the inbox's blocking read its 500 ms block plus 2 s — a
        // Redis that stops answering (paused, a network blackhole) must not hang a thread forever. (The client
        // config comes first: fromURI adds the URI's user, password and database to it.)
        this.redis = RedisClient.builder()
                .clientConfig(DefaultJedisClientConfig.builder().connectionTimeoutMillis(2_000)
                        .socketTimeoutMillis(2_000).blockingSocketTimeoutMillis(2_500).build())
                .fromURI(redisUri).poolConfig(pool).build();
        try {
            RedisVersion.check(redis, redisUri); // too old: say so now, not at the first login or takeover
        } catch (RuntimeException e) {
            redis.close();
            throw e;
        }
        this.store = new SessionStore(redis, sessionTtlMillis);
        this.forwarder = new Forwarder(redis, store);
        this.inbox = new InboxConsumer(redis, nodeId, sessions, store, 256, undeliverableMillis, 1_000);
        this.renewal = Executors.newSingleThreadScheduledExecutor(r -> daemon(r, "im-renewal"));
        this.renewEveryMillis = Math.max(1, sessionTtlMillis / 3);
        renewal.schedule(this::renewPass, renewEveryMillis, TimeUnit.MILLISECONDS);
        inbox.onRedisReset(this::renewSoon);
        inbox.prepare();
        inbox.start();
    }

    private static Thread daemon(Runnable r, String name) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        return t;
    }

    // tag::login[]
    /**
     * Records the login in Redis on the user's session lane, then calls {@code then} with null; a previous session
     * on another node is told to close (the newest login wins). {@code then} gets the error instead when the session
     * could not be written (Redis down or refusing, or too many operations waiting): the login must then fail, since
     * no other node could reach the user. Nothing is claimed for a connection that is gone by the time its turn
     * comes: a late claim would overwrite the session the user has made since on another node, and kick it.
     */
    public void loggedIn(String uid, SessionRef ref, Channel channel, Consumer<RuntimeException> then) {
        boolean queued = lanes.submit(uid, () -> {
            if (sessions.find(uid) != channel || !channel.isActive()) {
                log.debug("{} left before its session was written; nothing claimed", uid);
                return;
            }
            try {
                SessionRef previous = store.claim(uid, ref);
                channel.attr(SessionMap.CLAIMED).set(true);
                if (previous != null && !previous.nodeId().equals(nodeId)) {
                    forwarder.push(previous.nodeId(), InboxEntry.newBuilder().setKick(Kick.newBuilder()
                            .setUid(uid).setSessionId(previous.sessionId())).build());
                }
            } catch (RuntimeException e) {
                log.warn("session of {} not written to Redis ({}); the login is refused", uid, e.toString());
                then.accept(e);
                releaseQuietly(uid, ref); // the write may have landed before its reply was lost
                return;
            }
            then.accept(null);
        });
        if (!queued) {
            then.accept(new IllegalStateException("too many session operations waiting"));
        }
    }

    /** Removes the session from Redis if it is still this connection's (compare-and-delete), after its claim. */
    public void loggedOut(String uid, SessionRef ref) {
        if (halted) {
            return;
        }
        if (!lanes.submit(uid, () -> releaseQuietly(uid, ref))) {
            log.warn("session of {} not removed from Redis (too many operations waiting); its TTL will", uid);
        }
    }

    private void releaseQuietly(String uid, SessionRef ref) {
        try {
            store.releaseIfOwned(uid, ref);
        } catch (RuntimeException e) {
            log.warn("session of {} not removed from Redis ({}); its TTL will", uid, e.toString());
        }
    }
    // end::login[]

    /**
     * Sends {@code message} to {@code uids}, none of whom is on this node; {@code done} runs on {@code executor}. See
     * {@link Forwarder#route}.
     */
    public void route(ChatMessage message, List<String> uids, Executor executor, Consumer<Forwarder.Outcome> done) {
        forwarder.route(message, uids, executor, done);
    }

    // tag::renew[]
    /**
     * One renewal pass; the next comes a third of the TTL later, or after {@link #RENEW_RETRY_MILLIS} when this one
     * failed, so that sessions are back soon after Redis is (a restart that lost the data).
     */
    private void renewPass() {
        long next = renewEveryMillis;
        try {
            renew();
        } catch (RuntimeException e) {
            log.debug("session renewal failed: {}", e.toString());
            next = Math.min(renewEveryMillis, RENEW_RETRY_MILLIS);
        }
        if (!renewal.isShutdown()) {
            renewal.schedule(this::renewPass, next, TimeUnit.MILLISECONDS);
        }
    }

    /** Runs a renewal pass now (the inbox found Redis empty after a restart). */
    void renewSoon() {
        if (!renewal.isShutdown()) {
            renewal.execute(() -> {
                try {
                    renew();
                } catch (RuntimeException e) {
                    log.debug("session renewal failed: {}", e.toString());
                }
            });
        }
    }

    /**
     * Extends every claimed session of this node in one pipelined round trip, and repairs what it finds: a session
     * that now belongs to someone else (a kick that was lost, a claim that came late) closes the local connection; a
     * session that is missing (Redis lost it) is written again on the user's lane, but only if the connection is
     * still here at that moment — a logout that just deleted it is never undone.
     */
    void renew() {
        Map<String, Channel> claimed = new HashMap<>();
        Map<String, SessionRef> refs = new HashMap<>();
        for (String uid : sessions.uids()) {
            Channel channel = sessions.find(uid);
            String sid = channel == null ? null : channel.attr(SessionMap.SESSION_ID).get();
            if (sid != null && Boolean.TRUE.equals(channel.attr(SessionMap.CLAIMED).get())) {
                claimed.put(uid, channel);
                refs.put(uid, new SessionRef(sid, nodeId));
            }
        }
        store.renew(refs).forEach((uid, found) -> {
            Channel channel = claimed.get(uid);
            switch (found) {
                case RENEWED -> { }
                case SOMEONE_ELSES -> {
                    if (sessions.kick(uid, channel, uid + " logged in on another node")) {
                        log.info("{} is owned by another session in Redis; closed its connection here", uid);
                    }
                }
                case MISSING -> lanes.submit(uid, () -> {
                    try {
                        if (sessions.find(uid) == channel && channel.isActive() && store.reassert(uid, refs.get(uid))) {
                            log.info("session of {} re-asserted in Redis (it was lost)", uid);
                        }
                    } catch (RuntimeException e) {
                        log.debug("session of {} not re-asserted: {}", uid, e.toString());
                    }
                });
            }
        });
    }
    // end::renew[]

    public String nodeId() {
        return nodeId;
    }

    public SessionStore sessionStore() {
        return store;
    }

    public InboxConsumer inbox() {
        return inbox;
    }

    /**
     * Simulates a crash: stops every Redis activity at once, without removing this node's sessions (they expire
     * by TTL, as after kill -9). For tests and demos.
     */
    public void halt() {
        halted = true;
        close();
    }

    @Override
    public void close() {
        renewal.shutdownNow();
        inbox.close();
        forwarder.close();
        lanes.close();
        redis.close();
    }
}
