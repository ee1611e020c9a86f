package com.example.im.route;

import com.example.im.protocol.ChatMessage;
import com.example.im.protocol.ErrorCode;
import com.example.im.protocol.Replies;
import com.example.im.server.SessionMap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.util.AttributeKey;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Pushes each logged-in user's mailbox to their connection, in order, and resends what the client has not
 * acknowledged (docs/07-reliable-delivery.md, "The flow"). The mailbox in Redis is the truth; a
 * notification only says "look now". So a lost notification, a lost push or a lost acknowledgement costs latency,
 * never a message: the resend timer and the periodic comparison with the mailboxes find every gap.
 *
 * <p>One user's pushes run on one lane (single thread), so two pulls of the same mailbox never interleave their
 * writes. Flow control: at most {@code window} messages pushed and not yet acknowledged per connection; the next
 * page goes out when acknowledgements come back. Every Redis call is blocking: it runs on a lane, never on an event
 * loop.
 */
public final class Pusher implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(Pusher.class);

    /**
     * What one connection has been pushed and has acknowledged. Written only on the user's lane; volatile because
     * the timers and the event loop (a pong's latest seq) read it.
     */
    static final class Cursor {
        volatile long acked;      // every message up to here was shown by the client
        volatile long pushed;     // written to the connection up to here
        volatile long base;       // in flight = pushed - max(acked, base): seqs below a hole (start, trim) never count
        volatile long pushedAt;   // when the oldest unacknowledged push went out, or the last ack came (ms)
        volatile long latest;     // the newest seq of the mailbox, as last seen
        volatile int frameBytes;  // the size of the last message pushed: how many fit before the high-water mark
        // At most one pull and one ack of a connection wait on its lane, whatever the client sends: a flood of pings
        // or acks must not fill the lane that a quarter of the node's users share (a full lane refuses their work).
        final AtomicBoolean pullQueued = new AtomicBoolean();
        final AtomicBoolean ackQueued = new AtomicBoolean();
        final AtomicLong ackAsked = new AtomicLong(); // the seq of the client's newest ack, not yet handled
    }

    /** The cursor of a logged-in connection; absent until the pusher started it (after the session was recorded). */
    public static final AttributeKey<Cursor> CURSOR = AttributeKey.valueOf("im.cursor");

    /** Most messages read from a mailbox at a time: a read of a full window of large messages is megabytes. */
    static final int PAGE = 64;

    private final MailboxStore mailboxes;
    private final SessionMap sessions;
    private final SessionLanes lanes;
    private final int window;
    private final long resendMillis;
    private final ScheduledExecutorService timer;

    /**
     * @param window        most messages pushed and not acknowledged per connection
     * @param resendMillis  an unacknowledged push is sent again after this long
     * @param compareMillis how often every local user's mailbox is compared with what was pushed (a lost notify)
     */
    public Pusher(MailboxStore mailboxes, SessionMap sessions, int window, long resendMillis, long compareMillis) {
        this.mailboxes = mailboxes;
        this.sessions = sessions;
        this.window = window;
        this.resendMillis = resendMillis;
        this.lanes = new SessionLanes("im-push-", 4, 10_000);
        this.timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "im-push-timer");
            t.setDaemon(true);
            return t;
        });
        timer.scheduleWithFixedDelay(guarded("resend", this::resendOverdue), resendMillis,
                Math.max(100, resendMillis / 4), TimeUnit.MILLISECONDS);
        timer.scheduleWithFixedDelay(guarded("comparison", this::compareAll), compareMillis, compareMillis,
                TimeUnit.MILLISECONDS);
    }

    // tag::start[]
    /**
     * Starts pushing to {@code channel}, the connection {@code uid} just logged in on, after {@code lastSeq}: what
     * the client says it has shown. -1: the client kept nothing; resume after the user's acknowledged cursor.
     */
    public boolean start(String uid, Channel channel, long lastSeq) {
        return submit(uid, () -> {
            if (sessions.find(uid) != channel) {
                return; // gone, or replaced by a newer login, before its turn came
            }
            Cursor cursor = new Cursor();
            try {
                cursor.acked = lastSeq >= 0 ? lastSeq : mailboxes.acknowledged(uid);
            } catch (RuntimeException e) {
                // Without a cursor nothing would ever be pushed on this connection: say so, and let it log in again.
                log.warn("{}: acknowledged cursor not read ({}); closing the connection", uid, e.toString());
                channel.writeAndFlush(Replies.error(ErrorCode.UNAVAILABLE, "the mailbox of " + uid
                        + " cannot be read right now; log in again later")).addListener(ChannelFutureListener.CLOSE);
                return;
            }
            cursor.pushed = cursor.acked;
            channel.attr(CURSOR).set(cursor);
            pull(uid, channel, cursor);
        });
    }
    // end::start[]

    /** Users with new messages (a notification, or a message stored on this node): push them now. */
    public void poke(Collection<String> uids) {
        for (String uid : uids) {
            Channel channel = sessions.find(uid);
            // No cursor yet: start() has not run, and its own pull comes after whatever made this poke.
            Cursor cursor = channel == null ? null : channel.attr(CURSOR).get();
            if (cursor != null) {
                queuePull(uid, channel, cursor, false);
            }
        }
    }

    /**
     * Queues a pull of {@code channel}'s mailbox unless one is already waiting (it will see whatever this one would
     * have); a resend first moves the cursor back to what the client acknowledged, if that is still overdue.
     */
    private void queuePull(String uid, Channel channel, Cursor cursor, boolean resend) {
        if (!cursor.pullQueued.compareAndSet(false, true)) {
            return;
        }
        if (!submit(uid, () -> {
            cursor.pullQueued.set(false); // from here on, a new poke queues another pull: none is missed
            if (sessions.find(uid) != channel) {
                return;
            }
            long now = System.currentTimeMillis();
            if (resend && cursor.pushed > cursor.acked && now - cursor.pushedAt >= resendMillis) {
                log.debug("{}: seqs {}..{} unacknowledged for {} ms; pushing them again", uid,
                        cursor.acked + 1, cursor.pushed, now - cursor.pushedAt);
                cursor.pushed = cursor.acked;
                cursor.pushedAt = 0;
            }
            pull(uid, channel, cursor);
        })) {
            cursor.pullQueued.set(false);
        }
    }

    /** The client of {@code channel} has shown every message up to {@code seq}. */
    public void acknowledged(String uid, Channel channel, long seq) {
        Cursor queued = channel.attr(CURSOR).get();
        if (queued == null || seq <= queued.acked) {
            return;
        }
        queued.ackAsked.set(seq); // the newest claim of this connection (acks come in order on its event loop)
        if (!queued.ackQueued.compareAndSet(false, true)) {
            return; // the waiting ack takes this seq too
        }
        if (!submit(uid, () -> {
            Cursor cursor = queued;
            cursor.ackQueued.set(false);
            long shown = cursor.ackAsked.get();
            if (shown <= cursor.acked || cursor.pushed <= cursor.acked) {
                return; // nothing new: an ack beyond what was pushed moves nothing (and costs no Redis call)
            }
            // Never past what was pushed: an ack of something this connection was never sent is a client bug.
            cursor.acked = Math.min(shown, cursor.pushed);
            cursor.pushedAt = System.currentTimeMillis();
            mailboxes.acknowledge(uid, cursor.acked);
            if (sessions.find(uid) == channel) {
                pull(uid, channel, cursor);
            }
        })) {
            queued.ackQueued.set(false);
        }
    }

    /** The newest seq this node has seen in {@code channel}'s mailbox (for a pong); 0 before the first push. */
    public static long latest(Channel channel) {
        Cursor cursor = channel.attr(CURSOR).get();
        return cursor == null ? 0 : cursor.latest;
    }

    // tag::pull[]
    /** Pushes the next page of the mailbox, as far as the window allows. Runs on the user's lane. */
    private void pull(String uid, Channel channel, Cursor cursor) {
        if (!channel.isActive()) {
            return;
        }
        long room = window - inFlight(cursor);
        if (room <= 0) {
            return; // the client has not acknowledged enough yet: its acks bring the next page
        }
        if (!channel.isWritable()) {
            return; // the client has not read what was written yet: its acks, or writability, bring the next page
        }
        MailboxStore.Page page;
        try {
            page = mailboxes.read(uid, cursor.pushed, (int) Math.min(room, fitting(channel, cursor)));
        } catch (RuntimeException e) {
            if (String.valueOf(e.getMessage()).startsWith("NOREPLICA")) {
                // Stage 9: not on a replica yet (a failover left its master alone); every user of that master would
                // say so every pass, so once per user at debug.
                log.debug("mailbox of {} not pushed yet ({}); the next comparison pass tries again", uid,
                        e.getMessage());
                return;
            }
            log.warn("mailbox of {} not read ({}); the next comparison pass tries again", uid, e.toString());
            return;
        }
        cursor.latest = Math.max(cursor.latest, page.latest());
        boolean wrote = false;
        if (page.trimmed()) {
            // Retention removed messages this client never got: say which, instead of a silent hole.
            channel.write(Replies.gap(page.trimmedFrom(), page.trimmedTo()));
            cursor.pushed = page.trimmedTo();
            cursor.base = page.trimmedTo(); // the trimmed range is not in flight
            wrote = true;
        }
        int written = 0;
        // A window counts messages, not bytes: 256 large messages would pile up megabytes behind a socket, and the
        // slow-reader bound would close a client that only logged in with a full mailbox. Stop at the write buffer's
        // high-water mark; the rest follows the client's acks (or writability). Counted here, not read from
        // isWritable(): a write from this thread is queued to the event loop, and counts only a few bytes there
        // until it is encoded.
        long budget = channel.bytesBeforeUnwritable();
        for (ChatMessage message : page.messages()) {
            if (written > 0 && budget <= 0) {
                break;
            }
            if (message.getSeq() > cursor.pushed + 1) {
                // A hole before this message: the seqs below the mailbox's start (a client that has shown nothing
                // yet acknowledged 0, and a sequence starts at Redis' clock in microseconds) or a trimmed range.
                // None of them is in flight: without this, the window looked full after the first message.
                cursor.base = message.getSeq() - 1;
            }
            budget -= message.getSerializedSize();
            channel.write(Replies.message(message));
            cursor.pushed = message.getSeq();
            cursor.frameBytes = message.getSerializedSize();
            written++;
            wrote = true;
        }
        if (wrote) {
            channel.flush();
            if (cursor.pushedAt == 0 || inFlight(cursor) == written) {
                cursor.pushedAt = System.currentTimeMillis();
            }
        }
    }
    // end::pull[]

    /** Messages pushed and not acknowledged (mailbox seqs are consecutive above a hole). */
    private static long inFlight(Cursor cursor) {
        return cursor.pushed - Math.max(cursor.acked, cursor.base);
    }

    /** How many messages to read: a page, or fewer when the last ones were large (no megabytes read for nothing). */
    private static long fitting(Channel channel, Cursor cursor) {
        if (cursor.frameBytes == 0) {
            return PAGE;
        }
        return Math.max(1, Math.min(PAGE, channel.bytesBeforeUnwritable() / cursor.frameBytes + 1));
    }

    // tag::resend[]
    /**
     * Pushes again what a connection was sent and did not acknowledge within {@code resendMillis}: the push or the
     * ack was lost (a connection that died, a client that crashed). The client drops what it already has by seq.
     */
    private void resendOverdue() {
        long now = System.currentTimeMillis();
        for (String uid : sessions.uids()) {
            Channel channel = sessions.find(uid);
            Cursor seen = channel == null ? null : channel.attr(CURSOR).get();
            if (seen == null || seen.pushed <= seen.acked || now - seen.pushedAt < resendMillis) {
                continue;
            }
            if (!channel.isWritable()) {
                continue; // not lost: still waiting behind the socket for a slow client (SlowReaderHandler's case)
            }
            queuePull(uid, channel, seen, true);
        }
    }
    // end::resend[]

    /**
     * Compares every local user's mailbox with what was pushed, in one pipelined round trip: a notification that was
     * lost (its node died after storing, Redis refused the XADD, the queue was full) is found here.
     */
    private void compareAll() {
        List<String> uids = List.copyOf(sessions.uids());
        if (uids.isEmpty()) {
            return;
        }
        Map<String, Long> latest;
        try {
            latest = mailboxes.latest(uids);
        } catch (RuntimeException e) {
            log.debug("mailboxes not compared ({})", e.toString());
            return;
        }
        latest.forEach((uid, newest) -> {
            Channel channel = sessions.find(uid);
            Cursor cursor = channel == null ? null : channel.attr(CURSOR).get();
            if (cursor != null && newest > cursor.pushed) {
                poke(List.of(uid));
            }
        });
    }

    /**
     * A periodic task that survives its own failures: an exception out of a task given to
     * {@code scheduleWithFixedDelay} cancels every later run, silently, and these two are what find lost pushes.
     */
    private static Runnable guarded(String what, Runnable task) {
        return () -> {
            try {
                task.run();
            } catch (RuntimeException e) {
                log.warn("{} pass failed; the next one runs as usual", what, e);
            }
        };
    }

    private boolean submit(String uid, Runnable op) {
        if (!lanes.submit(uid, () -> {
            try {
                op.run();
            } catch (RuntimeException e) {
                log.warn("push work for {} failed", uid, e);
            }
        })) {
            log.debug("push lane of {} full; the comparison pass will catch up", uid);
            return false;
        }
        return true;
    }

    /** Push operations waiting on all lanes (metrics, tests). */
    public int backlog() {
        return lanes.backlog();
    }

    @Override
    public void close() {
        timer.shutdownNow();
        lanes.abort();
    }
}
