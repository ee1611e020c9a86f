package com.example.im.web;

import com.example.im.auth.Tokens;
import com.example.im.protocol.Envelope;
import com.example.im.server.EdgeSettings;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.util.JsonFormat;
import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

/**
 * A WebSocket chat client for tests, on the JDK's {@link java.net.http.WebSocket}: it records every message (text or
 * binary, reassembled from fragments) and the close status. It sends what a test tells it, broken frames included.
 */
final class WsClient implements AutoCloseable {

    /** A token for {@code uid}, signed with the key every test node of this JVM uses. */
    static String token(String uid) {
        return new Tokens(EdgeSettings.forTests().authKey()).issue(uid, Instant.now().plus(Duration.ofHours(1)));
    }

    private static final JsonFormat.Printer PRINTER = JsonFormat.printer().omittingInsignificantWhitespace();

    final List<Object> received = new CopyOnWriteArrayList<>(); // String (text) or byte[] (binary)
    final CompletableFuture<Integer> closed = new CompletableFuture<>();
    volatile String closeReason;
    private final WebSocket socket;
    final String subprotocol;

    private WsClient(URI uri, String subprotocol) throws Exception {
        WebSocket.Builder builder = HttpClient.newHttpClient().newWebSocketBuilder()
                .connectTimeout(Duration.ofSeconds(10));
        if (subprotocol != null) {
            builder.subprotocols(subprotocol);
        }
        socket = builder.buildAsync(uri, new Recording()).get(10, TimeUnit.SECONDS);
        this.subprotocol = socket.getSubprotocol();
    }

    /** Connects to {@code ws://127.0.0.1:port/ws} (or {@code path}) with {@code subprotocol} (null: none). */
    static WsClient connect(int httpPort, String path, String subprotocol) throws Exception {
        return new WsClient(URI.create("ws://127.0.0.1:" + httpPort + path), subprotocol);
    }

    /** Connects to {@code uri} (stage 9: a node's advertised address, as /api/nodes lists it). */
    static WsClient connect(URI uri, String subprotocol) throws Exception {
        return new WsClient(uri, subprotocol);
    }

    static WsClient connect(int httpPort, String subprotocol) throws Exception {
        return connect(httpPort, WebEdge.WS_PATH, subprotocol);
    }

    private boolean binary() {
        return WebSocketEnvelopeCodec.PROTO.equals(subprotocol);
    }

    /** Sends {@code envelope} in the encoding of the negotiated subprotocol. */
    void send(Envelope envelope) {
        try {
            if (binary()) {
                socket.sendBinary(ByteBuffer.wrap(envelope.toByteArray()), true).join();
            } else {
                socket.sendText(PRINTER.print(envelope), true).join();
            }
        } catch (InvalidProtocolBufferException e) {
            throw new IllegalStateException(e);
        }
    }

    void sendText(String text) {
        socket.sendText(text, true).join();
    }

    /** One message in fragments (continuation frames). */
    void sendTextFragments(String... parts) {
        for (int i = 0; i < parts.length; i++) {
            socket.sendText(parts[i], i == parts.length - 1).join();
        }
    }

    void sendBinary(byte[] bytes) {
        socket.sendBinary(ByteBuffer.wrap(bytes), true).join();
    }

    /** Every message received so far as an envelope (text: protobuf JSON; binary: protobuf). */
    List<Envelope> envelopes() {
        return received.stream().map(m -> {
            try {
                if (m instanceof String text) {
                    Envelope.Builder b = Envelope.newBuilder();
                    JsonFormat.parser().merge(text, b);
                    return b.build();
                }
                return Envelope.parseFrom((byte[]) m);
            } catch (InvalidProtocolBufferException e) {
                throw new IllegalStateException("not an envelope: " + m, e);
            }
        }).toList();
    }

    long count(Envelope.BodyCase kind) {
        return envelopes().stream().filter(e -> e.getBodyCase() == kind).count();
    }

    boolean receivedChat(String content) {
        return envelopes().stream().anyMatch(e -> e.hasChat() && e.getChat().getContent().equals(content));
    }

    boolean isClosed() {
        return closed.isDone();
    }

    @Override
    public void close() {
        if (!socket.isOutputClosed()) {
            socket.sendClose(WebSocket.NORMAL_CLOSURE, "bye").exceptionally(e -> null);
        }
        socket.abort();
    }

    private final class Recording implements WebSocket.Listener {
        private final StringBuilder text = new StringBuilder();
        private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();

        @Override
        public CompletionStage<?> onText(WebSocket ws, CharSequence data, boolean last) {
            text.append(data);
            if (last) {
                received.add(text.toString());
                text.setLength(0);
            }
            ws.request(1);
            return null;
        }

        @Override
        public CompletionStage<?> onBinary(WebSocket ws, ByteBuffer data, boolean last) {
            byte[] chunk = new byte[data.remaining()];
            data.get(chunk);
            bytes.writeBytes(chunk);
            if (last) {
                received.add(bytes.toByteArray());
                bytes.reset();
            }
            ws.request(1);
            return null;
        }

        @Override
        public CompletionStage<?> onClose(WebSocket ws, int statusCode, String reason) {
            closeReason = reason;
            closed.complete(statusCode);
            return null;
        }

        @Override
        public void onError(WebSocket ws, Throwable error) {
            closed.complete(-1);
        }
    }
}
