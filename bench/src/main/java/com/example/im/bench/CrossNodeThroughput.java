package com.example.im.bench;

import com.example.im.client.ChatClient;
import com.example.im.client.ClientConfig;
import com.example.im.client.NodeLocator;
import com.example.im.config.Flags;
import com.example.im.protocol.Envelope;
import com.example.im.server.ChatServer;
import com.example.im.server.ServerConfig;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A first throughput figure for cross-node delivery (docs/05-redis-forwarding.md): N sender/receiver pairs, every
 * sender on node A; the baseline run has the receivers on A too (no Redis hop), the measured run has them on node B.
 * Both runs in this process, against the same Redis; the table gives the ratio. Each sender keeps a window of
 * unacknowledged messages in flight.
 *
 * <pre>redis-server --port 6390 --save "" --appendonly no --daemonize yes
 * java -cp bench/target/benchmarks.jar com.example.im.bench.CrossNodeThroughput --redis redis://127.0.0.1:6390</pre>
 */
public final class CrossNodeThroughput {

    private CrossNodeThroughput() {
    }

    public static void main(String[] args) throws Exception {
        Flags flags = Flags.parse(args, Set.of("redis", "pairs", "messages", "window"));
        String redis = flags.get("redis", "redis://127.0.0.1:6379");
        int pairs = flags.getInt("pairs", 8);
        int messages = flags.getInt("messages", 20_000);
        int window = flags.getInt("window", 64);

        ServerConfig config = ServerConfig.forTests().withRedis(redis, 30_000, 30_000);
        try (ChatServer a = ChatServer.start(config); ChatServer b = ChatServer.start(config)) {
            run(a, a, pairs, messages / 4, window, "warm-up");
            double same = run(a, a, pairs, messages, window, "same node");
            double cross = run(a, b, pairs, messages, window, "cross node");
            System.out.printf("%nCross-node delivery through Redis (%d pairs, %d messages, window %d)%n",
                    pairs, messages, window);
            System.out.printf("machine: %d cores, JDK %s; %s; Redis %s%n", Runtime.getRuntime().availableProcessors(),
                    System.getProperty("java.version"), LocalDate.now(), redis);
            System.out.printf("%-34s %12s %12s %8s%n", "figure", "value", "baseline", "ratio");
            System.out.printf(Locale.ROOT, "%-34s %12.0f %12.0f %8.2f%n", "delivered msgs/s (base: same node)",
                    cross, same, cross / same);
        }
    }

    /** Returns delivered messages per second. */
    private static double run(ChatServer senders, ChatServer receivers, int pairs, int messages, int window,
                              String label) throws Exception {
        int perSender = messages / pairs;
        CountDownLatch allDelivered = new CountDownLatch(pairs * perSender);
        AtomicLong errors = new AtomicLong();
        List<ChatClient> clients = new ArrayList<>();
        List<Semaphore> windows = new ArrayList<>();
        String run = label.replace(' ', '-') + "-" + System.nanoTime();
        for (int i = 0; i < pairs; i++) {
            Semaphore inFlight = new Semaphore(window);
            windows.add(inFlight);
            clients.add(client(senders, run + "-s" + i, frame -> {
                if (frame.hasSendAck() || frame.hasError()) {
                    if (frame.hasError()) {
                        errors.incrementAndGet();
                    }
                    inFlight.release();
                }
            }));
            clients.add(client(receivers, run + "-r" + i, frame -> {
                if (frame.hasChat()) {
                    allDelivered.countDown();
                }
            }));
        }
        long start = System.nanoTime();
        List<Thread> threads = new ArrayList<>();
        for (int i = 0; i < pairs; i++) {
            ChatClient sender = clients.get(2 * i);
            Semaphore inFlight = windows.get(i);
            String to = run + "-r" + i;
            Thread t = new Thread(() -> {
                for (int m = 0; m < perSender; m++) {
                    inFlight.acquireUninterruptibly();
                    sender.send(to, "m" + m);
                }
            });
            t.start();
            threads.add(t);
        }
        for (Thread t : threads) {
            t.join();
        }
        if (!allDelivered.await(120, TimeUnit.SECONDS)) {
            throw new IllegalStateException(label + ": " + allDelivered.getCount() + " messages not delivered");
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        clients.forEach(ChatClient::close);
        if (errors.get() > 0) {
            throw new IllegalStateException(label + ": " + errors.get() + " error replies");
        }
        double rate = pairs * perSender / seconds;
        System.out.printf(Locale.ROOT, "%-12s %8d msgs in %6.2f s = %10.0f msgs/s%n", label, pairs * perSender,
                seconds, rate);
        return rate;
    }

    private static ChatClient client(ChatServer node, String uid, java.util.function.Consumer<Envelope> onFrame)
            throws InterruptedException {
        CountDownLatch loggedIn = new CountDownLatch(1);
        int port = node.localAddress().getPort();
        ChatClient client = ChatClient.connect(ClientConfig.of("127.0.0.1", port).withReconnect(false),
                NodeLocator.fixed("127.0.0.1", port), uid, frame -> {
                    if (frame.hasLoginAck()) {
                        loggedIn.countDown();
                    }
                    onFrame.accept(frame);
                });
        if (!loggedIn.await(10, TimeUnit.SECONDS)) {
            throw new IllegalStateException("no login ack for " + uid);
        }
        return client;
    }
}
