package com.example.im.embedded.net;

import static java.nio.charset.StandardCharsets.US_ASCII;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.example.im.embedded.EmbeddedRedis;
import java.io.IOException;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 60, unit = TimeUnit.SECONDS)
class FaultProxyTest {

    /** How long "nothing arrives" is watched for. */
    private static final int QUIET_MILLIS = 500;
    /** How long an expected event may take; far above what it takes. */
    private static final int PROMPT_MILLIS = 5_000;

    private EchoServer echo;
    private FaultProxy proxy;
    private final List<Socket> sockets = new ArrayList<>();

    @BeforeEach
    void start() throws IOException {
        echo = new EchoServer();
        proxy = FaultProxy.start("echo", echo.address());
    }

    @AfterEach
    void stop() throws IOException {
        for (Socket socket : sockets) {
            socket.close();
        }
        proxy.close();
        echo.close();
    }

    @Test
    void passForwardsBothWaysAndAClosedSideClosesTheOther() throws IOException {
        assertThat(proxy.mode()).isEqualTo("pass");
        assertThat(proxy.address().getAddress().isLoopbackAddress()).isTrue();

        Socket client = connect();
        roundTrip(client, "hello");
        assertThat(proxy.connections()).isEqualTo(1);
        await().atMost(Duration.ofMillis(PROMPT_MILLIS)).until(() -> echo.open() == 1);

        // The server closes: the client sees EOF.
        echo.closeConnections();
        assertThat(client.getInputStream().read()).isEqualTo(-1);
        await().atMost(Duration.ofMillis(PROMPT_MILLIS)).until(() -> proxy.connections() == 0);

        // The client closes: the server sees EOF.
        Socket second = connect();
        roundTrip(second, "again");
        await().atMost(Duration.ofMillis(PROMPT_MILLIS)).until(() -> echo.open() == 1);
        second.close();
        await().atMost(Duration.ofMillis(PROMPT_MILLIS)).until(() -> echo.open() == 0 && proxy.connections() == 0);
        assertThat(echo.accepted()).isEqualTo(2);
    }

