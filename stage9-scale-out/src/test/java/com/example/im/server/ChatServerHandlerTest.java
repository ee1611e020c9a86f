package com.example.im.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.example.im.auth.TestTokens;
import com.example.im.protocol.ChatMessage;
import com.example.im.protocol.Envelope;
import com.example.im.protocol.ErrorCode;
import com.google.protobuf.InvalidProtocolBufferException;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The real pipeline ({@link ChatServerInitializer}) on Netty's in-memory {@link EmbeddedChannel}: framed bytes in,
 * framed bytes out, no sockets, no threads. Several channels share one {@link SessionMap}, as connections of one
 * server do.
 */
class ChatServerHandlerTest {

    private static final int MAX_FRAME = 256;
    private static final int MAX_GROUP = 3;
    private final SessionMap sessions = new SessionMap();
    private final ChatServerInitializer initializer = new ChatServerInitializer(sessions,
            new ServerConfig("127.0.0.1", 0, MAX_FRAME, MAX_GROUP, 15_000, 10_000, 1024 * 1024, 15_000, null, null,
                    null, 0, 10_000, 5_000, null, 30_000, 30_000, 10_000,
                    com.example.im.route.RedisRouting.DeliverySettings.defaults(), EdgeSettings.forTests()),
            new MessageIds(), () -> null);

    private final List<EmbeddedChannel> channels = new ArrayList<>();

    private EmbeddedChannel connection() {
        EmbeddedChannel ch = new EmbeddedChannel(initializer);
        channels.add(ch);
        return ch;
    }

    /** varint32 length + protobuf bytes, as a client writes them. */
    static ByteBuf frame(Envelope envelope) {
        byte[] body = envelope.toByteArray();
        return Unpooled.wrappedBuffer(Unpooled.wrappedBuffer(ProtobufChatDriver.varint32(body.length)),
                Unpooled.wrappedBuffer(body));
    }

    private static void write(EmbeddedChannel ch, Envelope envelope) {
        ch.writeInbound(frame(envelope));
    }

    /** The next envelope the server wrote to {@code ch} (decoded from the wire bytes), or null. */
    private static Envelope reply(EmbeddedChannel ch) {
        // The pipeline consolidates flushes: one outside a read (to another connection, from a timer) runs as a
        // task on the event loop, and an EmbeddedChannel runs its tasks only when asked.
        ch.runPendingTasks();
        ByteBuf out = ch.readOutbound();
        if (out == null) {
            return null;
        }
        try {
            // Outbound frames may come as [prefix][body] in one buffer; skip the varint prefix.
            while ((out.readByte() & 0x80) != 0) {
                // continuation bytes of the prefix
            }
            byte[] body = new byte[out.readableBytes()];
            out.readBytes(body);
            return Envelope.parseFrom(body);
        } catch (InvalidProtocolBufferException e) {
            throw new AssertionError(e);
        } finally {
            out.release();
        }
    }

    private static Envelope login(String uid) {
        return Envelope.newBuilder().setLogin(TestTokens.login(uid)).build();
    }

    private static Envelope chat(ChatMessage.Builder message) {
        return Envelope.newBuilder().setChat(message).build();
    }

    private EmbeddedChannel loggedIn(String uid) {
        EmbeddedChannel ch = connection();
        write(ch, login(uid));
        assertThat(reply(ch).getLoginAck().getUid()).isEqualTo(uid);
        return ch;
    }

    @AfterEach
    void noLeakedSessionsOrBuffers() {
        // Every test closes its channels; a session left behind would be a leak.
        assertThat(sessions.size()).isZero();
        // Frames a test did not read are still buffers: release them (the leak detector watches).
        channels.forEach(EmbeddedChannel::finishAndReleaseAll);
    }

    @Test
    void theServerStampsIdSenderAndTimeAndIgnoresTheClientsValues() {
        EmbeddedChannel alice = loggedIn("alice");
        EmbeddedChannel bob = loggedIn("bob");
        long before = System.currentTimeMillis();

        write(alice, chat(ChatMessage.newBuilder().setToUid("bob").setContent("hi")
                .setFromUid("mallory").setMsgId("forged").setTimestamp(1)));

        ChatMessage delivered = reply(bob).getChat();
        assertThat(delivered.getFromUid()).isEqualTo("alice");
        assertThat(delivered.getMsgId()).isNotEqualTo("forged").isNotEmpty();
        assertThat(delivered.getTimestamp()).isBetween(before, System.currentTimeMillis());
        assertThat(delivered.getContent()).isEqualTo("hi");
        Envelope ack = reply(alice);
        assertThat(ack.getSendAck().getMsgId()).isEqualTo(delivered.getMsgId());
        assertThat(ack.getSendAck().getSentUidsList()).containsExactly("bob");

        alice.close();
        bob.close();
    }

