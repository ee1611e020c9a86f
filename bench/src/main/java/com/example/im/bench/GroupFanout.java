package com.example.im.bench;

import com.example.im.bench.Load.Conn;
import com.example.im.bench.Load.Template;
import com.example.im.bench.Meter.Result;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongConsumer;

/**
 * Scenario 5: one sender per group of {@code members} users (the sender included), all on one node (5b: spread over
 * three nodes, see {@code Bench.Scenarios.fanout}). The article's 方式一 sends {@code members - 1} private messages,
 * one per member; 方式二 sends one message with {@code to_uid_list} and lets the server fan it out. Same deliveries
 * either way; what differs is frames from the client, frames decoded, acks and encodings on the server, and across
 * nodes the Redis inbox entries: one per remote member, or one per node.
 */
final class GroupFanout {

    /** A group: the sender and everyone else. */
    record Group(Conn sender, List<Conn> members, List<String> memberUids) {
        static Group of(Conn sender, List<Conn> members) {
            return new Group(sender, members, members.stream().map(c -> c.uid).toList());
        }
    }

    private final Meter meter = new Meter();
    private final boolean oneFrame;
    private final int size;

    private GroupFanout(boolean oneFrame, int size) {
        this.oneFrame = oneFrame;
        this.size = size;
    }

    /**
     * Closed loop: each group keeps {@code window} group messages in flight; every {@code members - 1} deliveries
     * in a group send its next group message. {@code oneFrame}: 方式二; otherwise 方式一.
     */
    static Result run(String label, List<Group> groups, boolean oneFrame, int window, int size,
                      double warmupSeconds, double seconds) {
        GroupFanout fanout = new GroupFanout(oneFrame, size);
        List<LongConsumer> senders = groups.stream().map(fanout::listen).toList();
        for (LongConsumer send : senders) {
            for (int i = 0; i < window; i++) {
                send.accept(System.nanoTime());
            }
        }
        return fanout.meter.measure(label, warmupSeconds, seconds, Bench.NODE_THREADS);
    }

    /**
     * Watches the group's connections; returns what sends the group's next message with a stamp, which every
     * {@code members - 1} deliveries call.
     */
    private LongConsumer listen(Group group) {
        LongConsumer send = sender(group);
        int perMessage = group.members().size();
        AtomicLong deliveries = new AtomicLong();
        meter.watch(group.sender());
        for (Conn member : group.members()) {
            member.onChat = stamp -> {
                long now = System.nanoTime();
                meter.delivered(stamp, now);
                if (deliveries.incrementAndGet() % perMessage == 0 && meter.sending()) {
                    send.accept(now);
                }
            };
            meter.watch(member);
        }
        return send;
    }

    private LongConsumer sender(Group group) {
        Conn sender = group.sender();
        List<String> to = group.memberUids();
        if (oneFrame) {
            Template frame = new Template(Load.group(to, 0, size));
            return stamp -> {
                meter.sent.add(to.size());
                sender.sendBatched(frame, stamp);
            };
        }
        List<Template> frames = to.stream().map(uid -> new Template(Load.chat(uid, 0, size))).toList();
        return stamp -> {
            meter.sent.add(to.size());
            for (Template frame : frames) {
                sender.sendBatched(frame, stamp); // 方式一's frames: one flush for all
            }
        };
    }
}
