package com.example.im.route;

import com.example.im.protocol.Delivery;
import com.example.im.protocol.InboxEntry;
import com.example.im.protocol.Kick;
import com.example.im.protocol.Replies;
import com.example.im.server.SessionMap;
import com.example.im.server.WriteBatch;
import com.google.protobuf.InvalidProtocolBufferException;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import redis.clients.jedis.AbstractPipeline;
import redis.clients.jedis.Response;
import redis.clients.jedis.StreamEntryID;
import redis.clients.jedis.UnifiedJedis;
import redis.clients.jedis.exceptions.JedisDataException;
import redis.clients.jedis.params.XReadGroupParams;
import redis.clients.jedis.resps.StreamEntryBinary;

/**
 * Consumes this node's inbox, the Redis stream {@code im:inbox:{nodeId}}, as consumer {@code nodeId} of the group
 * {@link RedisKeys#GROUP} (docs/05-redis-forwarding.md, "The inbox").
 *
 * <p>Why a stream with a consumer group: XREADGROUP moves an entry into the group's pending list (PEL) and XACK
 * removes it from there. An entry read but not acknowledged — the node died between reading and delivering — is still
 * pending, and the next start reads it again ({@code XREADGROUP ... 0}) before anything new. The article's BRPOP
 * removed the message on read: a crash then lost it.
 *
 * <p>Delivery is at-least-once: a crash after writing to the client but before XACK delivers that message again.
 */
