package com.example.im.route;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.example.im.protocol.ChatMessage;
import com.example.im.protocol.Delivery;
import com.example.im.protocol.InboxEntry;
import com.example.im.server.SessionMap;
import com.example.im.testkit.RedisExtension;
import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.DefaultEventLoopGroup;
import io.netty.channel.local.LocalAddress;
import io.netty.channel.local.LocalChannel;
import io.netty.channel.local.LocalServerChannel;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import redis.clients.jedis.AbstractPipeline;
import redis.clients.jedis.RedisClient;

/** Corners of the batched forwarder answers and the batched inbox writes (WriteBatch). */
class BatchedDeliveryTest {

    @RegisterExtension
    final RedisExtension redis = new RedisExtension();

    /**
     * The connection closed after the consumer looked it up but before its event loop ran the batch's write task.
     * The write can only fail, so the entry must stay pending; settle() skips waiting on a channel that is not
     * writable (a closed one never is) and counts a not-yet-done write as delivered, so the entry is acknowledged
     * and the message is gone. WriteBatch queues every write of a batch just before settle() looks, which makes
     * "not done yet" the normal case at that moment.
     */
    @Test
    void aWriteToAConnectionThatClosedBeforeItsTaskRanIsNotAcknowledged() throws Exception {
        DefaultEventLoopGroup group = new DefaultEventLoopGroup(1);
        CountDownLatch release = new CountDownLatch(1);
        try (RedisClient r = RedisClient.create(URI.create(redis.uri()))) {
            LocalAddress address = new LocalAddress("batched-" + System.nanoTime());
            Channel server = new ServerBootstrap().group(group).channel(LocalServerChannel.class)
                    .childHandler(new ChannelInboundHandlerAdapter()).bind(address).sync().channel();
            Channel bob = new Bootstrap().group(group).channel(LocalChannel.class)
                    .handler(new ChannelInboundHandlerAdapter()).connect(address).sync().channel();
            SessionMap sessions = new SessionMap();
            sessions.bind("bob", bob);
            // bob's connection closes on its loop, and the loop is then busy (other connections' work).
            CountDownLatch closed = new CountDownLatch(1);
            bob.eventLoop().execute(() -> {
                bob.close();
                closed.countDown();
                try {
                    release.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            closed.await();

            InboxConsumer consumer = new InboxConsumer(r, "node-a", sessions, new SessionStore(r, 60_000), 256,
                    30_000, 1_000);
            consumer.prepare();
            InboxEntry entry = InboxEntry.newBuilder().setDelivery(Delivery.newBuilder().addToUids("bob")
                    .setMessage(ChatMessage.newBuilder().setMsgId("m1").setFromUid("alice").setToUid("bob")
                            .setContent("not lost"))).build();
            try (AbstractPipeline p = r.pipelined()) {
                Forwarder.Pushed pushed = Forwarder.xadd(p, "node-a", entry);
                p.sync();
                pushed.check();
            }
            consumer.start();
            await().atMost(Duration.ofSeconds(10)).until(() -> consumer.passes() >= 3);

            assertThat(r.xpending(RedisKeys.inbox("node-a"), RedisKeys.GROUP).getTotal())
                    .as("the message was never written to bob: its entry must stay pending").isEqualTo(1);
            consumer.close();
            server.close();
        } finally {
            release.countDown();
            group.shutdownGracefully(0, 0, java.util.concurrent.TimeUnit.SECONDS).syncUninterruptibly();
        }
    }

    /**
     * An executor that throws something other than RejectedExecutionException (or a null one: NPE) makes
     * Completions.run throw out of forward(); run() then calls fail() on the same batch, which hands every route a
     * second (failure) answer and throws again from inside the catch block: the forwarder thread dies, and every
     * later route of every connection waits forever.
     */
    @Test
    void oneBadExecutorDoesNotKillTheForwarderForEveryoneElse() {
        try (RedisClient r = RedisClient.create(URI.create(redis.uri()))) {
            SessionStore store = new SessionStore(r, 60_000);
            Forwarder forwarder = new Forwarder(r, store);
            try {
                ChatMessage message = ChatMessage.newBuilder().setMsgId("m").setFromUid("alice").setToUid("bob")
                        .setContent("hello").build();
                Executor broken = task -> {
                    throw new IllegalStateException("not accepting tasks");
                };
                forwarder.route(message, List.of("bob"), broken, outcome -> { });
                await().until(() -> forwarder.backlog() == 0);

                ConcurrentLinkedQueue<Forwarder.Outcome> outcomes = new ConcurrentLinkedQueue<>();
                forwarder.route(message, List.of("bob"), outcomes::add);
                await().atMost(Duration.ofSeconds(5)).until(() -> outcomes.size() == 1);
            } finally {
                forwarder.close();
            }
        }
    }
}
