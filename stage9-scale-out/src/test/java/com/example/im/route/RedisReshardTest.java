package com.example.im.route;

import static com.example.im.route.RedisFailoverTest.assertEveryAcknowledgedMessageArrivesOnceInOrder;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.example.im.route.RedisFailoverTest.Sender;
import com.example.im.server.ChatServer;
import com.example.im.testkit.RedisClusterExtension;
import java.time.Duration;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.util.JedisClusterCRC16;

/**
 * A slot moved to another master while it is written (docs/09-scale-out.md, "Slots and hash tags"): the resharding
 * a growing cluster does. While the slot's keys move one by one, a client asking the old master for a key that has
 * gone gets ASK, a script over several of the slot's keys split between the two masters gets TRYAGAIN, and after the
 * move every stale slot map gets MOVED. Jedis follows ASK and MOVED for single commands; a pipeline or a script that
 * meets one fails, the send is refused, and the client's retry (same client_msg_id) goes through. Nothing
 * acknowledged is lost, shown twice or reordered.
 */
class RedisReshardTest {

    private static final Logger log = LoggerFactory.getLogger(RedisReshardTest.class);
    private static final Pattern REDIRECTS = Pattern.compile("(?m)^errorstat_(ASK|MOVED|TRYAGAIN):count=(\\d+)");

    @RegisterExtension
    final RedisClusterExtension redis = new RedisClusterExtension(3, 1, 2000);

    private Nodes nodes;

    @BeforeEach
    void setUp() {
        nodes = new Nodes(redis.uri(), 30_000);
    }

    @AfterEach
    void tearDown() throws Exception {
        nodes.close();
    }

    @Test
    void aSlotMovedUnderTrafficLosesDuplicatesAndReordersNothing() throws Exception {
        ChatServer a = nodes.start();
        ChatServer b = nodes.start();
        List<String> recipients = List.of("rita", "rob");
        int slot = JedisClusterCRC16.getSlot(MailboxStore.mailboxKey("rita"));
        int source = redis.cluster().masterOfSlot(slot);
        int target = redis.cluster().masterPorts().stream().filter(p -> p != source).findFirst().orElseThrow();

        try (RedisFailoverTest.Traffic traffic = new RedisFailoverTest.Traffic(a, b, recipients, "sue", 3)) {
            List<Sender> senders = traffic.senders;
            await().atMost(Duration.ofSeconds(10)).until(() -> senders.stream().allMatch(s -> s.acked.size() >= 5));

            long before = redirects();
            long started = System.nanoTime();
            int moved = redis.cluster().moveSlot(slot, target, Duration.ofMillis(30));
            long movedAt = System.nanoTime();
            // Traffic goes on until every sender got messages to rita through the slot's new master.
            traffic.awaitAcknowledgedAfter("rita", movedAt, 3);
            long redirects = redirects() - before;
            log.info("slot {} moved from 127.0.0.1:{} to 127.0.0.1:{} under traffic: {} keys in {} ms; redirections"
                            + " answered (ASK, MOVED, TRYAGAIN) {}; refusals (UNAVAILABLE) {}; messages acknowledged {}",
                    slot, source, target, moved, (movedAt - started) / 1_000_000, redirects,
                    senders.stream().mapToInt(s -> s.refusals).sum(),
                    senders.stream().mapToInt(s -> s.acked.size()).sum());
            traffic.stop();
            assertThat(redis.cluster().masterOf(MailboxStore.mailboxKey("rita"))).isEqualTo(target);
            assertThat(moved).as("keys of rita's slot moved one by one").isGreaterThan(5);
            assertThat(redirects).as("the nodes were sent ASK, MOVED or TRYAGAIN: the move happened under their"
                    + " feet").isPositive();
            assertEveryAcknowledgedMessageArrivesOnceInOrder(senders, traffic.inboxes);
        }
    }

    /** ASK, MOVED and TRYAGAIN replies every node has sent so far (INFO errorstats). */
    private long redirects() {
        long total = 0;
        for (int port : redis.cluster().masterPorts()) {
            try (Jedis jedis = new Jedis("127.0.0.1", port)) {
                Matcher m = REDIRECTS.matcher(jedis.info("errorstats"));
                while (m.find()) {
                    total += Long.parseLong(m.group(2));
                }
            }
        }
        return total;
    }
}
