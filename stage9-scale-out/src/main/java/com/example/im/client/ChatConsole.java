package com.example.im.client;

import com.example.im.config.Flags;
import com.example.im.protocol.ChatMessage;
import com.example.im.protocol.Command;
import com.example.im.protocol.CommandParser;
import com.example.im.protocol.Envelope;
import com.example.im.protocol.ProtocolException;
import com.example.im.balance.LoadBalancer;
import com.example.im.registry.NodeDirectory;
import com.example.im.registry.Registry;
import com.example.im.registry.ZkNodeLocator;
import java.io.BufferedReader;
import java.io.Console;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * The interactive terminal client: it reads the same commands as stage 1 (plus GROUP), turns them into protobuf
 * frames and prints every frame the server sends as one readable line (docs/02-protobuf.md, "The console"); since stage 3 it also shows the link going down and coming back.
 *
 * <pre>java -cp stage9-scale-out/target/stage9-scale-out.jar com.example.im.client.ChatConsole --port 7001</pre>
 */
public final class ChatConsole {

    private static final String USAGE = "usage: ChatConsole [--zk 127.0.0.1:2181] [--strategy consistent-hash]"
            + " [--zk none --host 127.0.0.1 --port 7001] [--ping-interval-ms 5000] [--reader-idle-ms 15000]"
            + " [--backoff-max-ms 30000] [--token TOKEN | --token-url http://127.0.0.1:8001/dev/token]"
            + " [--tls-trust cert.pem]"
            + "\n  strategies: random, round-robin, consistent-hash, least-connections"
            + "\n  --token TOKEN: the login token (stage 8 nodes refuse a login without one), e.g. from DevToken"
            + "\n  --token-url URL: ask a node's development token issuer (a node started with --dev-token-issuer)"
            + "\n    for a token at every login. Both are for DEVELOPMENT: a real client gets its token from a login"
            + " service."
            + "\n  --tls-trust cert.pem: speak TLS and trust exactly the certificate(s) in that PEM file";
    static final String HELP = "commands: LOGIN <uid> | SEND <to_uid> <text> | GROUP <uid>,<uid>,... <text> | WHO"
            + " | HELP | QUIT";

    private ChatConsole() {
    }

    public static void main(String[] args) throws Exception {
        quietLibraryLogs(System.getProperties());
        ClientConfig config;
        NodeLocator locator;
        try {
            Flags flags = Flags.parse(args, ClientConfig.FLAGS);
            if (flags.help()) {
                System.out.println(USAGE);
                return;
            }
            config = ClientConfig.fromFlags(flags);
            locator = locator(flags, config);
        } catch (IllegalArgumentException e) {
            System.err.println("error: " + e.getMessage());
            System.err.println(USAGE);
            System.exit(2);
            return;
        }
        System.out.println("nodes from " + locator
                + (config.tlsTrust() == null ? "" : ", over TLS trusting only " + config.tlsTrust())
                + ". Type LOGIN <uid> to connect; HELP lists the commands.");

        // The node depends on the uid (consistent hashing), so the console connects at the first LOGIN.
        BufferedReader in = typedLines(System.in, consoleCharset());
        String first;
        Command.Login login = null;
        while (login == null) {
            first = in.readLine();
            if (first == null) {
                return;
            }
            try {
                Command command = first.isEmpty() ? null : CommandParser.parse(first);
                if (command instanceof Command.Login l) {
                    login = l;
                } else if (command instanceof Command.Quit) {
                    return;
                } else if (command != null) {
                    System.out.println(command instanceof Command.Help ? HELP : "! log in first: LOGIN <uid>");
                }
            } catch (ProtocolException e) {
                System.out.println("! " + e.getMessage());
            }
        }

        CountDownLatch closed = new CountDownLatch(1);
        ChatClient client;
        try {
            client = ChatClient.connect(config, locator, login.uid(), printer(System.out, closed));
        } catch (com.example.im.auth.TokenSource.TokenUnavailable e) {
            System.err.println("cannot log in as " + login.uid() + ": " + e.getMessage());
            System.exit(1);
            return;
        } catch (Exception e) {
            System.err.println("cannot connect (" + locator + "): " + e.getMessage()
                    + "\nIs a node running? (java -jar stage9-scale-out/target/stage9-scale-out.jar)");
            System.exit(1);
            return;
        }
        InetSocketAddress node = client.address();
        System.out.println("connected to " + node.getHostString() + ":" + node.getPort() + " as " + login.uid()
                + ". SEND <to_uid> <text>; HELP lists the commands, QUIT or Ctrl-D leaves.");

        converse(client, in, closed);
        if (locator instanceof AutoCloseable zk) {
            zk.close(); // the ZooKeeper session and its threads
        }
    }

