package com.example.im.route;

import com.example.im.protocol.ChatMessage;
import com.google.protobuf.InvalidProtocolBufferException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import redis.clients.jedis.AbstractPipeline;
import redis.clients.jedis.Response;
import redis.clients.jedis.UnifiedJedis;
import redis.clients.jedis.exceptions.JedisDataException;
import redis.clients.jedis.params.SetParams;

/**
 * Each user's mailbox in Redis (docs/07-reliable-delivery.md, "The mailbox in Redis"): every message to the user, in
 * order, numbered by the user's own sequence (consecutive numbers from where the counter started). Every key of one user carries the hash tag {@code {uid}}, and no
 * command or script touches two users' keys, so the layout runs on Redis Cluster unchanged. Every call is a
 * blocking Redis round trip: never call it on an event-loop thread.
 */
public final class MailboxStore {

    // tag::append[]
    /**
     * Appends messages to one recipient's mailbox, in order, each once per msg_id: all of a batch's messages to that
     * user in one script (a script costs Redis more than the commands in it: one per message made Redis stage 7's
     * bottleneck). KEYS: the user's counter, mailbox and the counter's start, then the idempotency record of each
     * message's msg_id; ARGV: the most entries to keep, the longest to keep them (ms), then each message (without
     * its seq). Returns each message's seq: a new one, or the one it got the first time (a retry). Trimming is
     * bounded work per call: the count exactly, the age 64 entries at a time, and only when the oldest entry has
     * expired. A mailbox nobody appends to any more expires whole once its newest entry is older than the
     * retention; its counter stays (a reader is told the range was trimmed, and the next append continues the
     * sequence). A mailbox key of the wrong type is refused before the counter moves: a refused append must not
     * leave a hole in the sequence, which a reader would report as a trimmed range.
     *
     * <p>A new counter starts at Redis' clock in microseconds, not at 0. A mailbox Redis lost (a restart without
     * persistence) is created again above every seq it ever gave: starting at 0 again, its new messages would get
     * seqs the client already has, and the client would drop them as duplicates after they were acknowledged.
     * Numbers are formatted with %d: Lua's own tostring keeps 14 digits, and a seq has 16.
     */
    static final String APPEND = """
            local kind = redis.call('TYPE', KEYS[2]).ok
            if kind ~= 'none' and kind ~= 'stream' then
              return redis.error_reply('WRONGTYPE the mailbox ' .. KEYS[2] .. ' is a ' .. kind)
            end
            local time = redis.call('TIME')
            local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
            local seqs = {}
            local added = false
            for i = 4, #KEYS do
              local seen = redis.call('GET', KEYS[i])
              if seen then
                seqs[#seqs + 1] = tonumber(seen)
              else
                local seq = redis.call('INCR', KEYS[1])
                if seq == 1 then
                  local start = time[1] .. string.format('%06d', tonumber(time[2]))
                  redis.call('SET', KEYS[1], start)
                  redis.call('SET', KEYS[3], start)
                  seq = redis.call('INCR', KEYS[1])
                end
                redis.call('XADD', KEYS[2], 'MAXLEN', ARGV[1], string.format('%d-0', seq), 'm', ARGV[i - 1], 't', now)
                redis.call('SET', KEYS[i], seq, 'PX', ARGV[2])
                seqs[#seqs + 1] = seq
                added = true
              end
            end
            if not added then
              return seqs
            end
            redis.call('PEXPIRE', KEYS[2], ARGV[2])
            local cutoff = now - tonumber(ARGV[2])
            local oldest = redis.call('XRANGE', KEYS[2], '-', '+', 'COUNT', 1)
            if #oldest == 0 or tonumber(oldest[1][2][4]) >= cutoff then
              return seqs -- the usual case: nothing has expired, and one entry read says so
            end
            local head = redis.call('XRANGE', KEYS[2], '-', '+', 'COUNT', 64)
            for i, entry in ipairs(head) do
              if tonumber(entry[2][4]) >= cutoff then
                if i > 1 then
                  redis.call('XTRIM', KEYS[2], 'MINID', entry[1])
                end
                return seqs
              end
            end
            if #head > 0 then
              -- All of the first 64 are too old (the new entries are not among them): trim them, the rest next time.
              local last = head[#head][1]
              redis.call('XTRIM', KEYS[2], 'MINID', string.format('%d-0', tonumber(string.match(last, '^%d+')) + 1))
            end
            return seqs""";
    // end::append[]

