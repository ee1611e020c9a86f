package com.example.im.route;

import com.example.im.protocol.ChatMessage;
import com.example.im.protocol.Delivery;
import com.example.im.protocol.InboxEntry;
import com.example.im.protocol.Notify;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.IntFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import redis.clients.jedis.AbstractPipeline;
import redis.clients.jedis.Response;
import redis.clients.jedis.UnifiedJedis;
import redis.clients.jedis.exceptions.JedisConnectionException;
import redis.clients.jedis.exceptions.JedisDataException;
import redis.clients.jedis.exceptions.JedisException;
import redis.clients.jedis.params.XAddParams;
import redis.clients.jedis.util.JedisClusterCRC16;

/**
 * Carries messages to users on other nodes, in batches (docs/05-redis-forwarding.md, "Batching the Redis hop").
 * Event-loop threads hand it requests and go on; its own thread takes everything queued, looks up all the recipients'
 * sessions in one MGET, and pushes one inbox entry per target node (not per recipient) in one pipelined round trip.
 * Under load a batch holds hundreds of messages, so the Redis hop costs two round trips per batch, not per message.
 *
 * <p>Every reply of the pipeline is read: Redis answers an XADD it refuses ({@code -OOM}, {@code -READONLY},
 * {@code WRONGTYPE}) with an error reply, not a broken connection, and a message whose XADD was refused must not be
 * reported as sent. The queue is bounded: when Redis stalls, new requests fail at once instead of piling up in memory.
 */
public final class Forwarder implements AutoCloseable {

    /**
     * What became of a routed message: {@code queued} users were pushed to their node's inbox, {@code offline} have
     * no session anywhere. {@code failure} is set when some recipients were neither: Redis could not be reached or
     * refused an inbox write, or the forwarder queue was full. Then {@code queued} still names those whose inbox write
     * succeeded (a group message can be partly queued), and nobody else was queued.
     */
    public record Outcome(Set<String> queued, Set<String> offline, RuntimeException failure) {
    }

    /**
     * Stage 7: what became of a stored message. {@code msgId} is the message's id: the one it got the first time when
     * this is a retry of the same client_msg_id. {@code seqs}: each recipient whose mailbox holds it, with its seq
     * there. {@code owners}: the node each recipient is connected to (absent: offline, the message waits in the
     * mailbox). {@code failure}: some recipient's append was refused or Redis could not be reached; the sender must
     * not be told the message was stored, and may retry with the same client_msg_id.
     */
    public record Stored(String msgId, Map<String, Long> seqs, Map<String, String> owners,
                         RuntimeException failure) {
    }

    private sealed interface Request {
    }

    private record Store(ChatMessage message, List<String> uids, Executor executor, Consumer<Stored> done)
            implements Request {
    }

    private record Route(ChatMessage message, List<String> uids, Executor executor, Consumer<Outcome> done)
            implements Request {
    }

    private record Push(String nodeId, InboxEntry entry) implements Request {
    }

    static final int MAX_BATCH = 512;

    /**
     * Default queue capacity: sixteen full batches. A healthy Redis empties that in sixteen times two round trips
     * (tens of milliseconds on a LAN), so a full queue means Redis has stalled, not that traffic peaked, and waiting
     * longer would only make the senders wait longer for the same error. Memory: a chat message of a few hundred
     * bytes makes it a few MB; the hard ceiling is capacity times the largest frame (64 KiB by default).
     */
    public static final int DEFAULT_CAPACITY = 16 * MAX_BATCH;
    private static final Logger log = LoggerFactory.getLogger(Forwarder.class);

    private final UnifiedJedis redis;
    private final SessionStore sessions;
    private final MailboxStore mailboxes;
    private final String nodeId;
    private final BlockingQueue<Request> queue;
    private final int capacity;
    private final Thread thread;
    private volatile boolean running = true;
    private volatile long lastFailureLog;
    private volatile int waitReplicas;
    private volatile long waitMillis = 1_000;
    private volatile IntFunction<Object> serverOf = slot -> slot;

    public Forwarder(UnifiedJedis redis, SessionStore sessions) {
        this(redis, sessions, DEFAULT_CAPACITY);
    }

    /** @param capacity most requests waiting for the forwarder thread; more are refused at once */
    public Forwarder(UnifiedJedis redis, SessionStore sessions, int capacity) {
        this(redis, sessions, capacity, null, null);
    }

