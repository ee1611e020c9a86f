package com.example.im.server;

import com.example.im.protocol.Envelope;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelPromise;
import io.netty.channel.EventLoop;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.RejectedExecutionException;

/**
 * Writes to many connections from a thread that is not their event loop (the inbox consumer), gathered: {@link #submit}
 * hands each event loop one task with all of the batch's writes to its connections, and that task flushes each
 * connection once. A write from another thread is otherwise a task of its own, queued and woken for, and a flush (a
 * socket write) of its own: a batch of 200 messages for 50 users on 2 event loops costs 2 tasks and 50 socket writes
 * instead of 200 of each (docs/05-redis-forwarding.md, "The inbox").
 *
 * <p>Not thread safe: one thread adds and submits. The writes of one connection keep the order they were added in.
 */
public final class WriteBatch {

    private record Write(Channel channel, ByteBuf bytes, ChannelPromise promise) {
    }

    private final Map<EventLoop, List<Write>> byLoop = new IdentityHashMap<>();

    /**
     * Adds {@code frame} for every channel, encoded once (as {@link Fanout#write} does); returns each write's future,
     * in the order of {@code channels}, done once the bytes are in the socket (or the write failed).
     */
    public List<ChannelFuture> add(List<Channel> channels, Envelope frame) {
        if (channels.isEmpty()) {
            return List.of();
        }
        List<ChannelFuture> futures = new ArrayList<>(channels.size());
        ByteBuf encoded = Unpooled.wrappedBuffer(frame.toByteArray());
        try {
            for (Channel channel : channels) {
                ChannelPromise promise = channel.newPromise();
                byLoop.computeIfAbsent(channel.eventLoop(), loop -> new ArrayList<>())
                        .add(new Write(channel, encoded.retainedDuplicate(), promise));
                futures.add(promise);
            }
        } finally {
            encoded.release();
        }
        return futures;
    }

    /** Hands every write added so far to its connection's event loop; the batch is empty again afterwards. */
    public void submit() {
        byLoop.forEach((loop, writes) -> {
            try {
                loop.execute(() -> writeAndFlush(writes));
            } catch (RejectedExecutionException e) {
                // The event loop is shutting down, and its connections with it: these writes fail, as they would
                // on a closed channel, and whoever waits for them sees the recipient as not reached.
                for (Write write : writes) {
                    write.bytes().release();
                    write.promise().tryFailure(e);
                }
            }
        });
        byLoop.clear();
    }

    private static void writeAndFlush(List<Write> writes) {
        Set<Channel> written = Collections.newSetFromMap(new IdentityHashMap<>());
        for (Write write : writes) {
            write.channel().write(write.bytes(), write.promise()); // a closed channel fails the promise, frees the bytes
            written.add(write.channel());
        }
        written.forEach(Channel::flush); // one flush per connection, after all of its writes
    }
}