public final class InboxConsumer implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(InboxConsumer.class);
    /** How often a user who moved may be chased from node to node before the entry is given up. */
    static final int MAX_HOPS = 3;
    private static final StreamEntryID PENDING = new StreamEntryID(0, 0);
    /** How long a batch waits for its local writes to reach the sockets before it is acknowledged. */
    static final long WRITE_WAIT_MILLIS = 1_000;

    private final UnifiedJedis redis;
    private final String nodeId;
    private final SessionMap sessions;
    private final SessionStore store;
    private final int batchSize;
    private final long undeliverableMillis;
    private final long retryMillis;
    private final String key;
    private final byte[] keyBytes;
    private final byte[] group = RedisKeys.GROUP.getBytes(StandardCharsets.UTF_8);
    private final byte[] consumer;
    private final Thread thread;
    private volatile boolean running = true;
    private volatile Runnable onRedisReset = () -> { };
    private volatile boolean crashAfterNextRead;
    private volatile boolean crashBeforeNextAck;
    private boolean crashed; // only touched on the consumer thread
    private volatile long delivered;

    public InboxConsumer(UnifiedJedis redis, String nodeId, SessionMap sessions, SessionStore store, int batchSize,
                         long undeliverableMillis, long retryMillis) {
        this.redis = redis;
        this.nodeId = nodeId;
        this.sessions = sessions;
        this.store = store;
        this.batchSize = batchSize;
        this.undeliverableMillis = undeliverableMillis;
        this.retryMillis = retryMillis;
        this.key = RedisKeys.inbox(nodeId);
        this.keyBytes = key.getBytes(StandardCharsets.UTF_8);
        this.consumer = nodeId.getBytes(StandardCharsets.UTF_8);
        this.thread = new Thread(this::run, "im-inbox");
        thread.setDaemon(true);
    }

    public void start() {
        thread.start();
    }

    // tag::loop[]
    private void run() {
        boolean groupReady = false;
        boolean reset = false;
        long nextRetry = 0;
        long backoff = 100;
        boolean down = false;
        while (running) {
            try {
                if (!groupReady) {
                    createGroup();
                    groupReady = true;
                    if (reset) {
                        reset = false;
                        onRedisReset.run(); // the inbox exists again: now the sessions may name this node again
                    }
                }
                long now = System.currentTimeMillis();
                if (now >= nextRetry) {
                    // Pending entries: read before a crash and never acknowledged, or waiting for their user.
                    readPending();
                    if (crashed) {
                        return;
                    }
                    nextRetry = now + retryMillis;
                }
                List<StreamEntryBinary> fresh = read(StreamEntryID.XREADGROUP_UNDELIVERED_ENTRY, 500);
                if (crashAfterNextRead && !fresh.isEmpty()) {
                    log.warn("test hook: stopping after reading {} entries, before delivering them", fresh.size());
                    return;
                }
                process(fresh);
                if (crashed) {
                    return;
                }
                if (down) {
                    log.info("Redis is back; inbox {} is being consumed again", key);
                    down = false;
                }
                backoff = 100;
            } catch (JedisDataException e) {
                if (e.getMessage() != null && e.getMessage().startsWith("NOGROUP")) {
                    // Redis restarted without persistence: the stream and group are gone, and so are the sessions.
                    groupReady = false;
                    reset = true;
                    sleep(backoff);
                    backoff = Math.min(backoff * 2, 2_000);
                } else {
                    // -OOM, -READONLY, WRONGTYPE ...: Redis answers but refuses. Say so, and do not spin on it.
                    log.warn("inbox {}: Redis refused ({}); retrying in {} ms", key, e.getMessage(), backoff);
                    sleep(backoff);
                    backoff = Math.min(backoff * 2, 2_000);
                }
            } catch (RuntimeException e) {
                if (!running) {
                    return;
                }
                if (!down) {
                    log.warn("cannot read inbox {} ({}); retrying until Redis answers", key, e.toString());
                    down = true;
                }
                sleep(backoff);
                backoff = Math.min(backoff * 2, 2_000);
            }
        }
    }
    // end::loop[]

    private void createGroup() {
        try {
            // From id 0, not "$": entries pushed while this node was down must be delivered, not skipped.
            redis.xgroupCreate(keyBytes, group, "0".getBytes(StandardCharsets.US_ASCII), true);
        } catch (JedisDataException e) {
            if (e.getMessage() == null || !e.getMessage().startsWith("BUSYGROUP")) {
                throw e;
            }
        }
    }

    /**
     * Every pending entry, page by page in id order: an entry behind the first page must not wait for the ones in
     * front of it to resolve,.
     */
    private void readPending() {
        StreamEntryID from = PENDING;
        List<StreamEntryBinary> page;
        do {
            page = read(from, 0);
            process(page);
            if (!page.isEmpty()) {
                from = page.get(page.size() - 1).getID();
            }
        } while (page.size() == batchSize && running && !crashed);
    }

    private List<StreamEntryBinary> read(StreamEntryID from, int blockMillis) {
        XReadGroupParams params = XReadGroupParams.xReadGroupParams().count(batchSize);
        if (blockMillis > 0) {
            params.block(blockMillis);
        }
        List<Map.Entry<byte[], List<StreamEntryBinary>>> result =
                redis.xreadGroupBinary(group, consumer, params, Map.of(keyBytes, from));
        if (result == null || result.isEmpty()) {
            return List.of();
        }
        return result.get(0).getValue();
    }

    /** An entry that could not be delivered to everybody yet. */
    private record Unresolved(StreamEntryID id, InboxEntry entry, List<String> uids) {
    }

    // tag::process[]
    private void process(List<StreamEntryBinary> entries) {
        if (entries.isEmpty()) {
            return;
        }
        List<StreamEntryID> done = new ArrayList<>();
        List<Written> written = new ArrayList<>();
        WriteBatch batch = new WriteBatch();
        for (StreamEntryBinary raw : entries) {
            InboxEntry entry;
            try {
                entry = InboxEntry.parseFrom(raw.getFields().get(RedisKeys.FIELD));
            } catch (InvalidProtocolBufferException | NullPointerException e) {
                log.warn("dropping unreadable inbox entry {}", raw.getID());
                done.add(raw.getID());
                continue;
            }
            if (entry.hasKick()) {
                batch.submit(); // the messages before a kick are written before it
                kick(entry.getKick());
                done.add(raw.getID());
            } else {
                Map<String, ChannelFuture> writes = new HashMap<>();
                List<String> missing = deliverLocally(entry.getDelivery(), writes, batch);
                written.add(new Written(raw.getID(), entry, missing, writes));
            }
        }
        // One task per event loop for all of the batch's writes, one flush per connection (WriteBatch).
        batch.submit();
        // Acknowledged only once the writes have reached the sockets: a node killed between "write queued" and
        // "written" would otherwise have acknowledged a message that only its own memory held.
        List<Unresolved> unresolved = settle(written, done);
        if (!unresolved.isEmpty()) {
            chase(unresolved, done);
        }
        if (crashBeforeNextAck && !done.isEmpty()) {
            log.warn("test hook: stopping after writing {} entries, before acknowledging them", done.size());
            crashed = true;
            return;
        }
        if (!done.isEmpty()) {
            acknowledge(done);
        }
    }

    /**
     * Adds the message to {@code batch} for every recipient connected here, recording each write; returns those who
     * are not.
     */
    private List<String> deliverLocally(Delivery delivery, Map<String, ChannelFuture> writes, WriteBatch batch) {
        List<Channel> targets = new ArrayList<>();
        List<String> found = new ArrayList<>();
        List<String> missing = new ArrayList<>();
        for (String uid : delivery.getToUidsList()) {
            Channel channel = sessions.find(uid);
            if (channel != null) {
                targets.add(channel);
                found.add(uid);
            } else {
                missing.add(uid);
            }
        }
        List<ChannelFuture> futures = batch.add(targets, Replies.message(delivery.getMessage()));
        for (int i = 0; i < found.size(); i++) {
            writes.put(found.get(i), futures.get(i));
        }
        return missing;
    }
    // end::process[]

    /** An entry written to its local recipients: the writes still to finish, and the recipients who were not here. */
    private record Written(StreamEntryID id, InboxEntry entry, List<String> missing,
                           Map<String, ChannelFuture> writes) {
    }

    /**
     * Waits (at most {@link #WRITE_WAIT_MILLIS} for the whole batch) for the local writes to reach their sockets.
     * An entry whose writes all went out is done; a recipient whose write failed (the connection closed meanwhile)
     * is unresolved like one who was not here. A write to a connection that is not writable (a slow reader, whose
     * buffer is over its high-water mark) is not waited for, and neither is one still queued after the wait: it counts
     * as delivered — the last hop is at-most-once, a second copy would only queue behind the first, and one reader
     * that does not read must not slow the inbox down for everybody else.
     */
    private List<Unresolved> settle(List<Written> written, List<StreamEntryID> done) {
        long until = System.currentTimeMillis() + WRITE_WAIT_MILLIS;
        List<Unresolved> unresolved = new ArrayList<>();
        for (Written w : written) {
            List<String> missing = new ArrayList<>(w.missing());
            for (Map.Entry<String, ChannelFuture> write : w.writes().entrySet()) {
                ChannelFuture future = write.getValue();
                Channel channel = future.channel();
                // A closed channel is never writable, but its write may still sit in a task of its loop (a
                // WriteBatch queues the batch's writes just before this): it can only fail, so wait for that.
                if (channel.isWritable() || !channel.isOpen()) {
                    future.awaitUninterruptibly(Math.max(0, until - System.currentTimeMillis()));
                }
                if (future.isDone() ? !future.isSuccess() : !channel.isOpen()) {
                    missing.add(write.getKey());
                } else {
                    delivered++;
                }
            }
            if (missing.isEmpty()) {
                done.add(w.id());
            } else {
                unresolved.add(new Unresolved(w.id(), w.entry(), missing));
            }
        }
        return unresolved;
    }


    /** XACK and XDEL of finished entries, in one round trip; a refusal is logged (the entries come again: a duplicate). */
    private void acknowledge(List<StreamEntryID> done) {
        StreamEntryID[] ids = done.toArray(StreamEntryID[]::new);
        Response<Long> acked;
        Response<Long> deleted;
        try (AbstractPipeline pipeline = redis.pipelined()) {
            acked = pipeline.xack(key, RedisKeys.GROUP, ids);
            deleted = pipeline.xdel(key, ids); // acknowledged entries are of no further use: keep the stream small
            pipeline.sync();
        }
        try {
            acked.get();
            deleted.get();
        } catch (JedisDataException e) {
            log.warn("inbox {}: Redis refused to acknowledge {} entries ({}); they will be delivered again", key,
                    ids.length, e.getMessage());
        }
    }

    // tag::chase[]
    /**
     * Recipients who are not here (any more): follow them to the node their session now names, keep the entry
     * pending while they might still come back here (a reconnect in progress), give up after the configured time.
     * An entry is acknowledged only once every push it needed was accepted by Redis; a push refused for some members
     * re-queues just those, so the others do not get the message again on every retry.
     */
    private void chase(List<Unresolved> unresolved, List<StreamEntryID> done) {
        Set<String> uids = new HashSet<>();
        unresolved.forEach(u -> uids.addAll(u.uids()));
        Map<String, SessionRef> owners = store.lookup(uids);
        long now = redisMillis(); // ages are measured on Redis' clock, never by comparing two nodes' clocks
        Map<Unresolved, List<Push>> pushes = new LinkedHashMap<>();
        try (AbstractPipeline pipeline = redis.pipelined()) {
            for (Unresolved u : unresolved) {
                long queuedAt = queuedAt(u);
                Map<String, List<String>> elsewhere = new LinkedHashMap<>();
                List<String> waiting = new ArrayList<>();
                for (String uid : u.uids()) {
                    SessionRef owner = owners.get(uid);
                    if (owner != null && !owner.nodeId().equals(nodeId) && u.entry().getHops() < MAX_HOPS) {
                        elsewhere.computeIfAbsent(owner.nodeId(), n -> new ArrayList<>()).add(uid);
                    } else {
                        waiting.add(uid);
                    }
                }
                List<Push> sent = new ArrayList<>();
                elsewhere.forEach((node, members) -> sent.add(new Push(members, Forwarder.xadd(pipeline, node,
                        u.entry().toBuilder()
                                .setDelivery(u.entry().getDelivery().toBuilder().clearToUids().addAllToUids(members))
                                .setFirstQueuedAt(queuedAt).setHops(u.entry().getHops() + 1).build()))));
                boolean expired = now - queuedAt > undeliverableMillis;
                if (waiting.isEmpty() || expired) {
                    if (expired && !waiting.isEmpty()) {
                        log.warn("giving up message {} for {}: not connected anywhere for {} ms",
                                u.entry().getDelivery().getMessage().getMsgId(), waiting, undeliverableMillis);
                    }
                    pushes.put(u, sent);
                } else if (!elsewhere.isEmpty() || waiting.size() < u.entry().getDelivery().getToUidsCount()) {
                    // Partly delivered: re-queue only the users still awaited, so nobody gets a second copy.
                    sent.add(new Push(waiting, Forwarder.xadd(pipeline, nodeId, requeued(u, waiting, queuedAt))));
                    pushes.put(u, sent);
                }
                // else: nobody could be reached: the entry stays pending and is retried every retryMillis.
            }
            pipeline.sync();
        }
        Map<Unresolved, List<String>> refused = new LinkedHashMap<>();
        pushes.forEach((u, sent) -> {
            List<String> failed = new ArrayList<>();
            String error = null;
            for (Push push : sent) {
                try {
                    push.reply().check();
                } catch (JedisDataException e) {
                    failed.addAll(push.members());
                    error = e.getMessage();
                }
            }
            if (failed.isEmpty()) {
                done.add(u.id());
            } else if (now - queuedAt(u) > undeliverableMillis) {
                log.warn("giving up message {} for {}: Redis refused to forward it for {} ms ({})",
                        u.entry().getDelivery().getMessage().getMsgId(), failed, undeliverableMillis, error);
                done.add(u.id());
            } else {
                log.warn("inbox {}: Redis refused to forward message {} to {} ({}); retrying", key,
                        u.entry().getDelivery().getMessage().getMsgId(), failed, error);
                if (failed.size() < sent.stream().mapToInt(p -> p.members().size()).sum()) {
                    refused.put(u, failed);
                }
                // all refused: the entry stays pending as it is, and is retried on the next pass
            }
        });
        if (!refused.isEmpty()) {
            requeueRefused(refused, done);
        }
    }

    /** One push of an unresolved entry: the members it carries, and its reply. */
    private record Push(List<String> members, Forwarder.Pushed reply) {
    }

    private InboxEntry requeued(Unresolved u, List<String> members, long queuedAt) {
        return u.entry().toBuilder()
                .setDelivery(u.entry().getDelivery().toBuilder().clearToUids().addAllToUids(members))
                .setFirstQueuedAt(queuedAt).build();
    }

    /**
     * Some pushes of an entry went through, others were refused: the entry is replaced by one for the refused members
     * only, so the members already served do not get the message again on every retry. If even that is refused, the
     * entry stays pending (and those members may get a duplicate; the age bound above ends it).
     */
    private void requeueRefused(Map<Unresolved, List<String>> refused, List<StreamEntryID> done) {
        Map<Unresolved, Forwarder.Pushed> again = new LinkedHashMap<>();
        try (AbstractPipeline pipeline = redis.pipelined()) {
            refused.forEach((u, members) -> again.put(u, Forwarder.xadd(pipeline, nodeId,
                    requeued(u, members, queuedAt(u)))));
            pipeline.sync();
        }
        again.forEach((u, reply) -> {
            try {
                reply.check();
                done.add(u.id());
            } catch (JedisDataException e) {
                log.debug("re-queue of {} refused too: {}", u.id(), e.getMessage());
            }
        });
    }

    /**
     * When the entry first entered an inbox, on Redis' clock: the time in its stream id, or, for an entry a consumer
     * forwarded or re-queued (which gave it a new id), the time that consumer carried over.
     */
    private static long queuedAt(Unresolved u) {
        return u.entry().getFirstQueuedAt() > 0 ? u.entry().getFirstQueuedAt() : u.id().getTime();
    }

    private long redisMillis() {
        @SuppressWarnings("unchecked")
        List<Object> time = (List<Object>) redis.eval("return redis.call('TIME')");
        return Long.parseLong(asString(time.get(0))) * 1_000 + Long.parseLong(asString(time.get(1))) / 1_000;
    }

    private static String asString(Object value) {
        return value instanceof byte[] bytes ? new String(bytes, StandardCharsets.US_ASCII) : String.valueOf(value);
    }
    // end::chase[]

    /**
     * A user logged in on another node: close the connection here, if it still holds the session the kick names and
     * Redis still says the user is elsewhere. A kick from a claim that was undone since (the newer connection closed
     * at once; its node took its session back) finds no other session and closes nothing.
     */
    // tag::kick[]
    private void kick(Kick kick) {
        Channel channel = sessions.find(kick.getUid());
        if (channel == null || !kick.getSessionId().equals(channel.attr(SessionMap.SESSION_ID).get())) {
            return;
        }
        SessionRef current;
        try {
            current = store.lookup(kick.getUid());
        } catch (RuntimeException e) {
            current = new SessionRef("unknown", "unknown"); // Redis did not answer: the newest login wins
        }
        if (current == null || current.sessionId().equals(kick.getSessionId())) {
            log.info("ignoring a stale kick of {}: Redis names no newer session", kick.getUid());
            return;
        }
        if (sessions.kick(kick.getUid(), channel, kick.getUid() + " logged in on another node")) {
            log.info("{} logged in on another node; closed its connection here", kick.getUid());
        }
    }
    // end::kick[]

    /**
     * Test hook: the consumer stops right after its next non-empty read, before delivering, as a process killed at
     * that instant would. The entries stay pending in Redis.
     */
    public void crashAfterNextRead() {
        crashAfterNextRead = true;
    }

    /**
     * Test hook: the consumer stops after its next batch has been written to the clients, before it acknowledges it,
     * as a process killed at that instant would. The entries stay pending in Redis and are delivered again.
     */
    public void crashBeforeNextAck() {
        crashBeforeNextAck = true;
    }

    /** Runs {@code action} when the stream turns out to be gone (Redis lost its data): sessions must be re-asserted. */
    public void onRedisReset(Runnable action) {
        this.onRedisReset = action;
    }

    /** Messages handed to local connections so far (each recipient counts). */
    public long delivered() {
        return delivered;
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis); // backing off while Redis is unreachable; not waiting for an event
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Creates the consumer group (and the stream) now, so that the inbox exists before the node takes logins. */
    public void prepare() {
        try {
            createGroup();
        } catch (RuntimeException e) {
            log.warn("inbox {} not created yet ({}); the consumer keeps trying", key, e.toString());
        }
    }

    @Override
    public void close() {
        running = false;
        try {
            thread.join(3_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
