package com.example.im.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.example.im.testkit.RawSocketClient;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
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

    private RawSocketClient loggedIn(String uid) {
        RawSocketClient client = RawSocketClient.connect(address());
        client.writeLine("LOGIN " + uid);
        assertThat(client.readLine()).isEqualTo("OK login " + uid);
        return client;
    }

    private void assertBystandersStillChat(String tag) {
        try (RawSocketClient carol = loggedIn("carol-" + tag); RawSocketClient dave = loggedIn("dave-" + tag)) {
            carol.writeLine("SEND dave-" + tag + " still alive");
            assertThat(carol.readLine()).isEqualTo("OK sent dave-" + tag);
            assertThat(dave.readLine()).isEqualTo("MSG carol-" + tag + " still alive");
        }
    }

    @Test
    void anOverlongLineGetsTooLongAndTheConnectionIsClosed() {
        try (RawSocketClient mallory = loggedIn("mallory-long")) {
            // No newline at all: the server must not wait for one while buffering without limit.
            mallory.write("x".repeat(ServerConfig.DEFAULT_MAX_LINE + 1).getBytes(StandardCharsets.US_ASCII));
            assertThat(mallory.readLine())
                    .isEqualTo("ERR too-long line longer than " + ServerConfig.DEFAULT_MAX_LINE
                            + " bytes; closing the connection");
            assertThat(mallory.awaitServerClose()).isTrue();
        }
        assertSessionGone("mallory-long");
        assertBystandersStillChat("long");
    }

    @Test
    void theErrorReachesAClientThatKeepsSendingAfterAnOverlongLine() {
        // 16 MiB without a newline, all written before the client reads. Had the server simply closed with those bytes
        // unread, its kernel would answer with a reset, which can wipe the error from the client's buffer before the
        // client reads it (the write then fails with "Broken pipe").
        try (RawSocketClient mallory = loggedIn("mallory-flood")) {
            mallory.write(new byte[16 * 1024 * 1024]);
            assertSessionGone("mallory-flood");
            assertThat(mallory.readLine()).startsWith("ERR too-long line longer than");
            assertThat(mallory.awaitServerClose()).isTrue();
        }
        assertBystandersStillChat("flood");
    }

    @Test
    void binaryGarbageIsRefusedAsNotText() {
        byte[] garbage = new byte[200];
        new Random(42).nextBytes(garbage);
        for (int i = 0; i < garbage.length; i++) {
            if (garbage[i] == '\n' || garbage[i] == '\r') {
                garbage[i] = (byte) 0xFF; // one line of garbage, so that exactly one reply is owed
            }
        }
        try (RawSocketClient mallory = RawSocketClient.connect(address())) {
            mallory.write(garbage).write(new byte[] {'\n'});
            assertThat(mallory.readLine()).startsWith("ERR bad-input ");
            // The framing is intact, so the connection is still usable.
            mallory.writeLine("LOGIN mallory-bin");
            assertThat(mallory.readLine()).isEqualTo("OK login mallory-bin");
        }
        assertBystandersStillChat("bin");
    }

    @Test
    void anEmptyLineIsAnsweredWithAHint() {
        try (RawSocketClient client = RawSocketClient.connect(address())) {
            client.writeLine("");
            assertThat(client.readLine()).isEqualTo("ERR bad-input empty line; type HELP for the commands");
        }
    }

    @Test
    void anAbruptDisconnectMidLineDeliversNothingAndRemovesTheSession() {
        try (RawSocketClient bob = loggedIn("bob-abrupt")) {
            RawSocketClient alice = loggedIn("alice-abrupt");
            alice.write("SEND bob-abrupt half a mess".getBytes(StandardCharsets.UTF_8)); // no newline
            alice.abort(); // TCP reset, like a crashed client

            assertSessionGone("alice-abrupt");
            // The half line was never delivered: the first thing bob reads is what carol sends next.
            try (RawSocketClient carol = loggedIn("carol-abrupt")) {
                carol.writeLine("SEND bob-abrupt after");
                assertThat(carol.readLine()).isEqualTo("OK sent bob-abrupt");
                assertThat(bob.readLine()).isEqualTo("MSG carol-abrupt after");
                carol.writeLine("SEND alice-abrupt are you there");
                assertThat(carol.readLine()).isEqualTo("ERR offline alice-abrupt");
            }
        }
        assertBystandersStillChat("abrupt");
    }
}
