package com.example.im.client;

import com.example.im.config.Flags;
import java.io.BufferedReader;
import java.io.Console;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.util.Set;
import java.util.concurrent.CountDownLatch;

/**
 * The interactive terminal client: every line you type goes to the server, every line the server sends is printed.
 * It is what {@code nc} does, plus a greeting and a clean exit (docs/01-single-node.md, "Run it").
 *
 * <pre>java -cp stage1-single-node/target/stage1-single-node.jar com.example.im.client.ChatConsole --port 7001</pre>
 */
public final class ChatConsole {

    private static final String USAGE = "usage: ChatConsole [--host 127.0.0.1] [--port 7001]";

    private ChatConsole() {
    }

    public static void main(String[] args) throws Exception {
        String host;
        int port;
        try {
            Flags flags = Flags.parse(args, Set.of("host", "port"));
            if (flags.help()) {
                System.out.println(USAGE);
                return;
            }
            host = flags.get("host", "127.0.0.1");
            port = flags.getInt("port", 7001);
        } catch (IllegalArgumentException e) {
            System.err.println("error: " + e.getMessage());
            System.err.println(USAGE);
            System.exit(2);
            return;
        }

        CountDownLatch closed = new CountDownLatch(1);
        ChatClient client;
        try {
            client = ChatClient.connect(host, port, new ChatClient.Listener() {
                @Override
                public void onLine(String line) {
                    System.out.println(line);
                }

                @Override
                public void onClose() {
                    System.out.println("(connection closed)");
                    closed.countDown();
                }
            });
        } catch (Exception e) {
            System.err.println("cannot connect to " + host + ":" + port + ": " + e.getMessage()
                    + "\nIs the server running? (java -jar stage1-single-node/target/stage1-single-node.jar)");
            System.exit(1);
            return;
        }
        System.out.println("connected to " + host + ":" + port + ". Type LOGIN <uid>, then SEND <to_uid> <text>; "
                + "HELP lists the commands, QUIT or Ctrl-D leaves.");

        Thread stdin = new Thread(() -> {
            try (BufferedReader in = typedLines(System.in, consoleCharset())) {
                String line;
                while ((line = in.readLine()) != null && client.isOpen()) {
                    if (!line.isEmpty()) {
                        client.sendLine(line);
                    }
                }
                if (client.isOpen()) {
                    client.quit();
                }
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