    /** The acknowledged cursor only moves forward: a late or repeated ack cannot take it back. */
    static final String ACKNOWLEDGE = """
            local current = tonumber(redis.call('GET', KEYS[1]) or '0')
            local seq = tonumber(ARGV[1])
            if seq > current then
              redis.call('SET', KEYS[1], ARGV[1])
              return seq
            end
            return current""";

    /** How much of a mailbox Redis keeps: at most {@code maxEntries}, none older than {@code maxAgeMillis}. */
    public record Retention(long maxEntries, long maxAgeMillis) {
        public Retention {
            if (maxEntries < 1 || maxAgeMillis < 1) {
                throw new IllegalArgumentException("retention needs at least 1 entry and 1 ms, got " + maxEntries
                        + " entries and " + maxAgeMillis + " ms");
            }
        }
    }

    /**
     * What a read found: the messages (each with its seq set), in order; the range before them that retention
     * trimmed before the reader got it ({@code trimmedFrom..trimmedTo}, empty when {@code trimmedTo < trimmedFrom});
     * and the newest seq of the mailbox.
     */
    public record Page(List<ChatMessage> messages, long trimmedFrom, long trimmedTo, long latest) {
        public boolean trimmed() {
            return trimmedTo >= trimmedFrom;
        }
    }

    private static final byte[] APPEND_BYTES = APPEND.getBytes(StandardCharsets.UTF_8);
    private static final byte[] FIELD_MESSAGE = "m".getBytes(StandardCharsets.UTF_8);

    /**
     * Stage 9: how many replicas of this server are online (keyed: a cluster runs it on the server of KEYS[1]). A
     * WAIT for more replicas than are online always waits its whole timeout; this says so in one round trip.
     */
    static final String ONLINE_REPLICAS = """
            local n = 0
            for _ in string.gmatch(redis.call('INFO', 'replication'), 'state=online') do n = n + 1 end
            return n""";

    /** How long after a read found too few replicas the next reads look before they wait (ms). */
    static final long RECHECK_MILLIS = 30_000;

    private final UnifiedJedis redis;
    private final Retention retention;
    private volatile int readReplicas;
    private volatile long readWaitMillis = 1_000;
    private volatile long recheckUntil;

    public MailboxStore(UnifiedJedis redis, Retention retention) {
        this.redis = redis;
        this.retention = retention;
    }

    /**
     * Stage 9: {@link #read} returns only what {@code replicas} replicas already have (docs/09-scale-out.md, "Failover
     * windows"). A message pushed to its recipient before it reached a replica could die with its
     * master; the promoted replica's counter would then be behind what the recipient has shown, and the next message
     * would get a seq the recipient drops as a duplicate. 0: read what the server has (one Redis, as in stage 8).
     */
    public MailboxStore replicatedReads(int replicas, long waitMillis) {
        if (replicas < 0 || waitMillis < 1) {
            throw new IllegalArgumentException("replicas >= 0 and waitMillis >= 1, got " + replicas + ", "
                    + waitMillis);
        }
        this.readReplicas = replicas;
        this.readWaitMillis = waitMillis;
        return this;
    }

    /** {@code im:pulled:{uid}}: a short-lived write after a read, so that WAIT can count the read's position. */
    static String pulledKey(String uid) {
        return "im:pulled:{" + uid + "}";
    }

    public Retention retention() {
        return retention;
    }

    // --- keys: one user's keys share the hash tag {uid} ------------------------------------------------------

    /** {@code im:seq:{uid}}: the user's sequence, the seq of the newest message ever appended. */
    public static String seqKey(String uid) {
        return "im:seq:{" + uid + "}";
    }

    /**
     * {@code im:start:{uid}}: where the user's sequence started (Redis' clock in microseconds when the counter was
     * created): the mailbox's first seq is one more. A reader with nothing yet is told of trims after it only.
     */
    public static String startKey(String uid) {
        return "im:start:{" + uid + "}";
    }

    /** {@code im:mbox:{uid}}: a stream whose entry ids are the seqs ({@code 7-0} is message 7). */
    public static String mailboxKey(String uid) {
        return "im:mbox:{" + uid + "}";
    }

    /** {@code im:got:{uid}:<msg_id>}: the seq a message got in this mailbox; a retry finds it. */
    public static String receivedKey(String uid, String msgId) {
        return "im:got:{" + uid + "}:" + msgId;
    }

    /** {@code im:ack:{uid}}: the highest seq the user's client acknowledged (everything up to it was shown). */
    public static String ackKey(String uid) {
        return "im:ack:{" + uid + "}";
    }

    /** {@code im:cmid:{from}:<client_msg_id>}: the msg_id the server gave a client's message the first time. */
    public static String clientMsgIdKey(String from, String clientMsgId) {
        return "im:cmid:{" + from + "}:" + clientMsgId;
    }