    /**
     * A console shows the chat, not the libraries' diaries: unless the user chose log levels, ZooKeeper's and
     * Curator's warnings while ZooKeeper does not answer ("Sleep extension too large", "Session expired event
     * received", every few seconds) stay out of the conversation; the console says it in one line of its own.
     */
    static void quietLibraryLogs(Properties system) {
        String prefix = "org.slf4j.simpleLogger.";
        if (system.stringPropertyNames().stream().noneMatch(name -> name.startsWith(prefix))) {
            system.setProperty(prefix + "log.org.apache.zookeeper", "error");
            system.setProperty(prefix + "log.org.apache.curator", "error");
        }
    }

    /** The ZooKeeper node list with a strategy, or a fixed address with {@code --zk none}. */
    static NodeLocator locator(Flags flags, ClientConfig config) {
        String zk = flags.get("zk", "127.0.0.1:2181");
        if (zk.equals("none")) {
            return NodeLocator.fixed(config.host(), config.port());
        }
        LoadBalancer balancer = LoadBalancer.named(flags.get("strategy", "consistent-hash"));
        NodeDirectory directory = new NodeDirectory(Registry.curator(zk, 10_000));
        try {
            if (!directory.awaitInitialized(10, TimeUnit.SECONDS)) {
                System.out.println("(ZooKeeper " + zk + " does not answer yet; still trying)");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return new ZkNodeLocator(directory, balancer);
    }

    /** What the console shows: one line per frame or link event; {@code closed} counts down when the client ends. */
    static ChatClient.Listener printer(PrintStream out, CountDownLatch closed) {
        return new ChatClient.Listener() {
            @Override
            public void onFrame(Envelope frame) {
                out.println(describe(frame));
            }

            @Override
            public void onConnectionEvent(String what) {
                out.println("(" + what + ")");
            }

            @Override
            public void onClose() {
                out.println("(connection closed)");
                closed.countDown();
            }
        };
    }

    /**
     * Runs typed lines until QUIT or the end of input, then closes the client; returns once the client has ended
     * (quit, kicked, or the link lost with reconnect off). Lines are read on a thread of their own so that a kick
     * ends the console even while it waits for the user to type.
     */
    static void converse(ChatClient client, BufferedReader in, CountDownLatch closed) throws InterruptedException {
        Thread stdin = new Thread(() -> {
            try (in) {
                String line;
                while ((line = in.readLine()) != null) {
                    if (!line.isEmpty() && !run(client, line)) {
                        break;
                    }
                }
                client.close(); // fires onClose, also while the client is reconnecting with nowhere to go
            } catch (Exception e) {
                System.err.println("stdin: " + e.getMessage());
                closed.countDown();
            }
        }, "stdin");
        stdin.setDaemon(true);
        stdin.start();

        closed.await();
        client.close();
    }

    /** Runs one typed line; false when the user asked to quit. */
    static boolean run(ChatClient client, String line) {
        Command command;
        try {
            command = CommandParser.parse(line);
        } catch (ProtocolException e) {
            System.out.println("! " + e.getMessage()); // a typing error never reaches the server
            return true;
        }
        boolean accepted = true;
        if (command instanceof Command.Login login) {
            accepted = client.login(login.uid());
        } else if (command instanceof Command.Send send) {
            accepted = client.send(send.toUid(), send.text());
        } else if (command instanceof Command.Group group) {
            accepted = client.sendGroup(group.toUids(), group.text());
        } else if (command instanceof Command.Who) {
            accepted = client.who();
        } else if (command instanceof Command.Help) {
            System.out.println(HELP);
        } else if (command instanceof Command.Quit) {
            return false;
        }
        if (!accepted) {
            System.out.println("! not sent: the message is too large, " + ChatClient.MAX_UNACKED
                    + " messages still wait for the server's acknowledgement, the client is reconnecting and its queue"
                    + " is full, or it is closed");
        }
        return true;
    }

    // tag::describe[]
    /** One readable line per frame, in the spirit of stage 1's text replies. */
    public static String describe(Envelope frame) {
        return switch (frame.getBodyCase()) {
            case LOGIN_ACK -> "OK login " + frame.getLoginAck().getUid();
            case SEND_ACK -> "OK sent " + frame.getSendAck().getMsgId() + " to "
                    + (frame.getSendAck().getSentUidsCount() == 0 ? "nobody"
                            : String.join(",", frame.getSendAck().getSentUidsList()))
                    + (frame.getSendAck().getOfflineUidsCount() == 0 ? ""
                            : " (offline, stored for their next login: "
                                    + String.join(",", frame.getSendAck().getOfflineUidsList()) + ")");
            case CHAT -> {
                ChatMessage m = frame.getChat();
                String to = m.getToUidListCount() == 0 ? "" : " -> [" + String.join(",", m.getToUidListList()) + "]";
                yield "MSG " + m.getFromUid() + to + ": " + m.getContent();
            }
            case ERROR -> "ERR " + frame.getError().getCode().name().toLowerCase(Locale.ROOT).replace('_', '-')
                    + " " + frame.getError().getText()
                    + (frame.getError().getCode() == com.example.im.protocol.ErrorCode.UNAUTHENTICATED
                            ? " (login refused: the node checks tokens; start the console with --token or --token-url;"
                                    + " not reconnecting)" : "");
            case WHO_REPLY -> "OK who " + frame.getWhoReply().getCount() + " "
                    + String.join(" ", frame.getWhoReply().getUidsList());
            case GAP -> "GAP messages " + frame.getGap().getFromSeq() + ".." + frame.getGap().getToSeq()
                    + " were removed by retention before you got them";
            default -> "? " + frame.getBodyCase();
        };
    }
    // end::describe[]

    /**
     * The charset typed lines arrive in: the terminal's own, else the one the JVM says stdout uses, else the
     * platform's. A Chinese Windows console sends GBK; reading it as UTF-8 would turn 你好 into replacement
     * characters (and the parser's "line is not valid UTF-8 text"). A plain-ASCII answer (the POSIX "C" locale, i.e.
     * nobody chose one) counts as UTF-8, which is ASCII's superset.
     */
    static Charset consoleCharset() {
        Console console = System.console();
        return consoleCharset(console == null ? null : console.charset(),
                System.getProperty("stdout.encoding"), System.getProperty("native.encoding"));
    }

    static Charset consoleCharset(Charset console, String... encodingNames) {
        Charset chosen = console;
        for (int i = 0; chosen == null && i < encodingNames.length; i++) {
            try {
                chosen = encodingNames[i] == null ? null : Charset.forName(encodingNames[i]);
            } catch (IllegalArgumentException unknownName) {
                chosen = null; // try the next source
            }
        }
        if (chosen == null) {
            chosen = Charset.defaultCharset();
        }
        return chosen.equals(StandardCharsets.US_ASCII) ? StandardCharsets.UTF_8 : chosen;
    }

    /** The lines typed on {@code in}, decoded in {@code charset}. */
    static BufferedReader typedLines(InputStream in, Charset charset) {
        return new BufferedReader(new InputStreamReader(in, charset));
    }
}
