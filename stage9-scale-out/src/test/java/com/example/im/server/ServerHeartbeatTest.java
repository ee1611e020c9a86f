package com.example.im.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.example.im.auth.TestTokens;
import com.example.im.protocol.Envelope;
import com.example.im.protocol.Ping;
import com.google.protobuf.InvalidProtocolBufferException;
import io.netty.buffer.ByteBuf;
import io.netty.channel.embedded.EmbeddedChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The server's half of the heartbeat on a controlled clock: the real pipeline on an {@link EmbeddedChannel} whose
 * time only moves when the test says so ({@code advanceTimeBy}). No sockets, no waiting.
 */
class ServerHeartbeatTest {

    private static final long READER_IDLE_MS = 15_000;
    private final SessionMap sessions = new SessionMap();
    private final ChatServerInitializer initializer = new ChatServerInitializer(sessions,
            ServerConfig.forTests().withReaderIdleMillis(READER_IDLE_MS), new MessageIds(), () -> null);

    private final List<EmbeddedChannel> channels = new ArrayList<>();

    @AfterEach
    void releaseUnreadFrames() {
        channels.forEach(EmbeddedChannel::finishAndReleaseAll);
    }

    private EmbeddedChannel loggedIn(String uid) {
        // Freeze the clock before the IdleStateHandler reads it, or real time passing in between skews the test.
        EmbeddedChannel ch = new EmbeddedChannel();
        ch.freezeTime();
        ch.pipeline().addLast(initializer);
        channels.add(ch);
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
        try {
            while ((out.readByte() & 0x80) != 0) {
                // skip the varint32 length prefix
            }
            return Envelope.parseFrom(io.netty.buffer.ByteBufUtil.getBytes(out));
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

    @Test
    void aPingIsAnsweredWithAPongEchoingItsTime() {
        EmbeddedChannel ch = loggedIn("alice");
        ping(ch, 123_456L);
        assertThat(reply(ch).getPong().getPingSentAt()).isEqualTo(123_456L);
        ch.close();
    }

    @Test
    void aSilentConnectionIsClosedAfterTheReaderIdleTimeAndItsSessionRemoved() {
        EmbeddedChannel ch = loggedIn("alice");

        advance(ch, READER_IDLE_MS - 1);
        assertThat(ch.isOpen()).as("still within the idle time").isTrue();

        advance(ch, 1);
        assertThat(ch.isOpen()).as("closed at the idle time").isFalse();
        assertThat(sessions.find("alice")).isNull();
    }

    @Test
    void aConnectionThatKeepsPingingIsNeverEvicted() {
        EmbeddedChannel ch = loggedIn("alice");
        for (int i = 0; i < 20; i++) { // 100 s of a client pinging every 5 s
            advance(ch, 5_000);
            ping(ch, i);
            assertThat(reply(ch).getPong().getPingSentAt()).isEqualTo(i);
        }
        assertThat(ch.isOpen()).isTrue();
        assertThat(sessions.find("alice")).isSameAs(ch);
        ch.close();
        assertThat(sessions.find("alice")).isNull();
    }

    @Test
    void aHalfFrameDoesNotCountAsASignOfLife() {
        EmbeddedChannel ch = loggedIn("alice");
        ByteBuf frame = ChatServerHandlerTest.frame(Envelope.newBuilder().setPing(Ping.getDefaultInstance()).build());
        advance(ch, 10_000);
        ch.writeInbound(frame.readRetainedSlice(1)); // a byte, but not a frame
        frame.release();
        advance(ch, 5_000);
        assertThat(ch.isOpen()).isFalse();
    }
}