    // --- writes ----------------------------------------------------------------------------------------------

    /**
     * The msg_id of the sender's message {@code clientMsgId}: {@code proposed} the first time, the first answer on
     * every retry (also one racing on another connection). Kept as long as the mailboxes keep messages.
     */
    public String claimMsgId(String from, String clientMsgId, String proposed) {
        Response<String> winner;
        try (AbstractPipeline pipeline = redis.pipelined()) {
            winner = claimMsgId(pipeline, from, clientMsgId, proposed);
            pipeline.sync();
        }
        return winner.get() != null ? winner.get() : proposed;
    }

    /**
     * {@link #claimMsgId} in a pipeline: {@code SET NX PX}, then {@code GET}, in one round trip; the response is the
     * msg_id that won ({@code proposed} the first time). Two plain commands, not a script (a script costs Redis
     * several times more) and not {@code SET NX GET} (Redis accepts NX with GET only from 7.0; the stages run on
     * 6.2): once set, the key does not change until it expires, so whatever runs between the two, GET reads the
     * winner.
     */
    public Response<String> claimMsgId(AbstractPipeline pipeline, String from, String clientMsgId, String proposed) {
        String key = clientMsgIdKey(from, clientMsgId);
        pipeline.set(key, proposed, SetParams.setParams().nx().px(retention.maxAgeMillis()));
        return pipeline.get(key);
    }

    /** Appends {@code message} to {@code uid}'s mailbox once per msg_id and returns its seq there. */
    public long append(String uid, ChatMessage message) {
        return seqs(redis.eval(APPEND_BYTES, keys(uid, List.of(message)), args(List.of(message)))).get(0);
    }

    /**
     * {@link #append} of several messages to one user, in this order, in a pipeline: one script for all of them.
     * The response is their seqs, in the same order ({@link #seqs}).
     */
    public Response<Object> append(AbstractPipeline pipeline, String uid, List<ChatMessage> messages) {
        return pipeline.eval(APPEND_BYTES, keys(uid, messages), args(messages));
    }

    /** The seqs an append script answered, in its messages' order. */
    public static List<Long> seqs(Object reply) {
        List<Long> seqs = new ArrayList<>();
        for (Object seq : (List<?>) reply) {
            seqs.add((Long) seq);
        }
        return seqs;
    }

    private static List<byte[]> keys(String uid, List<ChatMessage> messages) {
        List<byte[]> keys = new ArrayList<>(3 + messages.size());
        keys.add(bytes(seqKey(uid)));
        keys.add(bytes(mailboxKey(uid)));
        keys.add(bytes(startKey(uid)));
        messages.forEach(m -> keys.add(bytes(receivedKey(uid, m.getMsgId()))));
        return keys;
    }

    private List<byte[]> args(List<ChatMessage> messages) {
        List<byte[]> args = new ArrayList<>(2 + messages.size());
        args.add(bytes(Long.toString(retention.maxEntries())));
        args.add(bytes(Long.toString(retention.maxAgeMillis())));
        // The seq is the entry's id: stored once, set on the message when it is read.
        messages.forEach(m -> args.add(m.toBuilder().clearSeq().build().toByteArray()));
        return args;
    }

    /** Moves {@code uid}'s acknowledged cursor up to {@code seq} (never back); returns the cursor. */
    public long acknowledge(String uid, long seq) {
        return (Long) redis.eval(ACKNOWLEDGE, List.of(ackKey(uid)), List.of(Long.toString(seq)));
    }

    // --- reads -----------------------------------------------------------------------------------------------

    /** The highest seq {@code uid}'s client acknowledged; 0 when it never did. */
    public long acknowledged(String uid) {
        return parse(redis.get(ackKey(uid)));
    }

    /** The newest seq of each user's mailbox (0 for none): one pipelined GET per user, one round trip. */
    public Map<String, Long> latest(Collection<String> uids) {
        Map<String, Response<String>> responses = new LinkedHashMap<>();
        try (AbstractPipeline pipeline = redis.pipelined()) {
            for (String uid : uids) {
                responses.put(uid, pipeline.get(seqKey(uid)));
            }
            pipeline.sync();
        }
        Map<String, Long> latest = new LinkedHashMap<>();
        responses.forEach((uid, response) -> latest.put(uid, parse(response.get())));
        return latest;
    }

