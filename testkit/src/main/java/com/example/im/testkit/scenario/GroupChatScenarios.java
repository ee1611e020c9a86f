package com.example.im.testkit.scenario;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The shared scenarios plus group chat (the article's 方式二: one message carrying {@code to_uid_list}), for every
 * stage from stage 2 on. A stage's test class extends this instead of {@link ChatScenarios}.
 */
public abstract class GroupChatScenarios extends ChatScenarios {

    @Test
    void aGroupMessageReachesEveryOnlineMemberOnceButNotTheSender() throws Exception {
        String alice = uid("alice");
        String bob = uid("bob");
        String carol = uid("carol");
        ChatTestClient a = loggedIn(alice);
        ChatTestClient b = loggedIn(bob);
        ChatTestClient c = loggedIn(carol);

        // The sender in the list and a duplicate member must not produce extra copies.
        List<String> members = List.of(bob, carol, alice, bob);
        a.sendGroup(members, "hello group");

        assertThat(a.events().next()).isEqualTo(new ChatEvent.Sent(List.of(bob, carol), List.of()));
        assertThat(b.events().next()).isEqualTo(new ChatEvent.GroupMessage(alice, members, "hello group"));
        assertThat(c.events().next()).isEqualTo(new ChatEvent.GroupMessage(alice, members, "hello group"));

        // Exactly one copy each: the next thing bob sees is a later private message, not a second group copy.
        c.send(bob, "after the group");
        assertThat(c.events().next()).isEqualTo(new ChatEvent.Sent(bob));
        assertThat(b.events().next()).isEqualTo(new ChatEvent.Message(carol, "after the group"));
    }

    @Test
    void offlineMembersAreReportedBackToTheSender() throws Exception {
        String alice = uid("alice");
        String bob = uid("bob");
        String dave = uid("dave");
        String erin = uid("erin");
        ChatTestClient a = loggedIn(alice);
        ChatTestClient b = loggedIn(bob);

        a.sendGroup(List.of(dave, bob, erin), "who is around?");
        assertThat(a.events().next()).isEqualTo(new ChatEvent.Sent(List.of(bob), List.of(dave, erin)));
        assertThat(b.events().next()).isEqualTo(new ChatEvent.GroupMessage(alice, List.of(dave, bob, erin),
                "who is around?"));
    }

    @Test
    void aGroupWhoseMembersAreAllOfflineIsStillAcknowledged() throws Exception {
        String dave = uid("dave");
        String erin = uid("erin");
        ChatTestClient a = loggedIn(uid("alice"));
        a.sendGroup(List.of(dave, erin), "anyone?");
        assertThat(a.events().next()).isEqualTo(new ChatEvent.Sent(List.of(), List.of(dave, erin)));
    }

    @Test
    void aGroupMessageBeforeLoginIsRefused() throws Exception {
        String bob = uid("bob");
        ChatTestClient b = loggedIn(bob);
        ChatTestClient anonymous = connect();
        anonymous.sendGroup(List.of(bob), "sneaky");
        anonymous.events().nextError(ErrorCodes.NOT_LOGGED_IN);

        // bob got nothing: the first thing he sees is a message sent after.
        ChatTestClient a = loggedIn(uid("alice"));
        a.send(bob, "hi");
        assertThat(a.events().next()).isEqualTo(new ChatEvent.Sent(bob));
        assertThat(b.events().next()).isInstanceOf(ChatEvent.Message.class)
                .extracting(e -> ((ChatEvent.Message) e).text()).isEqualTo("hi");
    }
}
