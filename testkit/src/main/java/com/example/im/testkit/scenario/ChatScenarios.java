package com.example.im.testkit.scenario;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The scenarios every stage must pass, whatever its wire format: a stage's test class extends this and supplies a
 * {@link ChatDriver}. A regression test added here runs against every stage.
 */
public abstract class ChatScenarios {

    private static final AtomicInteger SEQUENCE = new AtomicInteger();

    private final List<ChatTestClient> clients = new ArrayList<>();

    /** The driver for the stage under test; its server must be running. */
    protected abstract ChatDriver driver();

    /** A uid unique within this JVM, so scenarios sharing one server never see each other's users. */
    protected static String uid(String name) {
        return name + "-" + SEQUENCE.incrementAndGet();
    }

    protected ChatTestClient connect() throws Exception {
        ChatTestClient client = driver().connect();
        clients.add(client);
        return client;
    }

    protected ChatTestClient loggedIn(String uid) throws Exception {
        ChatTestClient client = connect();
        client.login(uid);
        assertThat(client.events().next(ChatEvent.LoggedIn.class).uid()).isEqualTo(uid);
        return client;
    }

    @AfterEach
    void closeClients() {
        clients.forEach(ChatTestClient::close);
        clients.clear();
    }

    @Test
    void loginIsAcknowledgedWithTheUid() throws Exception {
        String alice = uid("alice");
        ChatTestClient client = connect();
        client.login(alice);
        assertThat(client.events().next()).isEqualTo(new ChatEvent.LoggedIn(alice));
    }

    @Test
    void privateMessageReachesTheRecipientWithTheSendersUid() throws Exception {
        String alice = uid("alice");
        String bob = uid("bob");
        ChatTestClient a = loggedIn(alice);
        ChatTestClient b = loggedIn(bob);

        a.send(bob, "hello bob, 你好");
        assertThat(a.events().next()).isEqualTo(new ChatEvent.Sent(bob));
        assertThat(b.events().next()).isEqualTo(new ChatEvent.Message(alice, "hello bob, 你好"));

        b.send(alice, "hi alice");
        assertThat(b.events().next()).isEqualTo(new ChatEvent.Sent(alice));
        assertThat(a.events().next()).isEqualTo(new ChatEvent.Message(bob, "hi alice"));
    }

    /**
     * True from stage 7 on: a message to a user who is not logged in is stored for their next login, and the sender's
     * acknowledgement names them as offline instead of an OFFLINE error.
     */
    protected boolean storesMessagesForOfflineUsers() {
        return false;
    }

    @Test
    void messageToAnOfflineUserGetsTheOfflineErrorOrIsStoredForLater() throws Exception {
        String nobody = uid("nobody");
        ChatTestClient a = loggedIn(uid("alice"));
        a.send(nobody, "anyone there?");
        if (storesMessagesForOfflineUsers()) {
            assertThat(a.events().next()).isEqualTo(new ChatEvent.Sent(List.of(), List.of(nobody)));
        } else {
            assertThat(a.events().nextError(ErrorCodes.OFFLINE).detail()).contains(nobody);
        }
    }

    @Test
    void duplicateLoginKicksTheFirstConnectionAndTheNewOneGetsTheMessages() throws Exception {
        String alice = uid("alice");
        String bob = uid("bob");
        ChatTestClient first = loggedIn(alice);
        ChatTestClient second = loggedIn(alice);

        first.events().nextError(ErrorCodes.KICKED);
        first.events().awaitClosed();

        ChatTestClient b = loggedIn(bob);
        b.send(alice, "which one of you?");
        assertThat(b.events().next()).isEqualTo(new ChatEvent.Sent(alice));
        assertThat(second.events().next()).isEqualTo(new ChatEvent.Message(bob, "which one of you?"));
    }

    @Test
    void messageBeforeLoginIsRefusedAndTheConnectionStaysUsable() throws Exception {
        String alice = uid("alice");
        String bob = uid("bob");
        ChatTestClient b = loggedIn(bob);
        ChatTestClient a = connect();

        a.send(bob, "sneaky");
        a.events().nextError(ErrorCodes.NOT_LOGGED_IN);

        a.login(alice);
        assertThat(a.events().next()).isEqualTo(new ChatEvent.LoggedIn(alice));
        a.send(bob, "properly now");
        assertThat(a.events().next()).isEqualTo(new ChatEvent.Sent(bob));
        // bob never saw "sneaky": the first thing he gets is the message sent after login.
        assertThat(b.events().next()).isEqualTo(new ChatEvent.Message(alice, "properly now"));
    }

    @Test
    void malformedInputGetsAnErrorAndClosesOnlyThatConnection() throws Exception {
        String alice = uid("alice");
        String bob = uid("bob");
        String mallory = uid("mallory");
        ChatTestClient a = loggedIn(alice);
        ChatTestClient b = loggedIn(bob);
        ChatTestClient m = loggedIn(mallory);

        m.sendMalformed();
        m.events().next(ChatEvent.Error.class);
        m.events().awaitClosed();

        a.send(bob, "still here?");
        assertThat(a.events().next()).isEqualTo(new ChatEvent.Sent(bob));
        assertThat(b.events().next()).isEqualTo(new ChatEvent.Message(alice, "still here?"));
        // mallory's session went with the connection.
        awaitOffline(a, mallory);
    }

    @Test
    void closingTheConnectionRemovesTheSession() throws Exception {
        String alice = uid("alice");
        String bob = uid("bob");
        ChatTestClient a = loggedIn(alice);
        ChatTestClient b = loggedIn(bob);

        a.close();
        awaitOffline(b, alice);
    }

    /**
     * Sends probes from {@code sender} until the server answers that {@code uid} is offline: an OFFLINE error, or
     * (stage 7 on) an acknowledgement that stored the probe for {@code uid}'s next login.
     */
    protected static void awaitOffline(ChatTestClient sender, String uid) {
        await(uid + " offline").atMost(EventLog.WAIT).untilAsserted(() -> {
            sender.send(uid, "are you there?");
            ChatEvent reply = sender.events().next();
            if (reply instanceof ChatEvent.Sent sent) {
                assertThat(sent.sentUids()).isEmpty();
                assertThat(sent.offlineUids()).containsExactly(uid);
            } else {
                assertThat(reply).isInstanceOf(ChatEvent.Error.class);
                assertThat(((ChatEvent.Error) reply).code()).isEqualTo(ErrorCodes.OFFLINE);
            }
        });
    }
}