    /**
     * Stage 7: a forwarder that can also {@link #store} messages in the recipients' mailboxes; {@code nodeId} is this
     * node, whose own users are not notified through Redis (the caller pokes them directly).
     */
    public Forwarder(UnifiedJedis redis, SessionStore sessions, int capacity, MailboxStore mailboxes,
                     String nodeId) {
        if (capacity < 1) {
            throw new IllegalArgumentException("capacity must be at least 1, got " + capacity);
        }
        this.redis = redis;
        this.sessions = sessions;
        this.mailboxes = mailboxes;
        this.nodeId = nodeId;
        this.capacity = capacity;
        this.queue = new LinkedBlockingQueue<>(capacity);
        this.thread = new Thread(this::run, "im-forwarder");
        thread.setDaemon(true);
        thread.start();
    }

    // tag::bounded[]
    /**
     * Routes {@code message} to {@code uids} (none of them on this node); {@code done} runs on {@code executor} (the
     * sender's event loop), with a failure at once when the queue is full. The outcomes of one batch that go to the
     * same executor are handed over as one task: one wake-up of an event loop per batch, not one per message.
     */
    public void route(ChatMessage message, List<String> uids, Executor executor, Consumer<Outcome> done) {
        Route route = new Route(message, List.copyOf(uids), Objects.requireNonNull(executor, "executor"), done);
        if (!queue.offer(route)) {
            // Redis is not keeping up (stalled, or every call waits out the client timeout). Say so now: the
            // sender learns it in microseconds instead of after the whole backlog timed out, and memory stays put.
            Completions completions = new Completions();
            completions.add(route, new Outcome(Set.of(), Set.of(),
                    new RejectedExecutionException("forwarder queue full (" + capacity + " requests waiting)")));
            completions.run();
        }
    }

    // tag::store[]
    /**
     * Stage 7: stores {@code message} in the mailbox of every one of {@code uids} and notifies the nodes they are
     * connected to; {@code done} runs on {@code executor} once every append has an answer. Idempotent per
     * client_msg_id: a retry is stored nowhere twice and gets the first msg_id back.
     */
    public void store(ChatMessage message, List<String> uids, Executor executor, Consumer<Stored> done) {
        if (mailboxes == null) {
            throw new IllegalStateException("this forwarder has no mailboxes");
        }
        Store store = new Store(message, List.copyOf(uids), Objects.requireNonNull(executor, "executor"), done);
        if (!queue.offer(store)) {
            complete(store, new Stored(message.getMsgId(), Map.of(), Map.of(),
                    new RejectedExecutionException("forwarder queue full (" + capacity + " requests waiting)")));
        }
    }
    // end::store[]

    // tag::wait[]
    /**
     * Stage 9: a store is answered only once {@code replicas} replicas of every Redis server it wrote to have the
     * writes (WAIT in the same pipeline, on the same connection, right after them), within {@code millis}. With
     * asynchronous replication a master that dies takes its last writes with it; a message acknowledged to its sender
     * must not be among them (docs/09-scale-out.md, "Failover windows"). 0: no WAIT (one Redis, as in stage 8).
     */
    public Forwarder waitForReplicas(int replicas, long millis) {
        if (replicas < 0 || millis < 1) {
            throw new IllegalArgumentException("replicas >= 0 and millis >= 1, got " + replicas + ", " + millis);
        }
        this.waitReplicas = replicas;
        this.waitMillis = millis;
        return this;
    }

    /**
     * The same, with the server of each hash slot ({@link RedisClients.Opened#serverOf}: the cluster client's slot
     * map, read without a round trip), so that a batch sends one WAIT per server instead of one per slot.
     */
    public Forwarder waitForReplicas(int replicas, long millis, IntFunction<Object> serverOfSlot) {
        this.serverOf = Objects.requireNonNull(serverOfSlot, "serverOfSlot");
        return waitForReplicas(replicas, millis);
    }

