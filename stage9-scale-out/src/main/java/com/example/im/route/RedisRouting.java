package com.example.im.route;

import com.example.im.metrics.NodeMetrics;
import com.example.im.protocol.ChatMessage;
import com.example.im.protocol.InboxEntry;
import com.example.im.protocol.Kick;
import com.example.im.server.SessionMap;
import com.example.im.registry.NodeDirectory;
import io.netty.channel.Channel;
import java.util.Set;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.Executor;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import redis.clients.jedis.ConnectionPoolConfig;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.UnifiedJedis;
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
     * Pool size. In use at once: the inbox consumer (blocked in XREADGROUP most of the time), the forwarder, the
     * session lanes, the renewal, the sweep and a takeover or two. Sixteen leaves room; a caller waits at most 2 s.
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
    private final UnifiedJedis redis;
    private final boolean cluster;
    private final SessionStore store;
    private final MailboxStore mailboxes;
    private final Pusher pusher;
    private final Forwarder forwarder;
    private final InboxConsumer inbox;
    private final SessionLanes lanes = new SessionLanes(LANES, LANE_CAPACITY);
    private final ScheduledExecutorService renewal;
    private final ExecutorService takeovers;
    private final long renewEveryMillis;
    private final Set<String> adopting = ConcurrentHashMap.newKeySet();
    private volatile NodeDirectory directory;
    private volatile boolean leaving;
    private final long sessionTtlMillis;
    private final long undeliverableMillis;
    private final List<InboxConsumer> takenOver = new CopyOnWriteArrayList<>();
    private final Map<String, SessionRef> leftBehind = new ConcurrentHashMap<>();
    private volatile boolean halted;
    private final NodeMetrics metrics;
    private final AtomicReference<CompletableFuture<Void>> probing = new AtomicReference<>();

    /**
     * @param sessionTtlMillis    how long a session outlives its node's last renewal; renewed every third of it
     * @param undeliverableMillis how long an inbox entry waits for a recipient who is not connected anywhere
     */
    public RedisRouting(String redisUri, String nodeId, SessionMap sessions, long sessionTtlMillis,
                        long undeliverableMillis) {
        this(redisUri, nodeId, sessions, sessionTtlMillis, undeliverableMillis, DeliverySettings.defaults());
    }

    /**
     * Stage 7's reliable delivery: how long mailboxes keep messages, how many a connection may have unacknowledged,
     * when an unacknowledged push is sent again, how often mailboxes are compared with what was pushed.
     */
    public record DeliverySettings(MailboxStore.Retention retention, int window, long resendMillis, long compareMillis,
                                   int waitReplicas, long waitMillis) {

        /** The longest WAIT: below the 2 s Redis reply timeout, with room for the round trip. */
        public static final long MAX_WAIT_MILLIS = 1_500;

        /** {@link #waitReplicas} that means "1 on a Redis Cluster, 0 on one server". */
        public static final int AUTO = -1;

        public DeliverySettings {
            if (waitReplicas < AUTO || waitMillis < 1 || waitMillis > MAX_WAIT_MILLIS) {
                // The upper bound: a WAIT is a reply like any other, and a reply slower than the 2 s socket timeout
                // is a broken connection, not a refusal.
                throw new IllegalArgumentException("--redis-wait-replicas must be 0 or more (or auto) and"
                        + " --redis-wait-ms 1.." + MAX_WAIT_MILLIS + ", got " + waitReplicas + " and " + waitMillis);
            }
        }

        /** Stage 7's settings; WAIT as {@link #AUTO} decides. */
        public DeliverySettings(MailboxStore.Retention retention, int window, long resendMillis, long compareMillis) {
            this(retention, window, resendMillis, compareMillis, AUTO, 1_000);
        }

        public static DeliverySettings defaults() {
            return new DeliverySettings(new MailboxStore.Retention(10_000, 7L * 24 * 3_600_000), 256, 5_000, 5_000);
        }

        /**
         * Stage 9: a stored message is acknowledged only once {@code replicas} replicas have it (WAIT), within
         * {@code millis}; else the send fails and the client sends it again (docs/09-scale-out.md, "Failover
         * windows").
         */
        public DeliverySettings withWait(int replicas, long millis) {
            return new DeliverySettings(retention, window, resendMillis, compareMillis, replicas, millis);
        }

        /** The replicas to wait for, with {@link #AUTO} resolved for a cluster or a single server. */
        public int replicasToWait(boolean cluster) {
            return waitReplicas == AUTO ? (cluster ? 1 : 0) : waitReplicas;
        }
    }

    public RedisRouting(String redisUri, String nodeId, SessionMap sessions, long sessionTtlMillis,
                        long undeliverableMillis, DeliverySettings delivery) {
        this(redisUri, nodeId, sessions, sessionTtlMillis, undeliverableMillis, delivery, NodeMetrics.unscraped());
    }

    /** Stage 8: counts Redis errors and takeovers in {@code metrics} (docs/08-web-edge.md, "Metrics"). */
    public RedisRouting(String redisUri, String nodeId, SessionMap sessions, long sessionTtlMillis,
                        long undeliverableMillis, DeliverySettings delivery, NodeMetrics metrics) {
        this.metrics = metrics;
        this.nodeId = nodeId;
        this.sessions = sessions;
        this.sessionTtlMillis = sessionTtlMillis;
        this.undeliverableMillis = undeliverableMillis;
        ConnectionPoolConfig pool = new ConnectionPoolConfig();
        pool.setMaxTotal(POOL_SIZE);
        pool.setMaxIdle(POOL_SIZE);
        pool.setMinIdle(2);
        pool.setMaxWait(Duration.ofSeconds(2));
        // Every call is bounded: 2 s for a reply, and for the inbox's blocking read its 500 ms block plus 2 s — a
        // Redis that stops answering (paused, a network blackhole) must not hang a thread forever.
        // Stage 9: one server or a Redis Cluster, as the seeds of redisUri say (RedisClients); the same checks.
        RedisClients.Opened opened = RedisClients.open(redisUri, DefaultJedisClientConfig.builder()
                .connectionTimeoutMillis(2_000).socketTimeoutMillis(2_000).blockingSocketTimeoutMillis(2_500).build(),
                pool);
        this.redis = opened.redis();
        this.cluster = opened.cluster();
        log.info("node {} uses {}", nodeId, opened.description());
        this.store = new SessionStore(redis, sessionTtlMillis);
        this.mailboxes = new MailboxStore(redis, delivery.retention())
                .replicatedReads(delivery.replicasToWait(cluster), delivery.waitMillis());
        this.pusher = new Pusher(mailboxes, sessions, delivery.window(), delivery.resendMillis(),
                delivery.compareMillis());
        this.forwarder = new Forwarder(redis, store, Forwarder.DEFAULT_CAPACITY, mailboxes, nodeId)
                .waitForReplicas(delivery.replicasToWait(cluster), delivery.waitMillis(), opened.serverOf());
        this.inbox = new InboxConsumer(redis, nodeId, sessions, store, 256, undeliverableMillis, 1_000);
        inbox.onNotify(pusher::poke);
        this.renewal = Executors.newSingleThreadScheduledExecutor(r -> daemon(r, "im-renewal"));
        this.takeovers = Executors.newCachedThreadPool(r -> daemon(r, "im-takeover"));
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
                metrics.redisError();
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

    // tag::store[]
    /**
     * Stage 7: stores {@code message} in every recipient's mailbox, then pushes it to the recipients connected here;
     * the nodes of the others were notified. {@code done} runs on {@code executor}: the sender's acknowledgement.
     */
    public void store(ChatMessage message, List<String> uids, Executor executor, Consumer<Forwarder.Stored> done) {
        forwarder.store(message, uids, executor, stored -> {
            if (stored.failure() != null) {
                metrics.redisError();
            }
            List<String> here = stored.owners().entrySet().stream().filter(e -> e.getValue().equals(nodeId))
                    .map(Map.Entry::getKey).filter(stored.seqs()::containsKey).toList();
            pusher.poke(here);
            done.accept(stored);
        });
    }
    // end::store[]

    public Pusher pusher() {
        return pusher;
    }

    public MailboxStore mailboxes() {
        return mailboxes;
    }

    /**
     * Sends {@code message} to {@code uids}, none of whom is on this node; {@code done} runs on {@code executor}. See
     * {@link Forwarder#route}.
     */
    public void route(ChatMessage message, List<String> uids, Executor executor, Consumer<Forwarder.Outcome> done) {
        forwarder.route(message, uids, executor, outcome -> {
            if (outcome.failure() != null) {
                metrics.redisError();
            }
            done.accept(outcome);
        });
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
            metrics.redisError();
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

    // tag::drain[]
    /** Step 1 of a graceful shutdown: tell survivors that this node drains its own inbox, for at most {@code ms}. */
    public void markLeaving(long ms) {
        leaving = true;
        // A little longer than the shutdown may take: it must not expire while this node's consumer still reads.
        redis.set(RedisKeys.leaving(nodeId), "1", SetParams.setParams().px(ms + 5_000));
    }

    /**
     * Step 4: with every client gone, the inbox consumer can deliver nothing locally; it forwards each entry to the
     * node its user has moved to, and keeps what waits for a user who has not logged in again yet. Returns true when
     * the inbox is empty and every departed user's session names another node, false when {@code deadlineMillis}
     * came first (a survivor takes the rest over; step 5 removes the sessions still here).
     */
    public boolean drain(long deadlineMillis) throws InterruptedException {
        inbox.stopWhenEmptyAfter(Long.MAX_VALUE, 100);
        // An idle flag from a pass that began before the delivery gate closed says nothing about now: wait for a
        // pass that began after this call.
        long after = inbox.passes() + 1;
        while (System.currentTimeMillis() < deadlineMillis) {
            if (inbox.isIdle() && inbox.passes() > after && everyoneMoved()) {
                return true;
            }
            Thread.sleep(50); // polling our own consumer's flag and one MGET, bounded by the deadline
        }
        return false;
    }

    /**
     * True when no user who was connected here still has a session naming this node: they have all logged in
     * elsewhere. Until then their messages still come here, and the drain forwards them; deleting their sessions now
     * would make senders see them OFFLINE while they reconnect.
     */
    private boolean everyoneMoved() {
        if (leftBehind.isEmpty()) {
            return true;
        }
        try {
            Map<String, SessionRef> now = store.lookup(leftBehind.keySet());
            return leftBehind.entrySet().stream().noneMatch(e -> e.getValue().equals(now.get(e.getKey())));
        } catch (RuntimeException e) {
            return false;
        }
    }

    /** During a shutdown: remember a session to remove in step 5 (if it is still this node's by then). */
    public void releaseLater(String uid, SessionRef ref) {
        leftBehind.put(uid, ref);
    }

    /** Step 5: compare-and-delete what the departed clients left, and wait (bounded) for every removal to have run. */
    public int removeSessions(long deadlineMillis) throws InterruptedException {
        int count = leftBehind.size();
        leftBehind.forEach(this::loggedOut);
        leftBehind.clear();
        lanes.finish(deadlineMillis);
        return count;
    }
    // end::drain[]

    // tag::takeover[]
    /**
     * Another node left the cluster (its znode is gone). Exactly one survivor — whoever wins SET NX on
     * {@code im:takeover:{node}} — consumes that node's inbox: first the entries it had read but not finished
     * (XAUTOCLAIM, once they have been idle for a while), then everything still arriving until the departed node's
     * sessions have expired and the inbox is empty. A node that is leaving gracefully drains its inbox itself; the
     * takeover waits for it to finish. A node that comes back (its znode expired during a GC pause and was created
     * again; a restart under the same id) is never taken over, and a takeover under way hands everything back.
     */
    public void nodeLeft(String departed) {
        if (!halted) {
            takeovers.execute(() -> adopt(departed, "left ZooKeeper"));
        }
    }

    private void adopt(String departed, String why) {
        if (departed.equals(nodeId) || halted || !adopting.add(departed)) {
            return; // ours, or a takeover of it is already running here
        }
        boolean started = false;
        try {
            long waitUntil = System.currentTimeMillis() + 60_000;
            while (redis.exists(RedisKeys.leaving(departed)) && System.currentTimeMillis() < waitUntil) {
                Thread.sleep(100); // the departed node is still draining its own inbox
            }
            InboxConsumer.Presence now = presence(departed);
            if (now != InboxConsumer.Presence.GONE) {
                log.info("no takeover of {}: {}", departed, now == InboxConsumer.Presence.REGISTERED
                        ? "it is registered in ZooKeeper again" : "this node cannot see ZooKeeper right now");
                return; // (if it is gone after all, the sweep comes back to it)
            }
            long lease = sessionTtlMillis + undeliverableMillis + 10_000;
            String won = redis.set(RedisKeys.takeover(departed), nodeId, SetParams.setParams().nx().px(lease));
            if (!"OK".equals(won)) {
                return; // another survivor has it
            }
            log.info("taking over the inbox of departed node {} ({})", departed, why);
            InboxConsumer consumer = new InboxConsumer(redis, nodeId, departed, sessions, store, 256,
                    undeliverableMillis, 500, this::presence);
            // New pushes stop once the departed node's sessions have expired; then drain and stop.
            consumer.stopWhenEmptyAfter(System.currentTimeMillis() + sessionTtlMillis + 1_000, 500);
            consumer.whenStopped(() -> {
                adopting.remove(departed);
                releaseLease(departed);
            });
            takenOver.add(consumer);
            consumer.start();
            started = true;
            metrics.takeover(departed);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            log.warn("takeover of {} failed: {}", departed, e.toString());
            metrics.redisError();
        } finally {
            if (!started) {
                adopting.remove(departed);
            }
        }
    }

    /**
     * Starts watching the registered nodes: takeovers ask it whether a node is back, and a periodic sweep adopts
     * inboxes that no live node consumes — the owner died while no other node was up, or the survivor that took it
     * over died in turn (its lease then expires). A missed znode event can never leave an inbox unread for good.
     */
    public void watch(NodeDirectory nodes, long sweepEveryMillis) {
        this.directory = nodes;
        renewal.scheduleWithFixedDelay(() -> takeovers.execute(this::sweep), sweepEveryMillis, sweepEveryMillis,
                TimeUnit.MILLISECONDS);
    }

    /** Whether {@code node} is registered in ZooKeeper now; UNKNOWN without a current view of ZooKeeper. */
    InboxConsumer.Presence presence(String node) {
        NodeDirectory nodes = directory;
        if (nodes == null || !nodes.isCurrent()) {
            return InboxConsumer.Presence.UNKNOWN;
        }
        return nodes.contains(node) ? InboxConsumer.Presence.REGISTERED : InboxConsumer.Presence.GONE;
    }

    private void sweep() {
        if (halted || leaving || directory == null || !directory.isCurrent()) {
            return;
        }
        try {
            for (String owner : redis.smembers(RedisKeys.INBOXES)) {
                if (owner.equals(nodeId) || adopting.contains(owner)
                        || presence(owner) != InboxConsumer.Presence.GONE) {
                    continue;
                }
                if (!InboxConsumer.forget(redis, owner)) {
                    adopt(owner, "its inbox had no consumer");
                }
            }
            for (String owner : adopting) {
                redis.eval(EXTEND_IF_OURS, List.of(RedisKeys.takeover(owner)),
                        List.of(nodeId, Long.toString(sessionTtlMillis + undeliverableMillis + 10_000)));
            }
        } catch (RuntimeException e) {
            log.debug("inbox sweep failed: {}", e.toString());
            metrics.redisError();
        }
    }

    static final String EXTEND_IF_OURS = """
            if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
            return 0""";

    private void releaseLease(String departed) {
        try {
            redis.eval(SessionStore.RELEASE_IF_OWNED, List.of(RedisKeys.takeover(departed)), List.of(nodeId));
        } catch (RuntimeException e) {
            log.debug("takeover lease of {} not released ({}); it expires", departed, e.toString());
        }
    }
    // end::takeover[]

    /**
     * Stage 8: entries of this node's inbox not finished yet — not yet read by its consumer group (XINFO GROUPS
     * "lag", Redis 7) plus read and not acknowledged ("pending"). One call; the metrics sample it every few seconds.
     * 0 when the inbox does not exist (nothing was ever sent here, or it was drained and deleted).
     */
    public long inboxLag() {
        String key = RedisKeys.inbox(nodeId);
        try {
            if (!redis.exists(key)) {
                return 0;
            }
            for (var group : redis.xinfoGroups(key)) {
                if (group.getName().equals(RedisKeys.GROUP)) {
                    Object lag = group.getGroupInfo().get("lag");
                    return group.getPending() + (lag instanceof Number n ? n.longValue() : 0);
                }
            }
            return 0;
        } catch (RuntimeException e) {
            metrics.redisError();
            throw e;
        }
    }

    /**
     * Stage 9: one bounded Redis round trip, off the caller's thread, for {@code /health}: it completes normally when
     * Redis (the server of this node's own keys' slot, on a cluster) answered, exceptionally when not.
     */
    public CompletableFuture<Void> probe() {
        // Requests that come while a probe runs share it: a flood of /health requests costs one round trip at a
        // time, not a thread each.
        CompletableFuture<Void> running = probing.get();
        if (running != null && !running.isDone()) {
            return running;
        }
        CompletableFuture<Void> probe = new CompletableFuture<>();
        if (!probing.compareAndSet(running, probe)) {
            return probing.get();
        }
        try {
            takeovers.execute(() -> {
                try {
                    redis.exists(RedisKeys.leaving(nodeId));
                    probe.complete(null);
                } catch (RuntimeException e) {
                    probe.completeExceptionally(e);
                }
            });
        } catch (RuntimeException e) { // shut down
            probe.completeExceptionally(e);
        }
        return probe.orTimeout(3, TimeUnit.SECONDS);
    }

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

    /**
     * Stops every consumer, then (after a graceful shutdown) lets survivors take over whatever is left: the leaving
     * marker goes only once this node's own consumer has stopped, so no entry is read by both. Bounded by
     * {@code deadlineMillis}: with Redis stalled, the consumers' blocked reads end by their socket timeout, and what
     * cannot be done in time is left to expire (the marker) or to the survivors (the inbox).
     */
    public void close(long deadlineMillis) {
        renewal.shutdownNow();
        takeovers.shutdownNow();
        List<InboxConsumer> consumers = new ArrayList<>(takenOver);
        consumers.add(inbox);
        consumers.forEach(InboxConsumer::stop); // all at once: each may be blocked in a read for a while
        forwarder.close(deadlineMillis);
        pusher.close();
        try {
            lanes.finish(deadlineMillis);
            for (InboxConsumer consumer : consumers) {
                consumer.awaitStop(deadlineMillis);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        lanes.abort();
        boolean consumersStopped = consumers.stream().allMatch(InboxConsumer::isStopped);
        if (leaving && !halted && consumersStopped && System.currentTimeMillis() < deadlineMillis) {
            try {
                // An inbox drained to the end is deleted (with its consumer group): nobody has to adopt it.
                InboxConsumer.deleteIfConsumed(redis, nodeId);
                redis.del(RedisKeys.leaving(nodeId));
            } catch (RuntimeException e) {
                log.warn("could not clear the leaving marker of {} ({}); survivors wait for it to expire", nodeId,
                        e.toString());
            }
        }
        redis.close();
    }

    @Override
    public void close() {
        close(System.currentTimeMillis() + 5_000);
    }
}
