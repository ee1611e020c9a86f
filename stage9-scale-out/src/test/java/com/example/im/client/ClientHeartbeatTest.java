package com.example.im.client;

import static org.assertj.core.api.Assertions.assertThat;

import com.example.im.protocol.Envelope;
import com.example.im.protocol.Pong;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.timeout.IdleStateHandler;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The client's half of the heartbeat on a controlled clock ({@link EmbeddedChannel#advanceTimeBy}). */
class ClientHeartbeatTest {

    private static final long PING_MS = 5_000;
    private static final long READER_IDLE_MS = 15_000;

    private final List<EmbeddedChannel> channels = new ArrayList<>();

    @AfterEach
    void releaseUnreadFrames() {
        channels.forEach(EmbeddedChannel::finishAndReleaseAll);
    }

    private EmbeddedChannel client() {
        // Freeze the clock before the IdleStateHandler reads it, or real time passing in between skews the test.
        EmbeddedChannel ch = new EmbeddedChannel();
        ch.freezeTime();
        ch.pipeline().addLast(new IdleStateHandler(READER_IDLE_MS, PING_MS, 0, TimeUnit.MILLISECONDS),
                new ClientHeartbeatHandler(READER_IDLE_MS));
        channels.add(ch);
        return ch;
    }

    private static void advance(EmbeddedChannel ch, long millis) {
        ch.advanceTimeBy(millis, TimeUnit.MILLISECONDS);
        ch.runScheduledPendingTasks();
    }

    private static Envelope pong() {
        return Envelope.newBuilder().setPong(Pong.getDefaultInstance()).build();
    }

    @Test
    void aPingIsSentAfterThePingIntervalWithoutWrites() {
        EmbeddedChannel ch = client();
        advance(ch, PING_MS - 1);
        assertThat((Object) ch.readOutbound()).isNull();
        advance(ch, 1);
        Envelope ping = ch.readOutbound();
        assertThat(ping.getBodyCase()).isEqualTo(Envelope.BodyCase.PING);
        ch.close();
    }

    @Test
    void noPingWhileTheClientIsWritingAnyway() {
        EmbeddedChannel ch = client();
        for (int i = 0; i < 5; i++) {
            advance(ch, PING_MS - 1_000);
            ch.writeOutbound(Envelope.getDefaultInstance()); // some other frame
            Envelope written = ch.readOutbound();
            assertThat(written.getBodyCase()).isNotEqualTo(Envelope.BodyCase.PING);
            ch.writeInbound(pong());
        }
        assertThat((Object) ch.readOutbound()).isNull();
        ch.close();
    }

    @Test
    void missingPongsCloseTheLinkAndSayWhy() {
        EmbeddedChannel ch = client();
        advance(ch, READER_IDLE_MS);
        assertThat(ch.isOpen()).isFalse();
        assertThat(ch.attr(ClientHeartbeatHandler.CLOSE_REASON).get()).contains("pongs missing");
    }

    @Test
    void pongsKeepTheLinkOpenAndAreNotPassedOn() {
        EmbeddedChannel ch = client();
        for (int i = 0; i < 10; i++) {
            advance(ch, PING_MS);
            assertThat(((Envelope) ch.readOutbound()).getBodyCase()).isEqualTo(Envelope.BodyCase.PING);
            ch.writeInbound(pong());
            assertThat((Object) ch.readInbound()).as("pongs are consumed by the heartbeat").isNull();
        }
        assertThat(ch.isOpen()).isTrue();
        ch.close();
    }
}
