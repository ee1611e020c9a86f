package com.example.im.route;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.example.im.protocol.ChatMessage;
import com.example.im.testkit.RedisExtension;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import redis.clients.jedis.Protocol;
import redis.clients.jedis.RedisClient;
import redis.clients.jedis.StreamEntryID;

/** The forwarder on its own, against a real Redis that stops answering writes. */
class ForwarderTest {

    @RegisterExtension
    final RedisExtension redis = new RedisExtension();

    private RedisClient client;
    private RedisClient control;
    private Forwarder forwarder;

    @BeforeEach
    void setUp() {
        client = RedisClient.create(java.net.URI.create(redis.uri()));
        control = RedisClient.create(java.net.URI.create(redis.uri()));
    }

    @AfterEach
    void tearDown() {
        control.sendCommand(Protocol.Command.CLIENT, "UNPAUSE");
        if (forwarder != null) {
            forwarder.close();
        }
        client.close();
        control.close();
    }

    @Test
    void theOutcomesOfOneBatchReachTheirEventLoopInOneTask() {
        SessionStore store = new SessionStore(client, 60_000);
        store.claim("bob", new SessionRef("s-bob", "b"));
        control.xgroupCreate(RedisKeys.inbox("b"), RedisKeys.GROUP, new StreamEntryID(0, 0), true);
        forwarder = new Forwarder(client, store);
        ChatMessage message = ChatMessage.newBuilder().setMsgId("m").setFromUid("alice").setToUid("bob")
                .setContent("hello").build();
        // While the forwarder waits for Redis on a first message, a hundred more queue up: its next batch.
        control.sendCommand(Protocol.Command.CLIENT, "PAUSE", "30000", "WRITE");
        ConcurrentLinkedQueue<Forwarder.Outcome> first = new ConcurrentLinkedQueue<>();
        forwarder.route(message, List.of("bob"), first::add);
        await().until(() -> forwarder.backlog() == 0);
        AtomicInteger tasks = new AtomicInteger();
        Executor eventLoop = task -> {
            tasks.incrementAndGet();
            task.run();
        };
        ConcurrentLinkedQueue<Forwarder.Outcome> outcomes = new ConcurrentLinkedQueue<>();
        for (int i = 0; i < 100; i++) {
            forwarder.route(message, List.of("bob"), eventLoop, outcomes::add);
        }
        assertThat(forwarder.backlog()).isEqualTo(100);

        control.sendCommand(Protocol.Command.CLIENT, "UNPAUSE");

        await().atMost(Duration.ofSeconds(10)).until(() -> outcomes.size() == 100);
        assertThat(outcomes).allSatisfy(o -> {
            assertThat(o.failure()).isNull();
            assertThat(o.queued()).containsExactly("bob");
        });
        assertThat(tasks.get()).as("one task for the whole batch, not one per message").isEqualTo(1);
    }

    @Test
    void aFullForwarderQueueFailsFastWithUnavailable() {
        SessionStore store = new SessionStore(client, 60_000);
        store.claim("bob", new SessionRef("s-bob", "b"));
        int capacity = 64;
        forwarder = new Forwarder(client, store, capacity);
        ConcurrentLinkedQueue<Forwarder.Outcome> outcomes = new ConcurrentLinkedQueue<>();
        ChatMessage message = ChatMessage.newBuilder().setMsgId("m").setFromUid("alice").setToUid("bob")
                .setContent("hello").build();

        // Redis stops answering writes (reads still work, so the MGET passes and the XADD hangs): an unresponsive,
        // not a refusing, Redis.
        control.sendCommand(Protocol.Command.CLIENT, "PAUSE", "30000", "WRITE");
        forwarder.route(message, List.of("bob"), outcomes::add);
        await().until(() -> forwarder.backlog() == 0); // the forwarder thread took it and waits for Redis

        for (int i = 0; i < capacity; i++) {
            forwarder.route(message, List.of("bob"), outcomes::add);
        }
        assertThat(forwarder.backlog()).isEqualTo(capacity);
        assertThat(outcomes).isEmpty();

        int overflow = 100;
        for (int i = 0; i < overflow; i++) {
            forwarder.route(message, List.of("bob"), outcomes::add);
        }
        // Answered at once, on the caller's thread: no waiting for Redis, and the queue did not grow.
        assertThat(outcomes).hasSize(overflow)
                .allSatisfy(o -> assertThat(o.failure()).isInstanceOf(RejectedExecutionException.class));
        assertThat(forwarder.backlog()).isEqualTo(capacity);

        // What was queued is answered too, within about the client's socket timeout (2 s), not one timeout per batch.
        await().atMost(Duration.ofSeconds(10)).until(() -> outcomes.size() == overflow + capacity + 1);
        assertThat(forwarder.backlog()).isZero();
    }

    /**
     * Four batches wait behind one that hangs. Sent one by one, each would wait out the client's socket timeout
     * (2 s) in turn: 10 s for the last. After the first timeout the forwarder fails them all at once.
     */
    @Test
    void requestsQueuedBehindAStalledRedisFailAfterOneTimeoutNotOnePerBatch() {
        SessionStore store = new SessionStore(client, 60_000);
        store.claim("bob", new SessionRef("s-bob", "b"));
        forwarder = new Forwarder(client, store);
        ConcurrentLinkedQueue<Forwarder.Outcome> outcomes = new ConcurrentLinkedQueue<>();
        ChatMessage message = ChatMessage.newBuilder().setMsgId("m").setFromUid("alice").setToUid("bob")
                .setContent("hello").build();

        control.sendCommand(Protocol.Command.CLIENT, "PAUSE", "30000", "WRITE");
        forwarder.route(message, List.of("bob"), outcomes::add);
        await().until(() -> forwarder.backlog() == 0);
        int queued = 4 * Forwarder.MAX_BATCH;
        for (int i = 0; i < queued; i++) {
            forwarder.route(message, List.of("bob"), outcomes::add);
        }

        await().atMost(Duration.ofSeconds(6)).until(() -> outcomes.size() == queued + 1);
        assertThat(outcomes).allSatisfy(o -> assertThat(o.failure()).isNotNull());
    }
}