    /**
     * Queues one WAIT per Redis server written in {@code pipeline}, after all the writes (a cluster pipeline sends
     * each to its server, behind that server's writes on the same connection); the map gives each written slot the
     * WAIT that covers it. Empty when no WAIT is asked for. One per server, not per slot: on a master left without a
     * replica every WAIT waits its whole timeout, one after the other, and the forwarder thread with them.
     */
    private Map<Integer, Response<Long>> waitFor(AbstractPipeline pipeline, Collection<String> keys) {
        Map<Integer, Response<Long>> waits = new HashMap<>();
        int replicas = waitReplicas;
        if (replicas > 0) {
            Map<Object, Response<Long>> byServer = new HashMap<>();
            for (String key : keys) {
                int slot = JedisClusterCRC16.getSlot(key);
                if (!waits.containsKey(slot)) {
                    waits.put(slot, byServer.computeIfAbsent(serverOf.apply(slot), server -> pipeline.waitReplicas(key,
                            replicas, waitMillis)));
                }
            }
        }
        return waits;
    }

    /** The error for {@code key} when its slot's WAIT saw fewer replicas than asked for (or failed); null when not. */
    private RuntimeException notReplicated(Map<Integer, Response<Long>> waits, String key) {
        Response<Long> wait = waits.get(JedisClusterCRC16.getSlot(key));
        if (wait == null) {
            return null;
        }
        try {
            long acked = wait.get();
            return acked >= waitReplicas ? null : new JedisDataException("NOREPLICA " + key + " reached " + acked
                    + " of " + waitReplicas + " replica(s) within " + waitMillis + " ms; not acknowledged");
        } catch (JedisException | IllegalStateException e) {
            return e;
        }
    }
    // end::wait[]

    private static void complete(Store store, Stored stored) {
        try {
            store.executor().execute(() -> store.done().accept(stored));
        } catch (RuntimeException e) {
            log.debug("a store outcome not delivered: {}", e.toString());
        }
    }

    /** The same, with {@code done} run on the forwarder thread (or the caller's, when the queue is full). */
    public void route(ChatMessage message, List<String> uids, Consumer<Outcome> done) {
        route(message, uids, Runnable::run, done);
    }

    /**
     * Pushes {@code entry} to the inbox of {@code nodeId}, best effort (kicks). Returns false, and logs, when the queue
     * is full and the entry was dropped; a failed write is logged by the forwarder thread.
     */
    public boolean push(String nodeId, InboxEntry entry) {
        if (queue.offer(new Push(nodeId, entry))) {
            return true;
        }
        log.warn("forwarder queue full ({} requests waiting): dropped {} for node {}", capacity, describe(entry),
                nodeId);
        return false;
    }
    // end::bounded[]

    private void run() {
        List<Request> batch = new ArrayList<>(MAX_BATCH);
        while (running) {
            try {
                Request first = queue.poll(200, TimeUnit.MILLISECONDS);
                if (first == null) {
                    continue;
                }
                batch.add(first);
                queue.drainTo(batch, MAX_BATCH - 1);
                forward(batch);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            } catch (RuntimeException e) {
                if (e instanceof JedisConnectionException) {
                    // A timeout or a broken connection: what queued up meanwhile would wait out the same timeout,
                    // batch after batch. Fail it with this batch, so no sender waits more than about two timeouts.
                    queue.drainTo(batch);
                }
                fail(batch, e);
            } finally {
                batch.clear();
            }
        }
    }

    // tag::forward[]
    private void forward(List<Request> batch) {
        List<Store> stores = new ArrayList<>();
        List<Request> others = new ArrayList<>();
        for (Request r : batch) {
            if (r instanceof Store store) {
                stores.add(store);
            } else {
                others.add(r);
            }
        }
        if (!stores.isEmpty()) {
            storeAll(stores);
        }
        if (!others.isEmpty()) {
            forwardRoutes(others);
        }
    }

