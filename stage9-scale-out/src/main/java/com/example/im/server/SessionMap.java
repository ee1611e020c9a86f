package com.example.im.server;

import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import com.example.im.protocol.ErrorCode;
import com.example.im.protocol.Replies;
import com.example.im.protocol.Envelope;
import io.netty.util.AttributeKey;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * The article's SessionMap: which connection each logged-in uid is on. One per server; read and written from every
 * event-loop thread, hence the concurrent map (docs/01-single-node.md, "The SessionMap").
 */
public final class SessionMap {

    /** The session id of a logged-in connection, as stored in Redis (docs/05-redis-forwarding.md). */
    public static final AttributeKey<String> SESSION_ID = AttributeKey.valueOf("im.session-id");

    /**
     * Set once the connection's claim is in Redis. Only claimed sessions are renewed: a renewal that ran before the
     * claim would find the previous owner's session and close the connection that is just logging in.
     */
    public static final AttributeKey<Boolean> CLAIMED = AttributeKey.valueOf("im.claimed");

    private final ConcurrentHashMap<String, Channel> channels = new ConcurrentHashMap<>();

    // tag::bind[]
    /**
     * Makes {@code channel} the session of {@code uid} and returns the channel it replaced, if any: the newest login
     * wins, and the caller tells the old connection why it is being closed.
     */
    public Channel bind(String uid, Channel channel) {
        return channels.put(uid, channel);
    }

    /**
     * Removes the session of {@code uid} only if it is still {@code channel}. When a kicked connection closes, its
     * uid already belongs to the newer connection, and an unconditional remove would log the new one out.
     */
    public boolean remove(String uid, Channel channel) {
        return channels.remove(uid, channel);
    }

    /**
     * Closes {@code channel} because {@code uid} logged in elsewhere, if it still holds the session. It is unbound
     * first, then told why: a message that arrives between the two must go to the new session, not be written to a
     * socket that is closing and counted as delivered. Returns false when the channel had already lost the session.
     */
    public boolean kick(String uid, Channel channel, String why) {
        if (!channels.remove(uid, channel)) {
            return false;
        }
        channel.writeAndFlush(Replies.error(ErrorCode.KICKED, why)).addListener(ChannelFutureListener.CLOSE);
        return true;
    }
    // end::bind[]

    // tag::gate[]
    /**
     * Local delivery, guarded: once {@link #closeForDelivery()} has run (a shutdown is under way), nothing more is
     * written to local connections — a message written after the go-away frame would be lost with the connection.
     * The read lock makes "check, then write" one step against the shutdown's write lock: every write that got in
     * before the gate closed is queued on its connection ahead of the go-away frame.
     */
    private final ReentrantReadWriteLock gate = new ReentrantReadWriteLock();
    private volatile boolean closedForDelivery;

    /** Writes {@code frame} to each of {@code uids} connected here (encoded once); returns the uids that are not. */
    public List<String> deliver(List<String> uids, Envelope frame) {
        List<Channel> targets = new ArrayList<>();
        List<String> missing = new ArrayList<>();
        gate.readLock().lock();
        try {
            for (String uid : uids) {
                Channel channel = closedForDelivery ? null : channels.get(uid);
                if (channel == null) {
                    missing.add(uid);
                } else {
                    targets.add(channel);
                }
            }
            if (!targets.isEmpty()) {
                Fanout.write(targets, frame);
            }
        } finally {
            gate.readLock().unlock();
        }
        return missing;
    }

    /** A message for some recipients, in a batch for {@link #deliverAll}; {@code writes} gets each write's future. */
    public record Outgoing(List<String> uids, Envelope frame, Map<String, ChannelFuture> writes) {
    }

    /**
     * {@link #deliver} for a whole batch (the inbox consumer's): each connection's event loop gets one task with all
     * of the batch's writes to its connections and flushes each connection once ({@link WriteBatch}). The batch is
     * handed over under the gate, like a single delivery. Returns, for each outgoing message in order, the uids that
     * are not connected here.
     */
    public List<List<String>> deliverAll(List<Outgoing> batch) {
        List<List<String>> missing = new ArrayList<>(batch.size());
        WriteBatch writes = new WriteBatch();
        gate.readLock().lock();
        try {
            for (Outgoing out : batch) {
                List<Channel> targets = new ArrayList<>();
                List<String> found = new ArrayList<>();
                List<String> notHere = new ArrayList<>();
                for (String uid : out.uids()) {
                    Channel channel = closedForDelivery ? null : channels.get(uid);
                    if (channel == null) {
                        notHere.add(uid);
                    } else {
                        targets.add(channel);
                        found.add(uid);
                    }
                }
                List<ChannelFuture> futures = writes.add(targets, out.frame());
                for (int i = 0; i < found.size(); i++) {
                    out.writes().put(found.get(i), futures.get(i));
                }
                missing.add(notHere);
            }
            writes.submit();
        } finally {
            gate.readLock().unlock();
        }
        return missing;
    }

    /** From now on {@link #deliver} and {@link #deliverAll} deliver nothing; returns once none is in progress. */
    public void closeForDelivery() {
        gate.writeLock().lock();
        try {
            closedForDelivery = true;
        } finally {
            gate.writeLock().unlock();
        }
    }

    public boolean isClosedForDelivery() {
        return closedForDelivery;
    }
    // end::gate[]

    /** The channel of {@code uid}, or null when the user is not logged in here. */
    public Channel find(String uid) {
        return channels.get(uid);
    }

    public Set<String> uids() {
        return Set.copyOf(channels.keySet());
    }

    public int size() {
        return channels.size();
    }
}
