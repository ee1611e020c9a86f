package com.example.im.route;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.example.im.client.Shown;
import com.example.im.protocol.ChatMessage;
import com.example.im.server.ChatServer;
import com.example.im.testkit.RedisExtension;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import redis.clients.jedis.RedisClient;

/**
 * A group of 100 on two nodes, three members sending at once, and members who are away: twenty never logged in until
 * the end, twenty logged out half-way and came back on the other node with a new client (no local state). Every
 * member is shown every group message of the others exactly once, in seq order, and each sender's messages in the
 * order they were sent; the absent ones at their next login.
 */
class GroupDeliveryTest {

    @RegisterExtension
    static final RedisExtension redis = new RedisExtension();

    private static final int MEMBERS = 100;
    private static final int PER_SENDER_PER_PHASE = 10;
    private static final List<String> SENDERS = List.of("g00", "g01", "g02");

    private static String member(int i) {
        return String.format("g%02d", i);
    }

    /** The three senders send {@code from..to-1} each, all at once, and wait for their acknowledgements. */
    private static void sendAll(Map<String, Nodes.User> users, List<String> group, int from, int to)
            throws InterruptedException {
        List<Thread> threads = SENDERS.stream().map(s -> new Thread(() -> {
            for (int i = from; i < to; i++) {
                assertThat(users.get(s).client().sendGroup(group, s + "#" + i)).isTrue();
            }
        })).toList();
        threads.forEach(Thread::start);
        for (Thread t : threads) {
            t.join();
        }
        for (String s : SENDERS) {
            await().atMost(Duration.ofSeconds(20)).until(() -> users.get(s).client().unacknowledged() == 0);
            assertThat(users.get(s).replies()).as("%s's sends", s).allMatch(r -> r.hasSendAck());
        }
    }

    @Test
    void everyMemberIsShownEveryGroupMessageOnceInOrderOfflineOnesAtTheirNextLogin() throws Exception {
        try (Nodes nodes = new Nodes(redis.uri(), 30_000)) {
            long t0 = System.nanoTime();
            RedisClient inspect = nodes.redis();
            inspect.flushAll();
            ChatServer[] on = {nodes.start(), nodes.start()};
            List<String> group = IntStream.range(0, MEMBERS).mapToObj(GroupDeliveryTest::member).toList();
            Map<String, Nodes.User> users = new HashMap<>();
            for (int i = 0; i < 80; i++) { // g80..g99 are not logged in
                users.put(member(i), nodes.login(on[i % 2], member(i)));
            }
            int half = PER_SENDER_PER_PHASE;
            sendAll(users, group, 0, half);

            // g60..g79 read and acknowledge what was sent so far, then log out.
            Map<String, List<ChatMessage>> before = new HashMap<>();
            int firstPhase = SENDERS.size() * half;
            List<Nodes.User> leaving = IntStream.range(60, 80).mapToObj(i -> users.get(member(i))).toList();
            await().atMost(Duration.ofSeconds(20)).until(() -> leaving.stream().allMatch(u ->
                    Shown.of(u.seen()).size() == firstPhase
                            && Long.toString(Shown.of(u.seen()).get(firstPhase - 1).getSeq())
                                    .equals(inspect.get(MailboxStore.ackKey(u.uid())))));
            for (Nodes.User u : leaving) {
                before.put(u.uid(), Shown.of(u.seen()));
                u.client().close();
            }
            sendAll(users, group, half, 2 * half);
            for (int i = 60; i < MEMBERS; i++) { // back (or there for the first time), on the other node
                users.put(member(i), nodes.login(on[(i + 1) % 2], member(i)));
            }

            Map<String, List<String>> expected = new HashMap<>();
            for (String uid : group) {
                List<String> texts = new ArrayList<>();
                SENDERS.stream().filter(s -> !s.equals(uid)).forEach(s -> IntStream.range(0, 2 * half)
                        .forEach(i -> texts.add(s + "#" + i)));
                expected.put(uid, texts);
            }
            await().atMost(Duration.ofSeconds(30)).until(() -> group.stream().allMatch(uid ->
                    shownTo(uid, before, users).size() >= expected.get(uid).size()));
            for (String uid : group) {
                assertShownOnceInSendersOrder(uid, shownTo(uid, before, users), expected.get(uid));
            }
            System.out.printf("100 members, 60 group messages, all shown and checked in %d ms%n",
                    (System.nanoTime() - t0) / 1_000_000);
        }
    }

    /** What {@code uid} was shown: on the client it logged out of, if any, then on its current one. */
    private static List<ChatMessage> shownTo(String uid, Map<String, List<ChatMessage>> before,
                                             Map<String, Nodes.User> users) {
        List<ChatMessage> shown = new ArrayList<>(before.getOrDefault(uid, List.of()));
        shown.addAll(Shown.of(users.get(uid).seen()));
        return shown;
    }

    /**
     * {@code shown} holds each of {@code expected} once, nothing else, with consecutive seqs (no hole), and each
     * sender's messages in the order sent (the senders' messages interleave differently in each mailbox).
     */
    private static void assertShownOnceInSendersOrder(String uid, List<ChatMessage> shown, List<String> expected) {
        assertThat(shown.stream().map(ChatMessage::getContent).toList()).as("what %s was shown", uid)
                .containsExactlyInAnyOrderElementsOf(expected);
        Shown.assertConsecutive(uid, shown);
        for (String sender : SENDERS) {
            String prefix = sender + "#";
            assertThat(shown.stream().map(ChatMessage::getContent).filter(c -> c.startsWith(prefix)).toList())
                    .as("%s's messages as %s saw them", sender, uid)
                    .containsExactlyElementsOf(expected.stream().filter(c -> c.startsWith(prefix)).toList());
        }
    }
}
