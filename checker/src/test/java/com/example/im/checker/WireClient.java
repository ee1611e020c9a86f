package com.example.im.checker;

import static org.assertj.core.api.Assertions.assertThat;

import com.example.im.checker.wire.ChatMessage;
import com.example.im.checker.wire.Envelope;
import com.example.im.checker.wire.Login;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;

/**
 * A blocking test client for a node on 127.0.0.1: varint32-length-prefixed Envelopes over a socket
 * ({@code writeDelimitedTo} is that framing). A reply that does not come within 10 s fails the read.
 */
public final class WireClient implements AutoCloseable {
    private final Socket socket;
    private final InputStream in;
    private final OutputStream out;

    private WireClient(Socket socket) throws IOException {
        this.socket = socket;
        socket.setSoTimeout(10_000); // a missing reply fails the read instead of hanging the test
        this.in = socket.getInputStream();
        this.out = socket.getOutputStream();
    }

    public static WireClient connect(int port) throws IOException {
        return new WireClient(new Socket("127.0.0.1", port));
    }

    /** Connects and logs in as {@code uid}; asserts the login was acknowledged. */
    public static WireClient login(int port, String uid) throws IOException {
        WireClient client = connect(port);
        client.send(Envelope.newBuilder().setLogin(Login.newBuilder().setUid(uid)).build());
        Envelope ack = client.next();
        assertThat(ack.hasLoginAck()).as("%s", ack).isTrue();
        assertThat(ack.getLoginAck().getUid()).isEqualTo(uid);
        return client;
    }

    public void send(ChatMessage.Builder chat) throws IOException {
        send(Envelope.newBuilder().setChat(chat).build());
    }

    public void send(Envelope frame) throws IOException {
        frame.writeDelimitedTo(out);
        out.flush();
    }

    public Envelope next() throws IOException {
        Envelope frame = Envelope.parseDelimitedFrom(in);
        assertThat(frame).as("no frame within 10 s (or the connection closed)").isNotNull();
        return frame;
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
