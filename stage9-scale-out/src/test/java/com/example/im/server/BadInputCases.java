package com.example.im.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.example.im.protocol.ChatMessage;
import com.example.im.protocol.Envelope;
import com.example.im.protocol.ErrorCode;
import com.example.im.testkit.RawSocketClient;
import java.net.InetSocketAddress;
import java.util.Collections;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Bad input over real sockets, written byte by byte as an attacker or a broken client would. Each test also checks
 * that a bystander pair (carol -> dave) keeps chatting, i.e. the server survived. Run against an in-JVM server
 * ({@link BadInputTest}) and against the packaged jar from outside ({@link StageJarIT}).
 */
abstract class BadInputCases {

    /** Where the server under test accepts connections. */
    protected abstract InetSocketAddress address();

    /** Returns once the server has removed {@code uid}'s session; fails after a bound. */
    protected abstract void assertSessionGone(String uid);

    private RawSocketClient connect() {
        return RawSocketClient.connect(address());
    }

    private RawSocketClient loggedIn(String uid) {
        RawSocketClient client = connect();
        WireFrames.write(client, WireFrames.login(uid));
        assertThat(WireFrames.read(client).getLoginAck().getUid()).isEqualTo(uid);
        return client;
    }

    private static Envelope chat(ChatMessage.Builder message) {
        return Envelope.newBuilder().setChat(message).build();
    }

    private static ErrorCode errorCode(Envelope frame) {
        assertThat(frame.getBodyCase()).as("frame %s", frame).isEqualTo(Envelope.BodyCase.ERROR);
        return frame.getError().getCode();
    }

    private void assertBystandersStillChat(String tag) {
        try (RawSocketClient carol = loggedIn("carol-" + tag); RawSocketClient dave = loggedIn("dave-" + tag)) {
            WireFrames.write(carol, chat(ChatMessage.newBuilder().setToUid("dave-" + tag).setContent("alive")));
            assertThat(WireFrames.read(carol).getSendAck().getSentUidsList()).containsExactly("dave-" + tag);
            assertThat(WireFrames.read(dave).getChat().getContent()).isEqualTo("alive");
        }
    }

    @Test
    void randomBytesGetAnErrorFrameAndNeverKillTheServer() {
        // More than one maximum frame of garbage: whatever length the first bytes announce, that frame completes
        // (or is over the limit), so the server owes an answer instead of waiting for the rest of a frame.
        byte[] garbage = new byte[2 * ServerConfig.DEFAULT_MAX_FRAME + 16];
        new Random(7).nextBytes(garbage);
        try (RawSocketClient mallory = loggedIn("mallory-random")) {
            mallory.write(garbage);
            // Whatever the bytes happen to say, the first answer is a typed error frame.
            assertThat(errorCode(WireFrames.read(mallory)))
                    .isIn(ErrorCode.FRAME_TOO_LARGE, ErrorCode.CORRUPTED_FRAME, ErrorCode.MALFORMED_FRAME,
                            ErrorCode.UNKNOWN_FRAME);
        }
        assertSessionGone("mallory-random");
        assertBystandersStillChat("random");
    }

    @Test
    void aLengthPrefixOverTheMaximumGetsFrameTooLargeAndTheConnectionIsClosed() {
        try (RawSocketClient mallory = loggedIn("mallory-large")) {
            // 2 GiB announced, nothing sent after: the server must not wait for it.
            mallory.write(ProtobufChatDriver.varint32(Integer.MAX_VALUE));
            Envelope error = WireFrames.read(mallory);
            assertThat(errorCode(error)).isEqualTo(ErrorCode.FRAME_TOO_LARGE);
            assertThat(error.getError().getText()).contains("the limit is " + ServerConfig.DEFAULT_MAX_FRAME);
            assertThat(mallory.awaitServerClose()).isTrue();
        }
        assertSessionGone("mallory-large");
        assertBystandersStillChat("large");
    }

