package com.example.im.server;

import com.example.im.client.ChatClient;
import com.example.im.testkit.scenario.ChatDriver;
import com.example.im.testkit.scenario.ChatEvent;
import com.example.im.testkit.scenario.ChatTestClient;
import com.example.im.testkit.scenario.EventLog;
import java.net.InetSocketAddress;

/** Drives the shared scenarios over the stage-1 text protocol, through the real {@link ChatClient}. */
final class LineChatDriver implements ChatDriver {

    private final InetSocketAddress server;
    private final int maxLineLength;

    LineChatDriver(InetSocketAddress server, int maxLineLength) {
        this.server = server;
        this.maxLineLength = maxLineLength;
    }

    @Override
    public ChatTestClient connect() throws Exception {
        EventLog events = new EventLog();
        ChatClient client = ChatClient.connect(server.getHostString(), server.getPort(), new ChatClient.Listener() {
            @Override
            public void onLine(String line) {
                ChatEvent event = toEvent(line);
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
            public void sendMalformed() {
                client.sendLine("SEND x " + "y".repeat(maxLineLength));
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

    /** Server line -> shared event; lines the scenarios do not look at (WHO, HELP, bye) map to null. */
    static ChatEvent toEvent(String line) {
        String[] parts = line.split(" ", 3);
        String rest = parts.length > 2 ? parts[2] : "";
        return switch (parts[0]) {
            case "OK" -> switch (parts.length > 1 ? parts[1] : "") {
                case "login" -> new ChatEvent.LoggedIn(rest);
                case "sent" -> new ChatEvent.Sent(rest);
                default -> null;
            };
            case "MSG" -> new ChatEvent.Message(parts[1], rest);
            case "ERR" -> new ChatEvent.Error(parts[1], rest);
            default -> throw new AssertionError("not a stage-1 server line: " + line);
        };
    }
}
