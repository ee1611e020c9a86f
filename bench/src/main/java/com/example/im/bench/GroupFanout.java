package com.example.im.bench;

import com.example.im.bench.Load.Conn;
import com.example.im.bench.Meter.Result;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

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
        for (Group group : groups) {
            fanout.listen(group);
        }
        for (Group group : groups) {
            for (int i = 0; i < window; i++) {
                fanout.send(group, System.nanoTime());
            }
        }
        return fanout.meter.measure(label, warmupSeconds, seconds, Bench.NODE_THREADS);
    }

    private void listen(Group group) {
        int perMessage = group.members().size();
        AtomicLong deliveries = new AtomicLong();
        group.sender().onFrame = frame -> {
            if (frame.hasError()) {
                meter.fail(group.sender().uid + " got " + frame.getError().getCode() + ": "
                        + frame.getError().getText());
            }
        };
        meter.watch(group.sender());
        for (Conn member : group.members()) {
            member.onFrame = frame -> {
                if (!frame.hasChat()) {
                    return;
                }
                long now = System.nanoTime();
                meter.delivered(Load.stamp(frame), now);
                if (deliveries.incrementAndGet() % perMessage == 0 && meter.sending()) {
                    send(group, now);
                }
            };
            meter.watch(member);
        }
    }

    private void send(Group group, long stamp) {
        List<String> to = group.memberUids();
        meter.sent.add(to.size());
        if (oneFrame) {
            group.sender().sendBatched(Load.group(to, stamp, size));
        } else {
            for (String uid : to) {
                group.sender().sendBatched(Load.chat(uid, stamp, size)); // 方式一's frames: one flush for all
            }
        }
    }
}