    @Test
    void theErrorFrameReachesAClientThatKeepsSendingAfterBreakingTheFraming() {
        // A prefix over the maximum, then 16 MiB the server will never decode, all written before the client reads:
        // Had the server simply closed with those bytes unread, its kernel would answer with a reset, which can wipe
        // the error frame from the client's buffer before the client reads it (seen in CI as "Broken pipe").
        byte[] prefix = ProtobufChatDriver.varint32(Integer.MAX_VALUE);
        byte[] flood = new byte[prefix.length + 16 * 1024 * 1024];
        System.arraycopy(prefix, 0, flood, 0, prefix.length);
        try (RawSocketClient mallory = loggedIn("mallory-flood")) {
            mallory.write(flood);
            assertSessionGone("mallory-flood");
            assertThat(errorCode(WireFrames.read(mallory))).isEqualTo(ErrorCode.FRAME_TOO_LARGE);
            assertThat(mallory.awaitServerClose()).isTrue();
        }
        assertBystandersStillChat("flood");
    }

    @Test
    void aFrameThatIsNotProtobufGetsMalformedFrameAndTheConnectionStaysUsable() {
        try (RawSocketClient mallory = loggedIn("mallory-proto")) {
            // A sound length prefix, then bytes that are not a protobuf message (an unterminated varint field).
            mallory.write(new byte[] {3, (byte) 0x08, (byte) 0xFF, (byte) 0xFF});
            assertThat(errorCode(WireFrames.read(mallory))).isEqualTo(ErrorCode.MALFORMED_FRAME);
            WireFrames.write(mallory, Envelope.newBuilder().setWho(com.example.im.protocol.Who.getDefaultInstance())
                    .build());
            assertThat(WireFrames.read(mallory).getWhoReply().getCount()).isPositive();
        }
        assertBystandersStillChat("proto");
    }

    @Test
    void anEnvelopeWithNoCaseSetGetsUnknownFrame() {
        try (RawSocketClient mallory = loggedIn("mallory-empty")) {
            mallory.write(new byte[] {0}); // a zero-length frame: an Envelope with nothing set
            assertThat(errorCode(WireFrames.read(mallory))).isEqualTo(ErrorCode.UNKNOWN_FRAME);
        }
        assertBystandersStillChat("empty");
    }

    @Test
    void aChatWithNeitherRecipientFieldGetsBadInput() {
        try (RawSocketClient mallory = loggedIn("mallory-norcpt")) {
            WireFrames.write(mallory, chat(ChatMessage.newBuilder().setContent("to whom?")));
            Envelope error = WireFrames.read(mallory);
            assertThat(errorCode(error)).isEqualTo(ErrorCode.BAD_INPUT);
            assertThat(error.getError().getText()).contains("needs to_uid (private) or to_uid_list (group)");
        }
    }

    @Test
    void aGroupOverTheCapGetsGroupTooLargeAndNobodyReceivesIt() {
        try (RawSocketClient mallory = loggedIn("mallory-group"); RawSocketClient bob = loggedIn("bob-group")) {
            WireFrames.write(mallory, chat(ChatMessage.newBuilder()
                    .addAllToUidList(Collections.nCopies(ServerConfig.DEFAULT_MAX_GROUP + 1, "bob-group"))
                    .setContent("spam")));
            Envelope error = WireFrames.read(mallory);
            assertThat(errorCode(error)).isEqualTo(ErrorCode.GROUP_TOO_LARGE);
            assertThat(error.getError().getText()).contains("the limit is " + ServerConfig.DEFAULT_MAX_GROUP);
            // bob got nothing: the first frame he reads is the next private message.
            WireFrames.write(mallory, chat(ChatMessage.newBuilder().setToUid("bob-group").setContent("sorry")));
            assertThat(WireFrames.read(bob).getChat().getContent()).isEqualTo("sorry");
        }
    }

    @Test
    void halfAFrameThenADisconnectDeliversNothingAndRemovesTheSession() {
        try (RawSocketClient bob = loggedIn("bob-half")) {
            RawSocketClient alice = loggedIn("alice-half");
            byte[] whole = WireFrames.frame(chat(ChatMessage.newBuilder().setToUid("bob-half").setContent("half")));
            alice.write(java.util.Arrays.copyOf(whole, whole.length / 2));
            alice.abort(); // TCP reset, like a crashed client

            assertSessionGone("alice-half");
            try (RawSocketClient carol = loggedIn("carol-half")) {
                WireFrames.write(carol, chat(ChatMessage.newBuilder().setToUid("bob-half").setContent("after")));
                assertThat(WireFrames.read(bob).getChat().getContent()).isEqualTo("after");
            }
        }
        assertBystandersStillChat("half");
    }
}
