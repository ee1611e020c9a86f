package com.example.im.route;

import com.example.im.protocol.InboxEntry;
import com.example.im.protocol.Kick;
import com.example.im.protocol.Replies;
import com.example.im.server.SessionMap;
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
import java.util.function.Consumer;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import redis.clients.jedis.AbstractPipeline;
import redis.clients.jedis.Response;
import redis.clients.jedis.StreamEntryID;
import redis.clients.jedis.UnifiedJedis;
import redis.clients.jedis.exceptions.JedisDataException;
import redis.clients.jedis.params.XAutoClaimParams;
import redis.clients.jedis.params.XClaimParams;
import redis.clients.jedis.params.XPendingParams;
import redis.clients.jedis.params.XReadGroupParams;
import redis.clients.jedis.resps.StreamEntryBinary;
import redis.clients.jedis.resps.StreamPendingEntry;

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
    /**
     * A takeover claims only entries nobody has touched for this long. The owner of an inbox re-reads its pending
     * entries every second (which resets their idle time), so an entry idle this long belongs to a node that is dead
     * or paused; a live owner's entries in flight are never stolen.
     */
    static final long CLAIM_MIN_IDLE_MILLIS = 5_000;
    /** How long a batch waits for its local writes to reach the sockets before it is acknowledged. */
    static final long WRITE_WAIT_MILLIS = 1_000;

    /**
     * Deletes a stream that holds nothing to deliver: nothing pending and everything delivered to the group. Run
     * when a takeover ends, in one script so that an entry added meanwhile is never deleted with it. Stage 9: the
     * script touches the stream alone (one hash slot); {@link #forget} then takes its node out of
     * {@code im:inboxes}, which lives in another slot (docs/09-scale-out.md, "What the code had to change").
     */
    static final String DELETE_IF_CONSUMED = """
            if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
            if redis.call('XPENDING', KEYS[1], ARGV[1])[1] ~= 0 then return 0 end
            local last = nil
            local info = redis.call('XINFO', 'STREAM', KEYS[1])
            for i = 1, #info, 2 do if info[i] == 'last-generated-id' then last = info[i + 1] end end
            for _, group in ipairs(redis.call('XINFO', 'GROUPS', KEYS[1])) do
              for i = 1, #group, 2 do
                if group[i] == 'last-delivered-id' and group[i + 1] ~= last then return 0 end
              end
            end
            return redis.call('DEL', KEYS[1])""";

    // tag::forget[]
    /**
     * Stage 9: takes {@code owner} out of {@code im:inboxes} unless its inbox exists. Stage 8 did this in one script
     * over both keys; in a Redis Cluster the set and the stream are in different slots, so no script may hold both.
     * Two steps instead, in an order that cannot lose an inbox: remove first, then look, and put it back if the
     * stream exists. An owner that creates its stream does so before it adds itself (createGroup), so whichever
     * way the steps interleave, an existing inbox ends up in the set. Returns true when it stayed out.
     */
    static boolean forget(UnifiedJedis redis, String owner) {
        redis.srem(RedisKeys.INBOXES, owner);
        boolean exists;
        try {
            exists = redis.exists(RedisKeys.inbox(owner));
        } catch (RuntimeException e) {
            // The stream's server did not answer (a failover of its slot): not knowing, keep the inbox listed. The
            // set is on another server, usually a healthy one.
            redis.sadd(RedisKeys.INBOXES, owner);
            throw e;
        }
        if (exists) {
            redis.sadd(RedisKeys.INBOXES, owner);
            return false;
        }
        return true;
    }

    /** Deletes {@code owner}'s inbox if it is consumed to the end, then forgets it; true when deleted. */
    static boolean deleteIfConsumed(UnifiedJedis redis, String owner) {
        if (Long.valueOf(1L).equals(redis.eval(DELETE_IF_CONSUMED, List.of(RedisKeys.inbox(owner)),
                List.of(RedisKeys.GROUP)))) {
            forget(redis, owner);
            return true;
        }
        return false;
    }
    // end::forget[]

    private final UnifiedJedis redis;
    private final String nodeId;
    private final String inboxOwner;
    private final SessionMap sessions;
    private final SessionStore store;
    private final int batchSize;
    private final long undeliverableMillis;
    private volatile long retryMillis;
    private volatile long stopWhenIdleAfter = Long.MAX_VALUE;
    private volatile boolean idle;
    private volatile long passes;
    private final Function<String, Presence> presence;
    private volatile Runnable onRedisReset = () -> { };
    private volatile Consumer<List<String>> onNotify = uids -> { };
    private volatile Runnable whenStopped = () -> { };
    private final String key;
    private final byte[] keyBytes;
    private final byte[] group = RedisKeys.GROUP.getBytes(StandardCharsets.UTF_8);
    private final byte[] consumer;
    private final Thread thread;
    private volatile boolean running = true;
    private volatile boolean crashAfterNextRead;
    private volatile boolean crashBeforeNextAck;
    private boolean crashed; // only touched on the consumer thread
    private volatile long delivered;

    /** Whether a node is registered in ZooKeeper, as far as this node can tell. */
    public enum Presence {
        REGISTERED, GONE,
        /** This node's own view of ZooKeeper is not current: it cannot tell, and must not act on a guess. */
        UNKNOWN
    }

    public InboxConsumer(UnifiedJedis redis, String nodeId, SessionMap sessions, SessionStore store, int batchSize,
                         long undeliverableMillis, long retryMillis) {
        this(redis, nodeId, nodeId, sessions, store, batchSize, undeliverableMillis, retryMillis,
                owner -> Presence.REGISTERED);
    }

    /**
     * A consumer of {@code inboxOwner}'s inbox running on node {@code nodeId}: its own inbox when the two are equal,
     * a dead or departed node's inbox during a takeover (docs/06-graceful-shutdown.md, "Takeover after kill -9").
     * {@code presence} says whether a node is in ZooKeeper now: a takeover hands everything back and stops as soon
     * as the owner is registered again (it was paused, not dead, or it restarted), and pauses while this node cannot
     * tell.
     */
    public InboxConsumer(UnifiedJedis redis, String nodeId, String inboxOwner, SessionMap sessions,
                         SessionStore store, int batchSize, long undeliverableMillis, long retryMillis,
                         Function<String, Presence> presence) {
        this.presence = presence;
        this.redis = redis;
        this.nodeId = nodeId;
        this.inboxOwner = inboxOwner;
        this.sessions = sessions;
        this.store = store;
        this.batchSize = batchSize;
        this.undeliverableMillis = undeliverableMillis;
        this.retryMillis = retryMillis;
        this.key = RedisKeys.inbox(inboxOwner);
        this.keyBytes = key.getBytes(StandardCharsets.UTF_8);
        this.consumer = nodeId.getBytes(StandardCharsets.UTF_8);
        this.thread = new Thread(this::run, inboxOwner.equals(nodeId) ? "im-inbox" : "im-takeover-" + inboxOwner);
        thread.setDaemon(true);
    }

    public void start() {
        thread.start();
    }

    // tag::loop[]
    private void run() {
        try {
            consume();
        } finally {
            whenStopped.run();
        }
    }

    private void consume() {
        boolean groupReady = false;
        boolean reset = false;
        long nextRetry = 0;
        long backoff = 100;
        boolean down = false;
        while (running) {
            try {
                if (takeover()) {
                    Presence owner = presence.apply(inboxOwner);
                    if (owner == Presence.REGISTERED) {
                        handBack("node " + inboxOwner + " is registered again");
                        return;
                    }
                    if (owner == Presence.UNKNOWN) {
                        sleep(retryMillis); // neither take nor give back on a guess; the view comes back
                        continue;
                    }
                }
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
                    if (takeover()) {
                        claimOrphans();
                    }
                    // Pending entries: read before a crash and never acknowledged, or waiting for their user.
                    readPending();
                    if (crashed) {
                        return;
                    }
                    nextRetry = now + retryMillis;
                }
                // Blocks while nothing arrives; shorter in drain mode, where someone waits for the idle verdict.
                List<StreamEntryBinary> fresh = read(StreamEntryID.XREADGROUP_UNDELIVERED_ENTRY,
                        retryMillis < 1_000 ? 100 : 500);
                if (crashAfterNextRead && !fresh.isEmpty()) {
                    log.warn("test hook: stopping after reading {} entries, before delivering them", fresh.size());
                    return;
                }
                process(fresh);
                if (crashed) {
                    return;
                }
                // Idle: nothing new and nothing pending in the group. Not XLEN: an entry acknowledged but not yet
                // deleted is done, and must not keep a drain or a takeover running to its deadline.
                idle = fresh.isEmpty() && redis.xpending(key, RedisKeys.GROUP).getTotal() == 0;
                passes++;
                if (idle && System.currentTimeMillis() >= stopWhenIdleAfter) {
                    log.info("inbox {} is empty and no longer written to; consumer {} stops", key, nodeId);
                    if (takeover() && deleteIfConsumed(redis, inboxOwner)) {
                        log.info("deleted the consumed inbox {} of departed node {}", key, inboxOwner);
                    }
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

    private boolean takeover() {
        return !inboxOwner.equals(nodeId);
    }

    /**
     * A takeover makes its own every entry that another consumer (the departed node, or a survivor that died during
     * its own takeover) read and left unacknowledged for {@link #CLAIM_MIN_IDLE_MILLIS}. Run on every pending pass:
     * entries of a node that died a moment ago become claimable once they have been idle that long.
     */
    private void claimOrphans() {
        StreamEntryID start = new StreamEntryID(0, 0);
        StreamEntryID cursor = start;
        int claimed = 0;
        do {
            Map.Entry<StreamEntryID, List<StreamEntryID>> page = redis.xautoclaimJustId(key, RedisKeys.GROUP,
                    nodeId, CLAIM_MIN_IDLE_MILLIS, cursor, XAutoClaimParams.xAutoClaimParams().count(batchSize));
            claimed += page.getValue().size();
            cursor = page.getKey();
        } while (!cursor.equals(start));
        if (claimed > 0) {
            log.info("took over {} pending entries of {}", claimed, key);
        }
    }

    /**
     * The owner is back (a pause, not a death; or a restart under the same id): every entry this takeover holds is
     * given to the owner's consumer, whose next pending pass delivers it. Nothing is parked for a user who is on a
     * live node.
     */
    private void handBack(String why) {
        int handed = 0;
        List<StreamPendingEntry> mine;
        do {
            try {
                mine = redis.xpending(key, RedisKeys.GROUP,
                        XPendingParams.xPendingParams().count(batchSize).consumer(nodeId));
            } catch (JedisDataException e) {
                if (e.getMessage() != null && e.getMessage().startsWith("NOGROUP")) {
                    break; // no group (Redis lost it): nothing is pending, nothing to hand back
                }
                throw e;
            }
            if (!mine.isEmpty()) {
                redis.xclaimJustId(key, RedisKeys.GROUP, inboxOwner, 0, XClaimParams.xClaimParams(),
                        mine.stream().map(StreamPendingEntry::getID).toArray(StreamEntryID[]::new));
                handed += mine.size();
            }
        } while (mine.size() == batchSize);
        log.info("{}: takeover of {} stops and hands {} pending entries back", why, key, handed);
    }

    private void createGroup() {
        try {
            // From id 0, not "$": entries pushed while this node was down must be delivered, not skipped.
            redis.xgroupCreate(keyBytes, group, "0".getBytes(StandardCharsets.US_ASCII), true);
            redis.sadd(RedisKeys.INBOXES, inboxOwner); // the sweep finds this inbox if its owner dies unnoticed
        } catch (JedisDataException e) {
            if (e.getMessage() == null || !e.getMessage().startsWith("BUSYGROUP")) {
                throw e;
            }
        }
    }

    /**
     * Every pending entry, page by page in id order: an entry behind the first page must not wait for the ones in
     * front of it to resolve, and a live owner touches each of its pending entries on every pass (see
     * {@link #CLAIM_MIN_IDLE_MILLIS}).
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
        List<Written> toWrite = new ArrayList<>();
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
                deliverLocally(toWrite, written); // the messages before a kick are written before it
                kick(entry.getKick());
                done.add(raw.getID());
            } else if (entry.hasNotify()) {
                // Stage 7: the messages are in the users' mailboxes; the pusher takes them from there. Done at once:
                // a notification lost after this costs latency only (the pusher's comparison pass finds it).
                onNotify.accept(entry.getNotify().getUidsList());
                done.add(raw.getID());
            } else {
                toWrite.add(new Written(raw.getID(), entry, new ArrayList<>(), new HashMap<>()));
            }
        }
        deliverLocally(toWrite, written);
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
     * Writes each message to every recipient connected here, all in one batch (one task per event loop, one flush
     * per connection), recording each write and each recipient who is not here; moves them to {@code written}.
     */
    private void deliverLocally(List<Written> toWrite, List<Written> written) {
        if (toWrite.isEmpty()) {
            return;
        }
        List<SessionMap.Outgoing> batch = new ArrayList<>(toWrite.size());
        for (Written w : toWrite) {
            batch.add(new SessionMap.Outgoing(w.entry().getDelivery().getToUidsList(),
                    Replies.message(w.entry().getDelivery().getMessage()), w.writes()));
        }
        List<List<String>> missing = sessions.deliverAll(batch);
        for (int i = 0; i < toWrite.size(); i++) {
            toWrite.get(i).missing().addAll(missing.get(i));
        }
        written.addAll(toWrite);
        toWrite.clear();
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
     * During a takeover, an entry whose recipients' sessions still name the inbox's owner goes back to the owner's
     * consumer: someone renewed those sessions within the TTL, so the owner may well be alive (cut off from ZooKeeper,
     * or paused); if it is dead after all, the entry is idle there and the next {@link #claimOrphans} takes it back.
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
                List<String> withOwner = new ArrayList<>();
                for (String uid : u.uids()) {
                    SessionRef owner = owners.get(uid);
                    if (owner != null && !owner.nodeId().equals(nodeId) && !owner.nodeId().equals(inboxOwner)
                            && u.entry().getHops() < MAX_HOPS) {
                        elsewhere.computeIfAbsent(owner.nodeId(), n -> new ArrayList<>()).add(uid);
                    } else if (owner != null && takeover() && owner.nodeId().equals(inboxOwner)) {
                        withOwner.add(uid);
                    } else {
                        waiting.add(uid);
                    }
                }
                if (withOwner.size() == u.uids().size()
                        && u.uids().size() == u.entry().getDelivery().getToUidsCount()) {
                    // Untouched, and all for the owner: give the entry itself to the owner's consumer.
                    pipeline.xclaimJustId(key, RedisKeys.GROUP, inboxOwner, 0, XClaimParams.xClaimParams(), u.id());
                    continue;
                }
                waiting.addAll(withOwner); // mixed: the owner's share is re-queued below, and comes back alone
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
                    sent.add(new Push(waiting, Forwarder.xadd(pipeline, inboxOwner, requeued(u, waiting, queuedAt))));
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
            refused.forEach((u, members) -> again.put(u, Forwarder.xadd(pipeline, inboxOwner,
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
        // Stage 9: with a key, so that a cluster runs it on the server that holds this inbox (its stream ids are on
        // that server's clock); a keyless script has no server to go to.
        List<Object> time = (List<Object>) redis.eval("return redis.call('TIME')", List.of(key), List.of());
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

    /**
     * Drain mode (a shutdown, a takeover): retry waiting entries every {@code retry} ms, and stop once the inbox is
     * empty and {@code notBefore} (epoch ms) has passed.
     */
    public void stopWhenEmptyAfter(long notBefore, long retry) {
        this.retryMillis = retry;
        this.stopWhenIdleAfter = notBefore;
    }

    /** True when the last pass found nothing new, nothing pending and an empty stream. */
    public boolean isIdle() {
        return idle;
    }

    /** Whose inbox this consumer reads. */
    public String inboxOwner() {
        return inboxOwner;
    }

    /** Passes of the consumer loop so far: a drain trusts only an idle flag from a pass that began after it did. */
    public long passes() {
        return passes;
    }

    /** Runs {@code action} when the stream turns out to be gone (Redis lost its data): sessions must be re-asserted. */
    public void onRedisReset(Runnable action) {
        this.onRedisReset = action;
    }

    /** Stage 7: runs {@code action} with the users of every notification read (on the consumer's thread). */
    public void onNotify(Consumer<List<String>> action) {
        this.onNotify = action;
    }

    /** Runs {@code action} on the consumer thread when it ends, for whatever reason. */
    public void whenStopped(Runnable action) {
        this.whenStopped = action;
    }

    /** True when the consumer thread has ended. */
    public boolean isStopped() {
        return !thread.isAlive();
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

    /** Asks the consumer to stop after its current read; returns at once. */
    public void stop() {
        running = false;
    }

    /** Waits (bounded) for the consumer thread to end. */
    public void awaitStop(long deadlineMillis) throws InterruptedException {
        long left = deadlineMillis - System.currentTimeMillis();
        if (left > 0) {
            thread.join(left);
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
        stop();
        try {
            awaitStop(System.currentTimeMillis() + 3_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
