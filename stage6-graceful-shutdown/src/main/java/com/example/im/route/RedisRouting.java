package com.example.im.route;

import com.example.im.protocol.ChatMessage;
import com.example.im.protocol.InboxEntry;
import com.example.im.protocol.Kick;
import com.example.im.server.SessionMap;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import redis.clients.jedis.ConnectionPoolConfig;
import redis.clients.jedis.RedisClient;
import redis.clients.jedis.params.SetParams;

/**
 * Everything a node does with Redis (docs/05-redis-forwarding.md): the distributed session, cross-node routing
 * through the {@link Forwarder}, its own inbox through the {@link InboxConsumer}, and the renewal that keeps its
 * users' sessions alive. Every Redis call runs on a thread of its own here, never on a Netty event loop: a slow or
 * absent Redis must not stop local chat.
 */
public final class RedisRouting implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(RedisRouting.class);

    /**
     * Pool size. In use at once: the inbox consumer (blocked in XREADGROUP most of the time), the forwarder, up to
     * two login/logout workers and the renewal: five. Sixteen leaves room; a caller waits at most 2 s for one.
     */
    static final int POOL_SIZE = 16;

    private final String nodeId;
    private final SessionMap sessions;
    private final RedisClient redis;
    private final SessionStore store;
    private final Forwarder forwarder;
    private final InboxConsumer inbox;
    private final ExecutorService sessionOps;
    private final ScheduledExecutorService renewal;
    private final ExecutorService takeovers;
    private final long sessionTtlMillis;
    private final long undeliverableMillis;
    private final List<InboxConsumer> takenOver = new CopyOnWriteArrayList<>();
    private final Map<String, SessionRef> leftBehind = new ConcurrentHashMap<>();
    private volatile boolean halted;

    /**
     * @param sessionTtlMillis    how long a session outlives its node's last renewal; renewed every third of it
     * @param undeliverableMillis how long an inbox entry waits for a recipient who is not connected anywhere
     */
    public RedisRouting(String redisUri, String nodeId, SessionMap sessions, long sessionTtlMillis,
                        long undeliverableMillis) {
        this.nodeId = nodeId;
        this.sessions = sessions;
        this.sessionTtlMillis = sessionTtlMillis;
        this.undeliverableMillis = undeliverableMillis;
        ConnectionPoolConfig pool = new ConnectionPoolConfig();
        pool.setMaxTotal(POOL_SIZE);
        pool.setMaxIdle(POOL_SIZE);
        pool.setMinIdle(2);
        pool.setMaxWait(Duration.ofSeconds(2));
        this.redis = RedisClient.builder().fromURI(redisUri).poolConfig(pool).build();
        this.store = new SessionStore(redis, sessionTtlMillis);
        this.forwarder = new Forwarder(redis, store);
        this.inbox = new InboxConsumer(redis, nodeId, sessions, store, 256, undeliverableMillis, 1_000);
        this.sessionOps = Executors.newFixedThreadPool(2, r -> daemon(r, "im-sessions"));
        this.renewal = Executors.newSingleThreadScheduledExecutor(r -> daemon(r, "im-renewal"));
        this.takeovers = Executors.newCachedThreadPool(r -> daemon(r, "im-takeover"));
        long every = Math.max(1, sessionTtlMillis / 3);
        renewal.scheduleWithFixedDelay(this::renew, every, every, TimeUnit.MILLISECONDS);
        inbox.start();
    }

    private static Thread daemon(Runnable r, String name) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        return t;
    }

    // tag::login[]
    /**
     * Records the login in Redis; a previous session on another node is told to close (the newest login wins).
     * {@code then} runs afterwards, whether Redis answered or not: local chat works without Redis, and the renewal
     * writes the session as soon as Redis is back.
     */
    public void loggedIn(String uid, SessionRef ref, Runnable then) {
        sessionOps.execute(() -> {
            try {
                SessionRef previous = store.claim(uid, ref);
                if (previous != null && !previous.nodeId().equals(nodeId)) {
                    forwarder.push(previous.nodeId(), InboxEntry.newBuilder().setKick(Kick.newBuilder()
                            .setUid(uid).setSessionId(previous.sessionId())).build());
                }
            } catch (RuntimeException e) {
                log.warn("session of {} not written to Redis ({}); it will be on the next renewal", uid, e.toString());
            } finally {
                then.run();
            }
        });
    }

    /** Removes the session from Redis if it is still this connection's (compare-and-delete). */
    public void loggedOut(String uid, SessionRef ref) {
        if (halted) {
            return;
        }
        sessionOps.execute(() -> {
            try {
                store.releaseIfOwned(uid, ref);
            } catch (RuntimeException e) {
                log.warn("session of {} not removed from Redis ({}); its TTL will", uid, e.toString());
            }
        });
    }
    // end::login[]

    /** Sends {@code message} to {@code uids}, none of whom is on this node; see {@link Forwarder#route}. */
    public void route(ChatMessage message, List<String> uids, Consumer<Forwarder.Outcome> done) {
        forwarder.route(message, uids, done);
    }

    private void renew() {
        Map<String, SessionRef> mine = new HashMap<>();
        for (String uid : sessions.uids()) {
            io.netty.channel.Channel channel = sessions.find(uid);
            String sid = channel == null ? null : channel.attr(SessionMap.SESSION_ID).get();
            if (sid != null) {
                mine.put(uid, new SessionRef(sid, nodeId));
            }
        }
        try {
            store.renew(mine);
        } catch (RuntimeException e) {
            log.debug("session renewal failed: {}", e.toString());
        }
    }

    public String nodeId() {
        return nodeId;
    }

    public SessionStore sessionStore() {
        return store;
    }

    public InboxConsumer inbox() {
        return inbox;
    }

    // tag::drain[]
    /** Step 1 of a graceful shutdown: tell survivors that this node drains its own inbox, for at most {@code ms}. */
    public void markLeaving(long ms) {
        redis.set(RedisKeys.leaving(nodeId), "1", SetParams.setParams().px(ms));
    }

    /**
     * Step 4: with every client gone, the inbox consumer can deliver nothing locally; it forwards each entry to the
     * node its user has moved to, and keeps what waits for a user who has not logged in again yet. Returns true when
     * the inbox is empty, false when {@code deadlineMillis} came first (a survivor takes the rest over).
     */
    public boolean drain(long deadlineMillis) throws InterruptedException {
        inbox.stopWhenEmptyAfter(Long.MAX_VALUE, 100);
        while (System.currentTimeMillis() < deadlineMillis) {
            if (inbox.isIdle()) {
                return true;
            }
            Thread.sleep(50); // polling a flag of our own consumer thread, bounded by the deadline
        }
        return false;
    }

    /** During a shutdown: remember a session to remove in step 5 (if it is still this node's by then). */
    public void releaseLater(String uid, SessionRef ref) {
        leftBehind.put(uid, ref);
    }

    /** Step 5: compare-and-delete what the departed clients left, and wait for every removal to have run. */
    public int removeSessions(long deadlineMillis) throws InterruptedException {
        int count = leftBehind.size();
        leftBehind.forEach(this::loggedOut);
        leftBehind.clear();
        sessionOps.shutdown();
        sessionOps.awaitTermination(Math.max(0, deadlineMillis - System.currentTimeMillis()), TimeUnit.MILLISECONDS);
        return count;
    }

    /** End of step 6: survivors may take over whatever is left. */
    public void doneLeaving() {
        redis.del(RedisKeys.leaving(nodeId));
    }
    // end::drain[]

    // tag::takeover[]
    /**
     * Another node left the cluster (its znode is gone). Exactly one survivor — whoever wins SET NX on
     * {@code im:takeover:{node}} — consumes that node's inbox: first the entries it had read but not finished
     * (XAUTOCLAIM), then everything still arriving until the departed node's sessions have expired and the inbox is
     * empty. A node that is leaving gracefully drains its inbox itself; the takeover waits for it to finish.
     */
    public void nodeLeft(String departed) {
        if (departed.equals(nodeId) || halted) {
            return;
        }
        takeovers.execute(() -> {
            try {
                long waitUntil = System.currentTimeMillis() + 60_000;
                while (redis.exists(RedisKeys.leaving(departed)) && System.currentTimeMillis() < waitUntil) {
                    Thread.sleep(100); // the departed node is still draining its own inbox
                }
                long lease = sessionTtlMillis + undeliverableMillis + 10_000;
                String won = redis.set(RedisKeys.takeover(departed), nodeId,
                        SetParams.setParams().nx().px(lease));
                if (!"OK".equals(won)) {
                    return; // another survivor has it
                }
                log.info("taking over the inbox of departed node {}", departed);
                InboxConsumer consumer = new InboxConsumer(redis, nodeId, departed, sessions, store, 256,
                        undeliverableMillis, 1_000);
                // New pushes stop once the departed node's sessions have expired; then drain and stop.
                consumer.stopWhenEmptyAfter(System.currentTimeMillis() + sessionTtlMillis + 1_000, 500);
                takenOver.add(consumer);
                consumer.start();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (RuntimeException e) {
                log.warn("takeover of {} failed: {}", departed, e.toString());
            }
        });
    }
    // end::takeover[]

    /** The takeover consumers this node started (tests). */
    public List<InboxConsumer> takeovers() {
        return List.copyOf(takenOver);
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
        takeovers.shutdownNow();
        takenOver.forEach(InboxConsumer::close);
        inbox.close();
        forwarder.close();
        sessionOps.shutdown();
        try {
            sessionOps.awaitTermination(2, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        redis.close();
    }
}
