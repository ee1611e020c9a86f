package com.example.im.client;

import static org.awaitility.Awaitility.await;

import com.example.im.auth.TestTokens;
import com.example.im.protocol.Ack;
import com.example.im.protocol.ChatMessage;
import com.example.im.protocol.Envelope;
import com.example.im.server.WireFrames;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A recipient on the raw protocol whose acknowledgements and reading a test controls, across reconnects: it can
 * withhold its acks, stop reading after a few pushes (a slow reader), and log in again elsewhere. What it
 * <em>shows</em> follows the protocol's client-side rule, the one {@link ChatClient} applies: a message is shown only
 * when its seq is the next one; anything else is a resend (or a resend's tail) and is dropped. Everything pushed is
 * kept too, so a test can check that seqs name one message each and that resends really happened.
 */
public final class RawRecipient implements AutoCloseable {

    private final String uid;
    /** Every chat message pushed to this recipient, on any connection, resends included, in arrival order. */
    public final List<ChatMessage> received = new CopyOnWriteArrayList<>();
    /** What the user saw: each seq once, in order. */
    public final List<ChatMessage> shown = new CopyOnWriteArrayList<>();
    /** Every other frame (login acks, errors, go-aways), in arrival order. */
    public final List<Envelope> others = new CopyOnWriteArrayList<>();

    private final List<Connection> connections = new ArrayList<>();
    /** The highest contiguous seq shown; -1 before the first (a mailbox's first seq is not 1: see MailboxStore). */
    private volatile long lastShown = -1;
    private volatile boolean acking = true;

    public RawRecipient(String uid) {
        this.uid = uid;
    }

    /** One TCP connection; its reader thread shows, records and (when acking) acknowledges what arrives. */
    private final class Connection {
        final Socket socket;
        final OutputStream out;
        final Thread reader;
        volatile long readBudget; // chat frames this connection may still read; the reader waits at 0
        volatile boolean loggedIn;

        Connection(InetSocketAddress address, long readBudget) throws IOException {
            this.socket = new Socket();
            socket.connect(address, 5_000);
            socket.setTcpNoDelay(true);
            this.out = socket.getOutputStream();
            this.readBudget = readBudget;
            this.reader = new Thread(this::readLoop, "raw-" + uid + "-" + address.getPort());
            reader.setDaemon(true);
        }

        private void readLoop() {
            try {
                InputStream in = socket.getInputStream();
                while (true) {
                    synchronized (this) {
                        while (readBudget <= 0 && !socket.isClosed()) {
                            wait(); // woken by allowReads() or close
                        }
                    }
                    Envelope frame = Envelope.parseDelimitedFrom(in); // the wire's framing: varint32 length prefix
                    if (frame == null) {
                        return; // the server closed the connection
                    }
                    if (frame.hasChat()) {
                        readBudget--;
                        onMessage(this, frame.getChat());
                    } else {
                        if (frame.hasLoginAck()) {
                            loggedIn = true;
                        }
                        others.add(frame);
                    }
                }
            } catch (IOException | InterruptedException e) {
                // closed by the test or the server: this connection is over
            }
        }

        synchronized void write(Envelope frame) {
            try {
                out.write(WireFrames.frame(frame));
                out.flush();
            } catch (IOException e) {
                // a dead connection: what was not sent is what a lost frame is
            }
        }

        void close() {
            try {
                socket.close();
            } catch (IOException ignored) {
                // closing anyway
            }
            synchronized (this) {
                notifyAll();
            }
        }
    }

    private void onMessage(Connection on, ChatMessage message) {
        received.add(message);
        long ack;
        synchronized (this) {
            if (lastShown < 0 || message.getSeq() == lastShown + 1) {
                shown.add(message);
                lastShown = message.getSeq();
            }
            ack = lastShown;
        }
        if (acking && ack >= 0) {
            on.write(Envelope.newBuilder().setAck(Ack.newBuilder().setSeq(ack)).build());
        }
    }

    /**
     * Logs in over a new connection to {@code address}, telling the server {@code lastSeq} (-1: "I kept nothing,
     * resume after what I acknowledged"), and waits for the login ack. Earlier connections stay as they are.
     */
    public void connect(InetSocketAddress address, long lastSeq) {
        connect(address, lastSeq, Long.MAX_VALUE);
    }

    /** {@link #connect(InetSocketAddress, long)}, reading only the first {@code readBudget} chat frames. */
    public void connect(InetSocketAddress address, long lastSeq, long readBudget) {
        Connection c;
        try {
            c = new Connection(address, readBudget);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot connect to " + address, e);
        }
        synchronized (this) {
            connections.add(c);
        }
        c.reader.start();
        c.write(Envelope.newBuilder().setLogin(TestTokens.login(uid).setLastSeq(lastSeq)).build());
        await().atMost(Duration.ofSeconds(10)).until(() -> c.loggedIn);
    }

    private synchronized Connection current() {
        return connections.get(connections.size() - 1);
    }

    /** From now on, no acks at all: every push stays unacknowledged on the server. */
    public void withholdAcks() {
        acking = false;
    }

    /** Acknowledges, from now on, after every message (cumulatively: the highest seq shown). */
    public void ackEverything() {
        acking = true;
    }

    /** The current connection reads {@code count} more chat frames and then stops reading (a slow reader). */
    public void readOnly(long count) {
        Connection c = current();
        synchronized (c) {
            c.readBudget = count;
            c.notifyAll();
        }
    }

    /** Closes the current connection: whatever the server sent that was not read yet is lost. */
    public void dropConnection() {
        current().close();
    }

    public long lastShown() {
        return lastShown;
    }

    /** The contents shown, in order. */
    public List<String> shownTexts() {
        return shown.stream().map(ChatMessage::getContent).toList();
    }

    @Override
    public synchronized void close() {
        connections.forEach(Connection::close);
    }
}
