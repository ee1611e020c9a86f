package com.example.im.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The real pipeline ({@link ChatServerInitializer}) on Netty's in-memory {@link EmbeddedChannel}: bytes in, bytes
 * out, no sockets, no threads. Several channels share one {@link SessionMap}, as connections of one server do.
 */
class ChatServerHandlerTest {

    private static final int MAX_LINE = 64;
    private final SessionMap sessions = new SessionMap();
    private final ChatServerInitializer initializer = new ChatServerInitializer(sessions, MAX_LINE);

    private final List<EmbeddedChannel> channels = new ArrayList<>();

    private EmbeddedChannel connection() {
        EmbeddedChannel ch = new EmbeddedChannel(initializer);
        channels.add(ch);
        return ch;
    }

    private static void type(EmbeddedChannel ch, String text) {
        ch.writeInbound(Unpooled.copiedBuffer(text, StandardCharsets.UTF_8));
    }

    /** The next line the server wrote to {@code ch}, or null. */
    private static String reply(EmbeddedChannel ch) {
        // The pipeline consolidates flushes: one outside a read (to another connection, from a timer) runs as a
        // task on the event loop, and an EmbeddedChannel runs its tasks only when asked.
        ch.runPendingTasks();
        ByteBuf out = ch.readOutbound();
        if (out == null) {
            return null;
        }
        try {
            return out.toString(StandardCharsets.UTF_8);
        } finally {
            out.release();
        }
    }

    @AfterEach
    void noLeakedSessionsOrBuffers() {
        // Every test closes its channels; a session left behind would be a leak.
        assertThat(sessions.size()).isZero();
        // Frames a test did not read are still buffers: release them (the leak detector watches).
        channels.forEach(EmbeddedChannel::finishAndReleaseAll);
    }

    @Test
    void loginThenSendRelaysTheLineToTheRecipientWithTheSessionUid() {
        EmbeddedChannel alice = connection();
        EmbeddedChannel bob = connection();
        type(alice, "LOGIN alice\n");
        type(bob, "LOGIN bob\n");
        assertThat(reply(alice)).isEqualTo("OK login alice\n");
        assertThat(reply(bob)).isEqualTo("OK login bob\n");

        type(alice, "SEND bob hi bob\r\n");
        assertThat(reply(bob)).isEqualTo("MSG alice hi bob\n");
        assertThat(reply(alice)).isEqualTo("OK sent bob\n");

        alice.close();
        bob.close();
    }

    @Test
    void aLineMaySpanSeveralReads() {
        EmbeddedChannel alice = connection();
        type(alice, "LOG");
        assertThat(reply(alice)).isNull();
        type(alice, "IN alice\nWHO\n");
        assertThat(reply(alice)).isEqualTo("OK login alice\n");
        assertThat(reply(alice)).isEqualTo("OK who 1 alice\n");
        alice.close();
    }

    @Test
    void closingAConnectionRemovesItsSessionButAKickedOneDoesNotRemoveTheNewSession() {
        EmbeddedChannel first = connection();
        type(first, "LOGIN alice\n");
        EmbeddedChannel second = connection();
        type(second, "LOGIN alice\n");

        reply(first); // OK login
        assertThat(reply(first)).isEqualTo("ERR kicked alice logged in from another connection\n");
        assertThat(first.isOpen()).isFalse();
        assertThat(sessions.find("alice")).isSameAs(second);

        second.close();
        assertThat(sessions.find("alice")).isNull();
    }

    @Test
    void anOverlongLineIsAnErrorAndClosesTheConnection() {
        EmbeddedChannel ch = connection();
        type(ch, "LOGIN alice\n");
        reply(ch);
        type(ch, "SEND bob " + "x".repeat(MAX_LINE));
        assertThat(reply(ch)).isEqualTo("ERR too-long line longer than 64 bytes; closing the connection\n");
        assertThat(ch.isOpen()).isFalse();
        assertThat(sessions.find("alice")).isNull();
    }

    @Test
    void badLinesAreAnsweredAndTheConnectionStaysOpen() {
        EmbeddedChannel ch = connection();
        type(ch, "SEND bob hi\n");
        assertThat(reply(ch)).isEqualTo("ERR not-logged-in send LOGIN <uid> first\n");
        type(ch, "\n");
        assertThat(reply(ch)).startsWith("ERR bad-input empty line");
        type(ch, "DANCE\n");
        assertThat(reply(ch)).startsWith("ERR unknown-command DANCE");
        type(ch, "LOGIN alice\nLOGIN bob\n");
        assertThat(reply(ch)).isEqualTo("OK login alice\n");
        assertThat(reply(ch)).startsWith("ERR already-logged-in alice");
        assertThat(ch.isOpen()).isTrue();
        ch.close();
    }

    @Test
    void quitSaysByeAndCloses() {
        EmbeddedChannel ch = connection();
        type(ch, "LOGIN alice\nQUIT\n");
        assertThat(reply(ch)).isEqualTo("OK login alice\n");
        assertThat(reply(ch)).isEqualTo("OK bye\n");
        assertThat(ch.isOpen()).isFalse();
    }
}