    @Test
    void messageIdsAreUnique() {
        EmbeddedChannel alice = loggedIn("alice");
        EmbeddedChannel bob = loggedIn("bob");
        for (int i = 0; i < 3; i++) {
            write(alice, chat(ChatMessage.newBuilder().setToUid("bob").setContent("m" + i)));
        }
        List<String> ids = List.of(reply(bob).getChat().getMsgId(), reply(bob).getChat().getMsgId(),
                reply(bob).getChat().getMsgId());
        assertThat(ids).doesNotHaveDuplicates();
        alice.close();
        bob.close();
    }

    @Test
    void aFrameMaySpanSeveralReads() {
        EmbeddedChannel alice = connection();
        ByteBuf whole = frame(login("alice"));
        alice.writeInbound(whole.readRetainedSlice(2));
        assertThat(reply(alice)).isNull();
        alice.writeInbound(whole);
        assertThat(reply(alice).getLoginAck().getUid()).isEqualTo("alice");
        alice.close();
    }

    @Test
    void aGroupMessageIsEncodedOnceAndReachesEachOnlineMember() {
        EmbeddedChannel alice = loggedIn("alice");
        EmbeddedChannel bob = loggedIn("bob");
        EmbeddedChannel carol = loggedIn("carol");

        write(alice, chat(ChatMessage.newBuilder().addAllToUidList(List.of("bob", "carol", "dave"))
                .setContent("hello all")));

        ChatMessage toBob = reply(bob).getChat();
        ChatMessage toCarol = reply(carol).getChat();
        assertThat(toBob).isEqualTo(toCarol);
        assertThat(toBob.getToUidListList()).containsExactly("bob", "carol", "dave");
        Envelope ack = reply(alice);
        assertThat(ack.getSendAck().getSentUidsList()).containsExactly("bob", "carol");
        assertThat(ack.getSendAck().getOfflineUidsList()).containsExactly("dave");

        alice.close();
        bob.close();
        carol.close();
    }

    @Test
    void badChatsGetTypedErrorsAndTheConnectionStaysOpen() {
        EmbeddedChannel alice = loggedIn("alice");
        write(alice, chat(ChatMessage.newBuilder().setContent("to nobody")));
        assertThat(reply(alice).getError().getCode()).isEqualTo(ErrorCode.BAD_INPUT);
        write(alice, chat(ChatMessage.newBuilder().setToUid("bob").addToUidList("carol").setContent("both")));
        assertThat(reply(alice).getError().getText()).contains("not both");
        write(alice, chat(ChatMessage.newBuilder().addAllToUidList(List.of("a", "b", "c", "d")).setContent("x")));
        assertThat(reply(alice).getError().getCode()).isEqualTo(ErrorCode.GROUP_TOO_LARGE);
        write(alice, chat(ChatMessage.newBuilder().setToUid("bob")));
        assertThat(reply(alice).getError().getText()).isEqualTo("content is empty");
        write(alice, Envelope.getDefaultInstance());
        assertThat(reply(alice).getError().getCode()).isEqualTo(ErrorCode.UNKNOWN_FRAME);
        write(alice, login("alice2"));
        assertThat(reply(alice).getError().getCode()).isEqualTo(ErrorCode.ALREADY_LOGGED_IN);
        assertThat(alice.isOpen()).isTrue();
        alice.close();
    }

    @Test
    void aKickedConnectionDoesNotRemoveTheNewSession() {
        EmbeddedChannel first = loggedIn("alice");
        EmbeddedChannel second = loggedIn("alice");

        assertThat(reply(first).getError().getCode()).isEqualTo(ErrorCode.KICKED);
        assertThat(first.isOpen()).isFalse();
        assertThat(sessions.find("alice")).isSameAs(second);
        second.close();
    }

    @Test
    void anOversizedLengthPrefixIsAnErrorAndClosesTheConnection() {
        EmbeddedChannel alice = loggedIn("alice");
        alice.writeInbound(Unpooled.wrappedBuffer(ProtobufChatDriver.varint32(MAX_FRAME + 1)));
        Envelope error = reply(alice);
        assertThat(error.getError().getCode()).isEqualTo(ErrorCode.FRAME_TOO_LARGE);
        assertThat(error.getError().getText()).contains("frame of 257 bytes; the limit is 256");
        assertThat(alice.isOpen()).isFalse();
    }
}