    @Test
    void delayDelaysBothDirections() throws IOException {
        Socket client = connect();
        roundTrip(client, "warm");

        proxy.delay(1_000);
        assertThat(proxy.mode()).isEqualTo("delay 1000 ms");
        long start = System.nanoTime();
        roundTrip(client, "x");
        long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        // 1 s to the server, 1 s back.
        assertThat(millis).isGreaterThanOrEqualTo(2_000);

        proxy.pass();
        start = System.nanoTime();
        roundTrip(client, "y");
        // Not a speed: with the delay still on this would take at least 2 s; a loaded machine has ample margin.
        assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start)).isLessThan(1_000);
    }

    @Test
    void aSubMillisecondDelayPerDirectionIsALowerBoundOfEveryRoundTrip() throws IOException {
        Socket client = connect();
        roundTrip(client, "warm");

        // 0.5 ms added round trip: 250 us each way.
        proxy.delay(Duration.ofNanos(250_000));
        assertThat(proxy.mode()).isEqualTo("delay 250 us");
        for (int i = 0; i < 100; i++) {
            long start = System.nanoTime();
            roundTrip(client, String.format("%03d", i));
            // Only the lower bound: how much later a chunk goes depends on how busy the machine is.
            assertThat(System.nanoTime() - start).as("round trip %d, ns", i).isGreaterThanOrEqualTo(500_000);
        }

        proxy.delay(7);
        assertThat(proxy.mode()).isEqualTo("delay 7 ms");
        assertThatThrownBy(() -> proxy.delay(Duration.ofNanos(-1))).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void delayKeepsOrderOverManySmallWritesEvenWhenTheDelayShrinks() throws Exception {
        Socket client = connect();
        roundTrip(client, "warm");
        StringBuilder expected = new StringBuilder();
        OutputStream out = client.getOutputStream();

        proxy.delay(300);
        for (int i = 0; i < 1000; i++) {
            writeLine(out, expected, i);
        }
        // Chunks read from now on are due sooner than those already held: they must still come after them.
        proxy.delay(5);
        for (int i = 1000; i < 2000; i++) {
            writeLine(out, expected, i);
        }
        byte[] echoed = client.getInputStream().readNBytes(expected.length());
        assertThat(new String(echoed, US_ASCII)).isEqualTo(expected.toString());
    }

    @Test
    void blackholeHoldsEverythingUntilPassThenItFlowsInOrder() throws Exception {
        Socket client = connect();
        roundTrip(client, "warm");
        long receivedBefore = echo.received();

        proxy.blackhole();
        assertThat(proxy.mode()).isEqualTo("blackhole");
        client.getOutputStream().write("ping".getBytes(US_ASCII));
        assertNothingArrives(client);

        // Much more than one read: TCP's windows hold it, the proxy holds nothing.
        byte[] bulk = randomBytes(512 * 1024);
        CompletableFuture<Void> writer = CompletableFuture.runAsync(() -> write(client, bulk));
        // A new connection is accepted, but nothing goes through it either.
        Socket late = connect();
        late.getOutputStream().write("late".getBytes(US_ASCII));
        assertNothingArrives(late);
        await().during(Duration.ofMillis(QUIET_MILLIS)).atMost(Duration.ofMillis(QUIET_MILLIS + 1_000))
                .until(() -> echo.received() == receivedBefore && proxy.pendingBytes() == 0);
        assertThat(proxy.connections()).isEqualTo(2);

        proxy.pass();
        assertThat(new String(readN(client, 4), US_ASCII)).isEqualTo("ping");
        assertThat(readN(client, bulk.length)).isEqualTo(bulk);
        writer.get(PROMPT_MILLIS, TimeUnit.MILLISECONDS);
        assertThat(new String(readN(late, 4), US_ASCII)).isEqualTo("late");
        roundTrip(client, "after");
    }

    @Test
    void blackholeAlsoHoldsWhatTheProxyHadAlreadyReadUnderDelay() throws IOException {
        Socket client = connect();
        roundTrip(client, "warm");
        long receivedBefore = echo.received();

        proxy.delay(200);
        client.getOutputStream().write("held".getBytes(US_ASCII));
        await().atMost(Duration.ofMillis(PROMPT_MILLIS)).until(() -> proxy.pendingBytes() == 4);
        proxy.blackhole();
        // Well past the 200 ms it was due: still nothing reaches the server.
        await().during(Duration.ofMillis(QUIET_MILLIS)).atMost(Duration.ofMillis(QUIET_MILLIS + 1_000))
                .until(() -> echo.received() == receivedBefore);
        assertNothingArrives(client);

        proxy.pass();
        assertThat(new String(readN(client, 4), US_ASCII)).isEqualTo("held");
    }

    @Test
    void blackholeAndPassThroughARealRedis() throws IOException {
        try (EmbeddedRedis redis = EmbeddedRedis.start();
                FaultProxy redisProxy = FaultProxy.start("redis", new InetSocketAddress(redis.host(), redis.port()))) {
            Socket client = new Socket();
            sockets.add(client);
            client.connect(redisProxy.address(), PROMPT_MILLIS);
            client.setSoTimeout(PROMPT_MILLIS);
            assertThat(redis(client, "PING", "+PONG\r\n")).isEqualTo("+PONG\r\n");
            assertThat(redis(client, resp("SET", "k", "before"), "+OK\r\n")).isEqualTo("+OK\r\n");

            redisProxy.blackhole();
            client.getOutputStream().write(resp("GET", "k").getBytes(US_ASCII));
            assertNothingArrives(client);
            assertThat(redisProxy.connections()).isEqualTo(1);

            redisProxy.pass();
            assertThat(new String(readN(client, "$6\r\nbefore\r\n".length()), US_ASCII)).isEqualTo("$6\r\nbefore\r\n");
            // The stream is intact: Redis still parses what comes next.
            assertThat(redis(client, resp("SET", "k", "after"), "+OK\r\n")).isEqualTo("+OK\r\n");
            assertThat(redis(client, resp("GET", "k"), "$5\r\nafter\r\n")).isEqualTo("$5\r\nafter\r\n");
        }
    }

    @Test
    void dropResetsOpenAndNewConnectionsUntilPass() throws IOException {
        Socket client = connect();
        roundTrip(client, "warm");
        await().atMost(Duration.ofMillis(PROMPT_MILLIS)).until(() -> echo.open() == 1);

        proxy.drop();
        assertThat(proxy.mode()).isEqualTo("drop");
        assertThatThrownBy(() -> client.getInputStream().read())
                .isInstanceOf(SocketException.class).hasMessageContaining("reset");
        // The upstream side is reset too.
        await().atMost(Duration.ofMillis(PROMPT_MILLIS)).until(() -> echo.open() == 0 && proxy.connections() == 0);

        int accepted = echo.accepted();
        // The kernel completes the handshake, the proxy resets the connection as it accepts it: so fast that the
        // reset may already be there when connect() checks the socket.
        assertThatThrownBy(() -> connect().getInputStream().read())
                .isInstanceOf(SocketException.class).hasMessageContaining("reset");
        assertThat(echo.accepted()).isEqualTo(accepted);
        assertThat(proxy.connections()).isZero();

        proxy.pass();
        roundTrip(connect(), "healed");
    }

    @Test
    void closeLeavesNoConnectionOpen() throws IOException {
        List<Socket> clients = List.of(connect(), connect(), connect());
        for (Socket client : clients) {
            roundTrip(client, "hi");
        }
        assertThat(proxy.connections()).isEqualTo(3);
        await().atMost(Duration.ofMillis(PROMPT_MILLIS)).until(() -> echo.open() == 3);

        proxy.close();
        assertThat(proxy.connections()).isZero();
        for (Socket client : clients) {
            assertThat(client.getInputStream().read()).isEqualTo(-1);
        }
        await().atMost(Duration.ofMillis(PROMPT_MILLIS)).until(() -> echo.open() == 0);
        assertThatThrownBy(() -> new Socket().connect(proxy.address(), PROMPT_MILLIS))
                .isInstanceOf(ConnectException.class);
    }

    @Test
    void aLargeTransferUnderDelayStaysWithinTheBound() throws Exception {
        Socket client = connect();
        roundTrip(client, "warm");
        proxy.delay(200);
        byte[] data = randomBytes(5 * 1024 * 1024);
        CompletableFuture<Void> writer = CompletableFuture.runAsync(() -> write(client, data));
        assertThat(readN(client, data.length)).isEqualTo(data);
        writer.get(PROMPT_MILLIS, TimeUnit.MILLISECONDS);

        assertThat(proxy.maxPendingBytes())
                .isLessThanOrEqualTo(FaultProxy.MAX_IN_FLIGHT)
                // The bound was reached: without it the proxy would have read all 5 MiB in the first 200 ms.
                .isGreaterThan(FaultProxy.MAX_IN_FLIGHT / 2);
        await().atMost(Duration.ofMillis(PROMPT_MILLIS)).until(() -> proxy.pendingBytes() == 0);
    }

    @Test
    void anUnreachableUpstreamClosesTheClient() throws IOException {
        int nobody = EmbeddedRedis.freePort();
        try (FaultProxy dead = FaultProxy.start("dead", new InetSocketAddress(InetAddress.getLoopbackAddress(), nobody))) {
            Socket client = new Socket();
            sockets.add(client);
            client.connect(dead.address(), PROMPT_MILLIS);
            client.setSoTimeout(PROMPT_MILLIS);
            client.getOutputStream().write("lost".getBytes(US_ASCII));
            assertThat(client.getInputStream().read()).isEqualTo(-1);
            await().atMost(Duration.ofMillis(PROMPT_MILLIS)).until(() -> dead.connections() == 0);
        }
    }

    // --- helpers

    private Socket connect() throws IOException {
        Socket socket = new Socket();
        sockets.add(socket);
        socket.connect(proxy.address(), PROMPT_MILLIS);
        socket.setSoTimeout(PROMPT_MILLIS);
        return socket;
    }

    private static void roundTrip(Socket socket, String text) throws IOException {
        socket.getOutputStream().write(text.getBytes(US_ASCII));
        assertThat(new String(readN(socket, text.length()), US_ASCII)).isEqualTo(text);
    }

    /** Nothing arrives within {@link #QUIET_MILLIS}; the connection stays open. */
    private static void assertNothingArrives(Socket socket) throws IOException {
        int timeout = socket.getSoTimeout();
        socket.setSoTimeout(QUIET_MILLIS);
        try {
            assertThatThrownBy(() -> socket.getInputStream().read()).isInstanceOf(SocketTimeoutException.class);
        } finally {
            socket.setSoTimeout(timeout);
        }
    }

    private static byte[] readN(Socket socket, int n) throws IOException {
        byte[] bytes = socket.getInputStream().readNBytes(n);
        assertThat(bytes).as("bytes before EOF").hasSize(n);
        return bytes;
    }

    private static void write(Socket socket, byte[] data) {
        try {
            OutputStream out = socket.getOutputStream();
            for (int offset = 0; offset < data.length; offset += 8192) {
                out.write(data, offset, Math.min(8192, data.length - offset));
            }
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static void writeLine(OutputStream out, StringBuilder expected, int i) throws IOException {
        String line = String.format("%05d\n", i);
        expected.append(line);
        out.write(line.getBytes(US_ASCII));
        out.flush();
    }

    private static byte[] randomBytes(int n) {
        byte[] bytes = new byte[n];
        new Random(n).nextBytes(bytes);
        return bytes;
    }

    /** Sends a command (an inline "PING" or a RESP array) and reads a reply as long as {@code expected}. */
    private static String redis(Socket socket, String command, String expected) throws IOException {
        String line = command.startsWith("*") ? command : command + "\r\n";
        socket.getOutputStream().write(line.getBytes(US_ASCII));
        return new String(readN(socket, expected.length()), US_ASCII);
    }

    private static String resp(String... args) {
        StringBuilder out = new StringBuilder("*").append(args.length).append("\r\n");
        for (String arg : args) {
            out.append('$').append(arg.length()).append("\r\n").append(arg).append("\r\n");
        }
        return out.toString();
    }
}
