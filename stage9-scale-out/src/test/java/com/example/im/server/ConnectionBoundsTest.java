package com.example.im.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.example.im.auth.TestTokens;
import com.example.im.protocol.ChatMessage;
import com.example.im.protocol.Envelope;
import com.example.im.protocol.ErrorCode;
import com.example.im.protocol.Ping;
import com.example.im.protocol.Replies;
import com.google.protobuf.InvalidProtocolBufferException;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.ChannelFuture;
import io.netty.channel.embedded.EmbeddedChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The login deadline and the slow-reader bounds on a controlled clock: the real pipeline on an {@link EmbeddedChannel}
 * (docs/03-heartbeat.md, "Two more bounds"). An EmbeddedChannel hands written bytes on only at a flush, so a test
 * makes a slow reader by writing without flushing, and a reader that catches up by flushing.
 */
class ConnectionBoundsTest {

    private static final long LOGIN_TIMEOUT_MS = 10_000;
    private static final long MAX_PENDING = 256 * 1024;
    private static final long UNWRITABLE_MS = 15_000;
    private final SessionMap sessions = new SessionMap();
    private final ChatServerInitializer initializer = new ChatServerInitializer(sessions,
            ServerConfig.forTests().withReaderIdleMillis(3_600_000) // out of the way: these tests do not ping
                    .withLoginTimeoutMillis(LOGIN_TIMEOUT_MS).withSlowReaderBounds(MAX_PENDING, UNWRITABLE_MS),
            new MessageIds(), () -> null);
    private final List<EmbeddedChannel> channels = new ArrayList<>();

    @AfterEach
    void releaseUnreadFrames() {
        channels.forEach(EmbeddedChannel::finishAndReleaseAll);
    }

    private EmbeddedChannel connection() {
        EmbeddedChannel ch = new EmbeddedChannel();
        ch.freezeTime(); // before the pipeline reads the clock
        ch.config().setWriteBufferWaterMark(SlowReaderHandler.WATER_MARK); // as ChatServer sets it
        ch.pipeline().addLast(initializer);
        channels.add(ch);
        return ch;
    }

    private EmbeddedChannel loggedIn(String uid) {
        EmbeddedChannel ch = connection();
        ch.writeInbound(ChatServerHandlerTest.frame(Envelope.newBuilder().setLogin(TestTokens.login(uid))
                .build()));
        assertThat(reply(ch).getLoginAck().getUid()).isEqualTo(uid);
        return ch;
    }

    private static Envelope reply(EmbeddedChannel ch) {
        // The pipeline consolidates flushes: one outside a read (to another connection, from a timer) runs as a
        // task on the event loop, and an EmbeddedChannel runs its tasks only when asked.
        ch.runPendingTasks();
        ByteBuf out = ch.readOutbound();
        assertThat(out).as("a frame from the server").isNotNull();
        try {
            while ((out.readByte() & 0x80) != 0) {
                // skip the varint32 length prefix
            }
            return Envelope.parseFrom(ByteBufUtil.getBytes(out));
        } catch (InvalidProtocolBufferException e) {
            throw new AssertionError(e);
        } finally {
            out.release();
        }
    }

    private static void ping(EmbeddedChannel ch, long sentAt) {
        ch.writeInbound(ChatServerHandlerTest.frame(Envelope.newBuilder()
                .setPing(Ping.newBuilder().setSentAt(sentAt)).build()));
    }

    private static void advance(EmbeddedChannel ch, long millis) {
        ch.advanceTimeBy(millis, TimeUnit.MILLISECONDS);
        ch.runScheduledPendingTasks();
    }

    /** One 1 KiB chat frame written to the connection but not flushed: it waits in the outbound buffer. */
    private static ChannelFuture queueMessage(EmbeddedChannel ch) {
        return ch.write(Replies.message(ChatMessage.newBuilder().setMsgId("m").setFromUid("bob").setToUid("alice")
                .setContent("x".repeat(1024)).build()));
    }

    private static long pending(EmbeddedChannel ch) {
        return ch.unsafe().outboundBuffer().totalPendingWriteBytes();
    }

