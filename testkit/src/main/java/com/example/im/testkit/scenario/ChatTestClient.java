package com.example.im.testkit.scenario;

import java.util.List;

/** One connection to the system under test, as the shared scenarios drive it. */
public interface ChatTestClient extends AutoCloseable {

    void login(String uid);

    /** A private message; the server answers with {@link ChatEvent.Sent} or {@link ChatEvent.Error}. */
    void send(String toUid, String text);

    /**
     * A group message (the article's 方式二): one send, every member in {@code toUids}. The server answers with
     * {@link ChatEvent.Sent} naming who got it and who was offline. Stages without group chat do not override this.
     */
    default void sendGroup(List<String> toUids, String text) {
        throw new UnsupportedOperationException("this stage has no group chat");
    }

    /**
     * Writes input this stage's protocol cannot read (an overlong line, a frame that is not protobuf, …). The server
     * must answer with an error if it can, then close the connection.
     */
    void sendMalformed();

    /** Everything the server said to this connection, in order. */
    EventLog events();

    /** Closes the connection from the client side, as a user quitting would. */
    @Override
    void close();
}
