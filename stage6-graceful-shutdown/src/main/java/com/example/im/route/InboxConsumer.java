package com.example.im.route;

import com.example.im.protocol.Delivery;
import com.example.im.protocol.ErrorCode;
import com.example.im.protocol.InboxEntry;
import com.example.im.protocol.Kick;
import com.example.im.protocol.Replies;
import com.example.im.server.SessionMap;
import com.google.protobuf.InvalidProtocolBufferException;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import redis.clients.jedis.AbstractPipeline;
import redis.clients.jedis.StreamEntryID;
import redis.clients.jedis.UnifiedJedis;
import redis.clients.jedis.exceptions.JedisDataException;
import redis.clients.jedis.params.XAutoClaimParams;
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
    private final String key;
    private final byte[] keyBytes;
    private final byte[] group = RedisKeys.GROUP.getBytes(StandardCharsets.UTF_8);
    private final byte[] consumer;
    private final Thread thread;
    private volatile boolean running = true;
    private volatile boolean crashAfterNextRead;
    private volatile long delivered;

    public InboxConsumer(UnifiedJedis redis, String nodeId, SessionMap sessions, SessionStore store, int batchSize,
                         long undeliverableMillis, long retryMillis) {
        this(redis, nodeId, nodeId, sessions, store, batchSize, undeliverableMillis, retryMillis);
    }

    /**
     * A consumer of {@code inboxOwner}'s inbox running on node {@code nodeId}: its own inbox when the two are equal,
     * a dead or departed node's inbox during a takeover (docs/06-graceful-shutdown.md, "Takeover").
     */
    public InboxConsumer(UnifiedJedis redis, String nodeId, String inboxOwner, SessionMap sessions,
                         SessionStore store, int batchSize, long undeliverableMillis, long retryMillis) {
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
        boolean groupReady = false;
        long nextRetry = 0;
        long backoff = 100;
        boolean down = false;
        while (running) {
            try {
                if (!groupReady) {
                    createGroup();
                    if (!inboxOwner.equals(nodeId)) {
                        claimOrphans();
                    }
                    groupReady = true;
                }
                long now = System.currentTimeMillis();
                boolean pendingLeft = false;
                if (now >= nextRetry) {
                    // Pending entries: read before a crash and never acknowledged, or waiting for their user.
                    List<StreamEntryBinary> pending = read(PENDING, 0);
                    pendingLeft = !pending.isEmpty();
                    process(pending);
                    nextRetry = now + retryMillis;
                }
                List<StreamEntryBinary> fresh = read(StreamEntryID.XREADGROUP_UNDELIVERED_ENTRY, 500);
                if (crashAfterNextRead && !fresh.isEmpty()) {
                    log.warn("test hook: stopping after reading {} entries, before delivering them", fresh.size());
                    return;
                }
                process(fresh);
                idle = fresh.isEmpty() && !pendingLeft && redis.xlen(keyBytes) == 0;
                if (idle && System.currentTimeMillis() >= stopWhenIdleAfter) {
                    log.info("inbox {} is empty and no longer written to; consumer {} stops", key, nodeId);
                    return;
                }
                if (down) {
                    log.info("Redis is back; inbox {} is being consumed again", key);
                    down = false;
                }
                backoff = 100;
            } catch (JedisDataException e) {
                if (e.getMessage() != null && e.getMessage().startsWith("NOGROUP")) {
                    groupReady = false; // Redis restarted without persistence: the stream and group are gone
                } else {
                    log.warn("inbox {}: {}", key, e.toString());
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

    /** A takeover starts by making every entry still pending for the departed consumer its own. */
    private void claimOrphans() {
        StreamEntryID cursor = new StreamEntryID(0, 0);
        int claimed = 0;
        do {
            Map.Entry<StreamEntryID, List<StreamEntryID>> page = redis.xautoclaimJustId(key, RedisKeys.GROUP,
                    nodeId, 0, cursor, XAutoClaimParams.xAutoClaimParams().count(batchSize));
            claimed += page.getValue().size();
            cursor = page.getKey();
        } while (!cursor.equals(new StreamEntryID(0, 0)));
        log.info("took over {} pending entries of {}", claimed, key);
    }

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
        List<Unresolved> unresolved = new ArrayList<>();
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
                kick(entry.getKick());
                done.add(raw.getID());
            } else {
                List<String> missing = deliverLocally(entry.getDelivery());
                if (missing.isEmpty()) {
                    done.add(raw.getID());
                } else {
                    unresolved.add(new Unresolved(raw.getID(), entry, missing));
                }
            }
        }
        try (AbstractPipeline pipeline = redis.pipelined()) {
            if (!unresolved.isEmpty()) {
                chase(unresolved, pipeline, done);
            }
            if (!done.isEmpty()) {
                StreamEntryID[] ids = done.toArray(StreamEntryID[]::new);
                pipeline.xack(key, RedisKeys.GROUP, ids);
                pipeline.xdel(key, ids); // acknowledged entries are of no further use: keep the stream small
            }
            pipeline.sync();
        }
    }

    /** Writes the message to every recipient connected here; returns those who are not. */
    private List<String> deliverLocally(Delivery delivery) {
        List<String> uids = delivery.getToUidsList();
        List<String> missing = sessions.deliver(uids, Replies.message(delivery.getMessage()));
        delivered += uids.size() - missing.size();
        return missing;
    }
    // end::process[]

    /**
     * Recipients who are not here (any more): follow them to the node their session now names, keep the entry
     * pending while they might still come back here (a reconnect in progress), give up after the configured time.
     */
    private void chase(List<Unresolved> unresolved, AbstractPipeline pipeline, List<StreamEntryID> done) {
        Set<String> uids = new HashSet<>();
        unresolved.forEach(u -> uids.addAll(u.uids()));
        Map<String, SessionRef> owners = store.lookup(uids);
        long now = System.currentTimeMillis();
        for (Unresolved u : unresolved) {
            Map<String, List<String>> elsewhere = new LinkedHashMap<>();
            List<String> waiting = new ArrayList<>();
            for (String uid : u.uids()) {
                SessionRef owner = owners.get(uid);
                if (owner != null && !owner.nodeId().equals(nodeId) && !owner.nodeId().equals(inboxOwner)
                        && u.entry().getHops() < MAX_HOPS) {
                    elsewhere.computeIfAbsent(owner.nodeId(), n -> new ArrayList<>()).add(uid);
                } else {
                    waiting.add(uid);
                }
            }
            elsewhere.forEach((node, members) -> Forwarder.xadd(pipeline, node, u.entry().toBuilder()
                    .setDelivery(u.entry().getDelivery().toBuilder().clearToUids().addAllToUids(members))
                    .setHops(u.entry().getHops() + 1).build()));
            boolean expired = now - u.entry().getFirstQueuedAt() > undeliverableMillis;
            if (waiting.isEmpty() || expired) {
                if (expired && !waiting.isEmpty()) {
                    log.warn("giving up message {} for {}: not connected anywhere for {} ms",
                            u.entry().getDelivery().getMessage().getMsgId(), waiting, undeliverableMillis);
                }
                done.add(u.id());
            } else if (!elsewhere.isEmpty() || waiting.size() < u.entry().getDelivery().getToUidsCount()) {
                // Partly delivered: re-queue only the users still awaited, so nobody gets a second copy.
                Forwarder.xadd(pipeline, inboxOwner, u.entry().toBuilder()
                        .setDelivery(u.entry().getDelivery().toBuilder().clearToUids().addAllToUids(waiting))
                        .build());
                done.add(u.id());
            }
            // else: nobody could be reached: the entry stays pending and is retried every retryMillis.
        }
    }

    private void kick(Kick kick) {
        Channel channel = sessions.find(kick.getUid());
        if (channel != null && kick.getSessionId().equals(channel.attr(SessionMap.SESSION_ID).get())) {
            log.info("{} logged in on another node; closing its connection here", kick.getUid());
            channel.writeAndFlush(Replies.error(ErrorCode.KICKED, kick.getUid() + " logged in on another node"))
                    .addListener(ChannelFutureListener.CLOSE);
        }
    }

    /**
     * Test hook: the consumer stops right after its next non-empty read, before delivering, as a process killed at
     * that instant would. The entries stay pending in Redis.
     */
    public void crashAfterNextRead() {
        crashAfterNextRead = true;
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

    @Override
    public void close() {
        running = false;
        try {
            thread.join(2_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