    @Test
    void aConnectionThatNeverLogsInIsClosedAtTheLoginDeadlineEvenWhilePinging() {
        EmbeddedChannel ch = connection();
        for (int i = 0; i < 9; i++) { // a ping a second, answered every time
            advance(ch, 1_000);
            ping(ch, i);
            assertThat(reply(ch).getPong().getPingSentAt()).isEqualTo(i);
        }
        advance(ch, LOGIN_TIMEOUT_MS - 9_000 - 1);
        assertThat(ch.isOpen()).as("1 ms before the deadline").isTrue();

        advance(ch, 1);
        assertThat(reply(ch).getError().getCode()).isEqualTo(ErrorCode.NOT_LOGGED_IN);
        assertThat(ch.isOpen()).as("closed at the deadline").isFalse();
    }

    @Test
    void aLoginBeforeTheDeadlineCancelsIt() {
        EmbeddedChannel ch = connection();
        advance(ch, LOGIN_TIMEOUT_MS - 1);
        ch.writeInbound(ChatServerHandlerTest.frame(Envelope.newBuilder().setLogin(TestTokens.login("alice"))
                .build()));
        assertThat(reply(ch).getLoginAck().getUid()).isEqualTo("alice");
        assertThat(ch.pipeline().get(LoginDeadlineHandler.class)).as("gone once logged in").isNull();
        for (int i = 0; i < 6; i++) { // 30 s of pings
            advance(ch, 5_000);
            ping(ch, i);
            assertThat(reply(ch).getPong().getPingSentAt()).isEqualTo(i);
        }
        assertThat(ch.isOpen()).isTrue();
        assertThat(sessions.find("alice")).isSameAs(ch);
    }

    @Test
    void aRefusedLoginDoesNotCancelTheDeadline() {
        EmbeddedChannel ch = connection();
        ch.writeInbound(ChatServerHandlerTest.frame(Envelope.newBuilder().setLogin(TestTokens.login("no way"))
                .build()));
        assertThat(reply(ch).getError().getCode()).isEqualTo(ErrorCode.BAD_INPUT);
        advance(ch, LOGIN_TIMEOUT_MS);
        assertThat(reply(ch).getError().getCode()).isEqualTo(ErrorCode.NOT_LOGGED_IN);
        assertThat(ch.isOpen()).isFalse();
    }

    @Test
    void aConnectionThatStaysUnwritablePastTheTimeBoundIsClosedAndItsSessionRemoved() {
        EmbeddedChannel ch = loggedIn("alice");
        while (ch.isWritable()) {
            queueMessage(ch);
        }
        advance(ch, UNWRITABLE_MS - 1);
        assertThat(ch.isOpen()).as("1 ms before the bound").isTrue();

        advance(ch, 1);
        assertThat(ch.isOpen()).as("closed at the bound").isFalse();
        assertThat(sessions.find("alice")).isNull();
    }

    @Test
    void aConnectionThatDrainsBeforeTheTimeBoundIsKept() {
        EmbeddedChannel ch = loggedIn("alice");
        while (ch.isWritable()) {
            queueMessage(ch);
        }
        advance(ch, UNWRITABLE_MS - 1);
        ch.flush(); // the peer read everything: below the low-water mark, writable again
        ch.runPendingTasks(); // the flush outside a read runs as an event-loop task (flush consolidation)
        assertThat(ch.isWritable()).isTrue();
        advance(ch, UNWRITABLE_MS * 2);
        assertThat(ch.isOpen()).isTrue();
        ch.releaseOutbound();
    }

    @Test
    void writesPastTheByteCapAreDroppedAndTheConnectionClosed() {
        EmbeddedChannel ch = loggedIn("alice");
        long maxPending = 0;
        int refused = 0;
        for (int i = 0; i < 1_000 && ch.isOpen(); i++) { // 1 MiB of writes, no time passing
            ChannelFuture write = queueMessage(ch);
            if (write.isDone() && !write.isSuccess()) {
                refused++;
            }
            if (ch.unsafe().outboundBuffer() != null) {
                maxPending = Math.max(maxPending, pending(ch));
            }
        }
        assertThat(ch.isOpen()).as("closed at the byte cap, long before the time bound").isFalse();
        assertThat(refused).as("the write that found the cap exceeded was refused").isGreaterThanOrEqualTo(1);
        assertThat(maxPending).isGreaterThan(MAX_PENDING).isLessThan(MAX_PENDING + 2 * 1024);
        assertThat(sessions.find("alice")).isNull();
    }
}