    /**
     * Up to {@code limit} messages of {@code uid} after seq {@code after}, in order, and what was trimmed first.
     *
     * <p>The counter is read before the range, not after: other clients' appends may run between the two commands.
     * Read after, a counter could name a message appended after the range was read, and an empty range would then
     * report it as trimmed (a Gap for a message that exists: lost). Read before, every seq up to the counter was
     * appended (the script moves counter and stream together), so a hole in the range is a real trim.
     */
    public Page read(String uid, long after, int limit) {
        Response<List<Object>> range;
        Response<String> newest;
        Response<String> start;
        Response<Long> replicated = null;
        int replicas = readReplicas;
        if (replicas > 0 && System.currentTimeMillis() < recheckUntil) {
            refuseWithoutReplicas(uid, replicas);
        }
        try (AbstractPipeline pipeline = redis.pipelined()) {
            newest = pipeline.get(seqKey(uid));
            start = pipeline.get(startKey(uid));
            range = pipeline.xrange(bytes(mailboxKey(uid)), bytes((after + 1) + "-0"), bytes("+"), limit);
            if (replicas > 0) {
                // tag::replicated-read[]
                // Stage 9: WAIT counts this connection's writes only, and a read is no write. A tiny write right
                // after the read (same connection, same server: the {uid} slot) takes the replication offset of that
                // moment, which covers every append the read saw; WAIT then returns once a replica is there.
                pipeline.set(pulledKey(uid), "1", SetParams.setParams().px(1_000));
                replicated = pipeline.waitReplicas(mailboxKey(uid), replicas, readWaitMillis);
                // end::replicated-read[]
            }
            pipeline.sync();
        }
        if (replicated != null && replicated.get() < replicas) {
            recheckUntil = System.currentTimeMillis() + RECHECK_MILLIS;
            throw new JedisDataException("NOREPLICA the mailbox of " + uid + " reached " + replicated.get() + " of "
                    + replicas + " replica(s) within " + readWaitMillis + " ms; nothing pushed until it does");
        }
        long counted = parse(newest.get());
        List<ChatMessage> messages = new ArrayList<>();
        for (Object raw : range.get()) {
            List<?> entry = (List<?>) raw;
            long seq = seqOf((byte[]) entry.get(0));
            List<?> fields = (List<?>) entry.get(1);
            byte[] body = null;
            for (int i = 0; i + 1 < fields.size(); i += 2) {
                if (java.util.Arrays.equals((byte[]) fields.get(i), FIELD_MESSAGE)) {
                    body = (byte[]) fields.get(i + 1);
                }
            }
            try {
                messages.add(ChatMessage.parseFrom(body).toBuilder().setSeq(seq).build());
            } catch (InvalidProtocolBufferException | NullPointerException e) {
                throw new IllegalStateException("mailbox of " + uid + ": entry " + seq + " is not a message", e);
            }
        }
        long latest = messages.isEmpty() ? counted : Math.max(counted, messages.get(messages.size() - 1).getSeq());
        long first = messages.isEmpty() ? counted + 1 : messages.get(0).getSeq();
        // A reader that has nothing yet (0) is told of what was trimmed after the mailbox's start, not of the seqs
        // below it, which no message ever had. A reader with seqs below the start has them from a mailbox Redis
        // lost: from there on is reported, because messages it never got may have been lost with it.
        long from = after == 0 ? Math.max(1, parse(start.get()) + 1) : after + 1;
        return new Page(List.copyOf(messages), from, first - 1, latest);
    }

    /**
     * Stage 9: while some read lately found too few replicas, a read first asks its server how many are online, and
     * is refused at once when too few are. Its WAIT would wait {@code readWaitMillis} for nothing, on the push lane
     * the user shares with a quarter of the node's users: a master left without a replica would hold up the pushes
     * of users on healthy masters, a second per such user on their lane (ReplicaLessMasterReviewTest). A server
     * that will not say (INFO refused) is waited for as before.
     */
    private void refuseWithoutReplicas(String uid, int replicas) {
        long online;
        try {
            online = (Long) redis.eval(ONLINE_REPLICAS, List.of(mailboxKey(uid)), List.of());
        } catch (JedisDataException e) {
            return;
        }
        if (online < replicas) {
            recheckUntil = System.currentTimeMillis() + RECHECK_MILLIS;
            throw new JedisDataException("NOREPLICA the mailbox of " + uid + " is on a server with " + online
                    + " of " + replicas + " replica(s) online; nothing pushed until it has them");
        }
    }

    private static long seqOf(byte[] id) {
        String text = new String(id, StandardCharsets.US_ASCII);
        return Long.parseLong(text.substring(0, text.indexOf('-')));
    }

    private static long parse(String value) {
        return value == null ? 0 : Long.parseLong(value);
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
