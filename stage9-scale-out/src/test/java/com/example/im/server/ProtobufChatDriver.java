package com.example.im.server;

import com.example.im.auth.TestTokens;
import com.example.im.client.ChatClient;
import com.example.im.client.ClientConfig;
import com.example.im.protocol.ChatMessage;
import com.example.im.protocol.Envelope;
import com.example.im.testkit.scenario.ChatDriver;
import com.example.im.testkit.scenario.ChatEvent;
import com.example.im.testkit.scenario.ChatTestClient;
import com.example.im.testkit.scenario.EventLog;
import io.netty.buffer.Unpooled;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Locale;

/**
 * Drives the shared scenarios over protobuf frames, through the real {@link ChatClient}. With several nodes, each new
 * connection goes to the next node in turn, so the users of one scenario are spread over the cluster.
 */
final class ProtobufChatDriver implements ChatDriver {

    private final List<InetSocketAddress> servers;
    private final int maxFrameLength;
    private int next;

    ProtobufChatDriver(InetSocketAddress server, int maxFrameLength) {
        this(List.of(server), maxFrameLength);
    }

    ProtobufChatDriver(List<InetSocketAddress> servers, int maxFrameLength) {
        this.servers = List.copyOf(servers);
        this.maxFrameLength = maxFrameLength;
    }

    @Override
    public ChatTestClient connect() throws Exception {
        InetSocketAddress server = servers.get(next++ % servers.size());
        EventLog events = new EventLog();
        // The shared scenarios test the server: a connection the server closes must stay closed, so no reconnect.
        ClientConfig config = TestTokens.client(server.getHostString(), server.getPort()).withReconnect(false);
        ChatClient client = ChatClient.connect(config, new ChatClient.Listener() {
            @Override
            public void onFrame(Envelope frame) {
                ChatEvent event = toEvent(frame);
                if (event != null) {
                    events.add(event);
                }
            }

            @Override
            public void onClose() {
                events.markClosed();
            }
        });
        return new ChatTestClient() {
            @Override
            public void login(String uid) {
                client.login(uid);
            }

            @Override
            public void send(String toUid, String text) {
                client.send(toUid, text);
            }

            @Override
            public void sendGroup(List<String> toUids, String text) {
                client.sendGroup(toUids, text);
            }

            @Override
            public void sendMalformed() {
                // A length prefix one byte over the limit: the server cannot frame what follows.
                client.writeRaw(Unpooled.wrappedBuffer(varint32(maxFrameLength + 1)));
            }

            @Override
            public EventLog events() {
                return events;
            }

            @Override
            public void close() {
                client.close();
            }
        };
    }

    /** Server frame -> shared event; frames the scenarios do not look at (WHO) map to null. */
    static ChatEvent toEvent(Envelope frame) {
        return switch (frame.getBodyCase()) {
            case LOGIN_ACK -> new ChatEvent.LoggedIn(frame.getLoginAck().getUid());
            case SEND_ACK -> new ChatEvent.Sent(frame.getSendAck().getSentUidsList(),
                    frame.getSendAck().getOfflineUidsList());
            case CHAT -> {
                ChatMessage m = frame.getChat();
                yield m.getToUidListCount() == 0
                        ? new ChatEvent.Message(m.getFromUid(), m.getContent())
                        : new ChatEvent.GroupMessage(m.getFromUid(), m.getToUidListList(), m.getContent());
            }
            case ERROR -> new ChatEvent.Error(
                    frame.getError().getCode().name().toLowerCase(Locale.ROOT).replace('_', '-'),
                    frame.getError().getText());
            case WHO_REPLY -> null;
            default -> throw new AssertionError("a server may not send " + frame.getBodyCase());
        };
    }

    static byte[] varint32(int value) {
        byte[] buffer = new byte[5];
        int n = 0;
        while ((value & ~0x7F) != 0) {
            buffer[n++] = (byte) ((value & 0x7F) | 0x80);
            value >>>= 7;
        }
        buffer[n++] = (byte) value;
        return java.util.Arrays.copyOf(buffer, n);
    }
}