    private void forwardRoutes(List<Request> batch) {
        // Round trip 1: where is everybody? One MGET for every recipient of every message in the batch. A read: it
        // fails only when Redis cannot serve at all (down, timeout, -LOADING, -BUSY, -NOAUTH): then run() fails the
        // whole batch.
        Set<String> uids = new LinkedHashSet<>();
        batch.forEach(r -> {
            if (r instanceof Route route) {
                uids.addAll(route.uids());
            }
        });
        Map<String, SessionRef> owners = sessions.lookup(uids);

        // Round trip 2: one XADD per (message, target node), all pipelined. Each XADD's reply is kept: Redis may
        // refuse one write and accept the next (WRONGTYPE on one inbox, -OOM once memory is full).
        List<Written> written = new ArrayList<>(batch.size());
        try (AbstractPipeline pipeline = redis.pipelined()) {
            for (Request request : batch) {
                Map<String, List<String>> byNode = new LinkedHashMap<>();
                Set<String> offline = new LinkedHashSet<>();
                List<Sent> sent = new ArrayList<>();
                if (request instanceof Push push) {
                    sent.add(new Sent(List.of(), xadd(pipeline, push.nodeId(), push.entry())));
                } else if (request instanceof Route route) {
                    for (String uid : route.uids()) {
                        SessionRef owner = owners.get(uid);
                        if (owner == null) {
                            offline.add(uid);
                        } else {
                            byNode.computeIfAbsent(owner.nodeId(), n -> new ArrayList<>()).add(uid);
                        }
                    }
                    byNode.forEach((nodeId, members) -> sent.add(new Sent(members, xadd(pipeline, nodeId,
                            InboxEntry.newBuilder()
                                    .setDelivery(Delivery.newBuilder().setMessage(route.message())
                                            .addAllToUids(members))
                                    // No first_queued_at: the consumer dates the entry by its stream id, on Redis'
                                    // clock, instead of trusting this node's clock.
                                    .build()))));
                }
                written.add(new Written(request, sent, offline));
            }
            pipeline.sync();
        }

        // Only the users whose XADD Redis accepted count as queued.
        Completions completions = new Completions();
        int refused = 0;
        JedisException firstError = null;
        for (Written w : written) {
            Set<String> queued = new LinkedHashSet<>();
            JedisException error = null;
            for (Sent sent : w.sent()) {
                try {
                    sent.reply().check(); // throws the error reply, if that is what came back
                    queued.addAll(sent.members());
                } catch (JedisException e) {
                    refused++;
                    error = e;
                    firstError = firstError == null ? e : firstError;
                }
            }
            if (w.request() instanceof Route route) {
                completions.add(route, new Outcome(queued, w.offline(), error));
            } else if (error != null) {
                Push push = (Push) w.request();
                log.warn("{} for node {} not queued: {}", describe(push.entry()), push.nodeId(), error.getMessage());
            }
        }
        completions.run();
        if (firstError != null) {
            warn("Redis refused {} of the inbox writes for {} request(s): {}", refused, batch.size(),
                    firstError.getMessage());
        }
    }
    // end::forward[]

