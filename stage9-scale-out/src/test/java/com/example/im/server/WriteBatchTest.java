package com.example.im.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.example.im.protocol.ChatMessage;
import com.example.im.protocol.Envelope;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import java.nio.channels.ClosedChannelException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The inbox consumer's batched writes: every frame, in order, one task per event loop, one flush per connection. */
class WriteBatchTest {

    /** Counts the flushes that reach the channel: each one is a socket write on a real connection. */
    private static final class Flushes extends ChannelOutboundHandlerAdapter {
        final AtomicInteger count = new AtomicInteger();

        @Override
        public void flush(ChannelHandlerContext ctx) {
            count.incrementAndGet();
            ctx.flush();
        }
    }

    private static Envelope message(int n) {
        return Envelope.newBuilder().setChat(ChatMessage.newBuilder().setMsgId("m" + n).setContent("hello " + n))
                .build();
    }

    private static List<String> written(EmbeddedChannel channel) throws Exception {
        List<String> ids = new ArrayList<>();
        for (ByteBuf bytes; (bytes = channel.readOutbound()) != null; ) {
            ids.add(Envelope.parseFrom(ByteBufUtil.getBytes(bytes)).getChat().getMsgId());
            bytes.release();
        }
        return ids;
    }

    @Test
    void aBatchWritesEveryFrameInOrderAndFlushesEachConnectionOnce() throws Exception {
        Flushes flushesA = new Flushes();
        Flushes flushesB = new Flushes();
        EmbeddedChannel a = new EmbeddedChannel(flushesA);
        EmbeddedChannel b = new EmbeddedChannel(flushesB);
        int before = flushesA.count.get();
        WriteBatch batch = new WriteBatch();
        List<ChannelFuture> futures = new ArrayList<>();
        for (int n = 0; n < 10; n++) {
            futures.addAll(batch.add(List.<Channel>of(a, b), message(n)));
        }
        a.runPendingTasks();
        assertThat(a.outboundMessages()).as("nothing is written before submit").isEmpty();

        batch.submit();
        a.runPendingTasks();
        b.runPendingTasks();

        List<String> expected = List.of("m0", "m1", "m2", "m3", "m4", "m5", "m6", "m7", "m8", "m9");
        assertThat(written(a)).isEqualTo(expected);
        assertThat(written(b)).isEqualTo(expected);
        assertThat(flushesA.count.get() - before).isEqualTo(1);
        assertThat(flushesB.count.get() - before).isEqualTo(1);
        assertThat(futures).hasSize(20).allSatisfy(f -> assertThat(f.isSuccess()).isTrue());
    }

    @Test
    void aWriteToAClosedConnectionFailsItsFutureAndTheOthersGoOut() throws Exception {
        EmbeddedChannel open = new EmbeddedChannel();
        EmbeddedChannel closed = new EmbeddedChannel();
        closed.close();
        WriteBatch batch = new WriteBatch();
        List<ChannelFuture> futures = batch.add(List.<Channel>of(closed, open), message(1));

        batch.submit();
        closed.runPendingTasks();
        open.runPendingTasks();

        assertThat(futures.get(0).isDone()).isTrue();
        assertThat(futures.get(0).cause()).isInstanceOf(ClosedChannelException.class);
        assertThat(futures.get(1).isSuccess()).isTrue();
        assertThat(written(open)).containsExactly("m1");
    }
}
