package com.example.im.testkit.scenario;

/**
 * What a chat client can observe, in words every stage shares. Each stage's driver translates its own wire format
 * (text lines in stage 1, protobuf frames later) into these events.
 */
public sealed interface ChatEvent {

    /** The server accepted our login. */
    record LoggedIn(String uid) implements ChatEvent {
    }

    /** The server accepted a private message of ours for delivery to {@code toUid}. */
    record Sent(String toUid) implements ChatEvent {
    }

    /** A chat message arrived from {@code fromUid}. */
    record Message(String fromUid, String text) implements ChatEvent {
    }

    /**
     * The server refused something. {@code code} is one of the shared error codes in {@link ErrorCodes};
     * {@code detail} is the human-readable rest.
     */
    record Error(String code, String detail) implements ChatEvent {
    }
}