    // tag::store-all[]
    /**
     * Stage 7, a batch of stores in three round trips whatever its size: the msg_ids of retried client_msg_ids; where
     * every recipient is (MGET); then every append (one script per recipient for all the batch's messages to them,
     * each atomic with its idempotency record) and
     * one notification per target node, pipelined. A notification Redis refuses is not an error: the message is
     * stored, and the target node's comparison pass finds it.
     */
    private void storeAll(List<Store> stores) {
        // Round trip 1: a retry gets the msg_id its first attempt got.
        List<ChatMessage> messages = new ArrayList<>(stores.size());
        List<Response<String>> claims = new ArrayList<>(stores.size());
        Map<Integer, Response<Long>> claimWaits = Map.of();
        boolean anyClaim = stores.stream().anyMatch(s -> !s.message().getClientMsgId().isEmpty());
        if (anyClaim) {
            try (AbstractPipeline pipeline = redis.pipelined()) {
                for (Store store : stores) {
                    ChatMessage m = store.message();
                    claims.add(m.getClientMsgId().isEmpty() ? null
                            : mailboxes.claimMsgId(pipeline, m.getFromUid(), m.getClientMsgId(), m.getMsgId()));
                }
                // Stage 9: the idempotency records too must outlive a failover, or a retry would store again.
                claimWaits = waitFor(pipeline, stores.stream().map(Store::message)
                        .filter(m -> !m.getClientMsgId().isEmpty())
                        .map(m -> MailboxStore.clientMsgIdKey(m.getFromUid(), m.getClientMsgId())).toList());
                pipeline.sync();
            }
        }
        for (int i = 0; i < stores.size(); i++) {
            ChatMessage m = stores.get(i).message();
            String winner = anyClaim && claims.get(i) != null ? claims.get(i).get() : null;
            messages.add(winner == null || winner.equals(m.getMsgId()) ? m : m.toBuilder().setMsgId(winner).build());
        }

        // Round trip 2: where is everybody.
        Set<String> uids = new LinkedHashSet<>();
        stores.forEach(s -> uids.addAll(s.uids()));
        Map<String, SessionRef> owners = sessions.lookup(uids);

        // Round trip 3: the appends, one script per recipient for all of the batch's messages to them (in the
        // batch's order), then one notification per other node for all its users in the batch.
        Map<String, List<Integer>> byRecipient = new LinkedHashMap<>();
        Map<String, Set<String>> toNotify = new LinkedHashMap<>();
        for (int i = 0; i < stores.size(); i++) {
            for (String uid : stores.get(i).uids()) {
                byRecipient.computeIfAbsent(uid, u -> new ArrayList<>()).add(i);
                SessionRef owner = owners.get(uid);
                if (owner != null && !owner.nodeId().equals(nodeId)) {
                    toNotify.computeIfAbsent(owner.nodeId(), n -> new LinkedHashSet<>()).add(uid);
                }
            }
        }
        Map<String, Response<Object>> appended = new LinkedHashMap<>();
        Map<Integer, Response<Long>> appendWaits;
        try (AbstractPipeline pipeline = redis.pipelined()) {
            byRecipient.forEach((uid, indexes) -> appended.put(uid, mailboxes.append(pipeline, uid,
                    indexes.stream().map(messages::get).toList())));
            List<Pushed> notifications = new ArrayList<>();
            toNotify.forEach((node, users) -> notifications.add(xadd(pipeline, node, InboxEntry.newBuilder()
                    .setNotify(Notify.newBuilder().addAllUids(users)).build())));
            appendWaits = waitFor(pipeline, byRecipient.keySet().stream().map(MailboxStore::mailboxKey).toList());
            pipeline.sync();
            for (Pushed notification : notifications) {
                try {
                    notification.check();
                } catch (JedisException e) {
                    log.debug("notification for node {} not queued ({}); its comparison pass will find the"
                            + " messages", notification.nodeId(), e.getMessage());
                }
            }
        }

        // Each store's seqs, recipient by recipient; a refused script fails every store it held.
        List<Map<String, Long>> seqsOf = new ArrayList<>(stores.size());
        List<RuntimeException> failures = new ArrayList<>(stores.size());
        for (int i = 0; i < stores.size(); i++) {
            seqsOf.add(new LinkedHashMap<>());
            failures.add(null);
        }
        byRecipient.forEach((uid, indexes) -> {
            try {
                List<Long> seqs = MailboxStore.seqs(appended.get(uid).get());
                for (int k = 0; k < indexes.size(); k++) {
                    seqsOf.get(indexes.get(k)).put(uid, seqs.get(k));
                }
                RuntimeException unreplicated = notReplicated(appendWaits, MailboxStore.mailboxKey(uid));
                if (unreplicated != null) {
                    indexes.forEach(i -> failures.set(i, unreplicated));
                }
            } catch (JedisException | IllegalStateException e) {
                // IllegalStateException: a cluster pipeline whose sync failed for one server leaves that server's
                // replies unset (Jedis 8); the stores on the other servers still have theirs.
                indexes.forEach(i -> failures.set(i, e));
            }
        });
        for (int i = 0; i < stores.size(); i++) {
            ChatMessage m = stores.get(i).message();
            if (failures.get(i) == null && !m.getClientMsgId().isEmpty()) {
                failures.set(i, notReplicated(claimWaits, MailboxStore.clientMsgIdKey(m.getFromUid(),
                        m.getClientMsgId())));
            }
        }
        for (int i = 0; i < stores.size(); i++) {
            Store store = stores.get(i);
            Map<String, Long> seqs = seqsOf.get(i);
            RuntimeException failure = failures.get(i);
            Map<String, String> where = new LinkedHashMap<>();
            for (String uid : store.uids()) {
                SessionRef owner = owners.get(uid);
                if (owner != null) {
                    where.put(uid, owner.nodeId());
                }
            }
            if (failure != null) {
                warn("Redis refused a mailbox append for {}: {}", store.uids(), failure.getMessage());
            }
            complete(store, new Stored(messages.get(i).getMsgId(), seqs, where, failure));
        }
    }
    // end::store-all[]

