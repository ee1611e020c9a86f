package com.example.im.testkit.scenario;

/** One connection to the system under test, as the shared scenarios drive it. */
public interface ChatTestClient extends AutoCloseable {

    void login(String uid);

    /** A private message; the server answers with {@link ChatEvent.Sent} or {@link ChatEvent.Error}. */
    void send(String toUid, String text);

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
