package com.example.im.testkit.scenario;

import java.util.List;

/**
 * What a chat client can observe, in words every stage shares. Each stage's driver translates its own wire format
 * (text lines in stage 1, protobuf frames later) into these events.
 */
public sealed interface ChatEvent {

    /** The server accepted our login. */
    record LoggedIn(String uid) implements ChatEvent {
    }

    /**
     * The server accepted a message of ours: handed to {@code sentUids}; {@code offlineUids} could not be reached
     * (group chat only — a private message to an offline user is an {@link Error}).
     */
    record Sent(List<String> sentUids, List<String> offlineUids) implements ChatEvent {

        public Sent {
            sentUids = List.copyOf(sentUids);
            offlineUids = List.copyOf(offlineUids);
        }

        /** The receipt of a private message to {@code toUid}. */
        public Sent(String toUid) {
            this(List.of(toUid), List.of());
        }
    }

    /** A private chat message arrived from {@code fromUid}. */
    record Message(String fromUid, String text) implements ChatEvent {
    }

    /** A group chat message arrived from {@code fromUid}, addressed to {@code toUids}. */
    record GroupMessage(String fromUid, List<String> toUids, String text) implements ChatEvent {

        public GroupMessage {
            toUids = List.copyOf(toUids);
        }
    }

    /**
     * The server refused something. {@code code} is one of the shared error codes in {@link ErrorCodes};
     * {@code detail} is the human-readable rest.
     */
    record Error(String code, String detail) implements ChatEvent {
    }
}