    /**
     * The outcomes of a batch, grouped by the executor their callbacks run on; {@link #run} hands each executor all
     * of its callbacks in one task.
     */
    private static final class Completions {
        private final Map<Executor, List<Runnable>> byExecutor = new IdentityHashMap<>();

        void add(Route route, Outcome outcome) {
            byExecutor.computeIfAbsent(route.executor(), e -> new ArrayList<>())
                    .add(() -> route.done().accept(outcome));
        }

        void run() {
            byExecutor.forEach((executor, callbacks) -> {
                try {
                    executor.execute(() -> callbacks.forEach(Completions::runOne));
                } catch (RejectedExecutionException e) {
                    // The event loop is shutting down: its connections are closing, nobody waits for these answers.
                    log.debug("{} routing outcome(s) not delivered: {}", callbacks.size(), e.toString());
                } catch (RuntimeException e) {
                    // Never out of here: forward() would fail the whole batch again (a second answer for the
                    // routes already handed over), and run() would die with the forwarder thread.
                    log.warn("{} routing outcome(s) not delivered", callbacks.size(), e);
                }
            });
        }

        private static void runOne(Runnable callback) {
            try {
                callback.run();
            } catch (RuntimeException e) {
                log.warn("a routing callback failed", e);
            }
        }
    }

    /** An XADD queued in a pipeline, to be checked after {@code sync()}. */
    record Pushed(String nodeId, Response<byte[]> reply) {

        /** Throws when Redis refused the write, or when the inbox does not exist (its node is gone for good). */
        void check() {
            if (reply.get() == null) {
                throw new JedisDataException("NOINBOX the inbox of node " + nodeId + " does not exist");
            }
        }
    }

    /**
     * Queues an XADD of {@code entry} to the inbox of {@code nodeId}; check the reply after {@code sync()}. NOMKSTREAM:
     * an inbox exists only while its node (or a takeover) has a consumer group on it. A push that came too late for a
     * departed node's deleted inbox must fail, not create a stream that nobody will ever read.
     */
    static Pushed xadd(AbstractPipeline pipeline, String nodeId, InboxEntry entry) {
        return new Pushed(nodeId, pipeline.xadd(RedisKeys.inbox(nodeId).getBytes(StandardCharsets.UTF_8),
                XAddParams.xAddParams().noMkStream(), Map.of(RedisKeys.FIELD, entry.toByteArray())));
    }

    private void fail(List<Request> batch, RuntimeException e) {
        warn("Redis failed {} forward request(s): {}", batch.size(), e.toString());
        Completions completions = new Completions();
        for (Request request : batch) {
            if (request instanceof Route route) {
                completions.add(route, new Outcome(Set.of(), Set.of(), e));
            } else if (request instanceof Store store) {
                complete(store, new Stored(store.message().getMsgId(), Map.of(), Map.of(), e));
            } else if (request instanceof Push push) {
                log.warn("{} for node {} not queued: {}", describe(push.entry()), push.nodeId(), e.toString());
            }
        }
        completions.run();
    }

    /** One line per outage, not one per batch: at most one warning every 5 s, the rest at debug level. */
    private void warn(String format, Object... args) {
        long now = System.currentTimeMillis();
        if (now - lastFailureLog > 5_000) {
            log.warn(format, args);
            lastFailureLog = now;
        } else {
            log.debug(format, args);
        }
    }

    private static String describe(InboxEntry entry) {
        return entry.hasKick()
                ? "kick of " + entry.getKick().getUid() + " (its old session stays connected there)"
                : entry.hasNotify() ? "notification" : "inbox entry";
    }

    /** One XADD in the pipeline: the users it carries (none for a kick) and its reply, readable after sync(). */
    private record Sent(List<String> members, Pushed reply) {
    }

    /** A request of the batch, its XADDs and its users without a session. */
    private record Written(Request request, List<Sent> sent, Set<String> offline) {
    }

    /** Requests not yet taken by the forwarder thread (metrics, tests). */
    public int backlog() {
        return queue.size();
    }

    @Override
    public void close() {
        close(System.currentTimeMillis() + 2_000);
    }

    /** Stops the forwarder thread; waits for it until {@code deadlineMillis} at most (it may be blocked in a call). */
    public void close(long deadlineMillis) {
        running = false;
        thread.interrupt();
        try {
            long left = deadlineMillis - System.currentTimeMillis();
            if (left > 0) {
                thread.join(left);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
