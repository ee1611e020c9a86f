package com.example.im.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.example.im.bench.Load.Conn;
import com.example.im.bench.Meter.Result;
import com.example.im.bench.Relay.Pair;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The load generator's promise: a figure only from a run that delivered everything it sent. */
class RelayTest {

    private final Load load = new Load(1);
    private final EchoServer echo = new EchoServer();

    @AfterEach
    void tearDown() {
        Meter.drainSeconds = 30;
        echo.close();
        load.close();
    }

    private List<Conn> connect(String... uids) {
        return load.connect(echo.address(), null, List.of(uids), false, 4);
    }

    @Test
    void closedLoopCountsEveryDeliveryAndItsLatency() {
        List<Pair> loops = connect("a", "b").stream().map(c -> new Pair(c, c)).toList();

        Result result = Relay.closedLoop("echo", Bench.ECHO_THREADS, loops, 4, 32, 0, 0.3);

        assertThat(result.sent()).isPositive().isEqualTo(result.delivered());
        assertThat(result.msgsPerSecond()).isPositive();
        assertThat(result.latency().getTotalCount()).isPositive();
        assertThat(result.serverCpuNanosPerMessage()).isPositive();
        assertThat(result.loadCpuNanosPerMessage()).isPositive();
    }

    @Test
    void theEchoThatFlushesEveryFrameDeliversEverythingToo() {
        try (EchoServer flushing = new EchoServer(true)) {
            List<Pair> loops = load.connect(flushing.address(), null, List.of("f", "g"), false, 4).stream()
                    .map(c -> new Pair(c, c)).toList();

            Result result = Relay.closedLoop("echo, one flush per frame", Bench.ECHO_THREADS, loops, 4, 32, 0, 0.3);

            assertThat(result.sent()).isPositive().isEqualTo(result.delivered());
        }
    }

    @Test
    void batchedSendsFromAnyThreadAreAllFlushed() throws Exception {
        Conn conn = connect("h").get(0);
        java.util.concurrent.CountDownLatch echoed = new java.util.concurrent.CountDownLatch(2_000);
        conn.onChat = stamp -> echoed.countDown();
        Load.Template frame = new Load.Template(Load.chat("h", 0, 32));

        for (int i = 0; i < 1_000; i++) {
            conn.sendBatched(frame, i); // from this thread: queued for the event loop
            long stamp = i;
            conn.channel.eventLoop().execute(() -> conn.sendBatched(frame, stamp)); // on it
        }

        assertThat(echoed.await(10, java.util.concurrent.TimeUnit.SECONDS))
                .as("every frame flushed and echoed; left: %d", echoed.getCount()).isTrue();
    }

    @Test
    void openLoopSendsAtTheRateAskedAndDeliversEverything() {
        List<Pair> loops = connect("c").stream().map(c -> new Pair(c, c)).toList();

        Result result = Relay.openLoop("echo", Bench.ECHO_THREADS, loops, 2_000, 32, 0.1, 0.5);

        assertThat(result.delivered()).isEqualTo(result.sent());
        assertThat(result.sent()).isBetween(900L, 1_300L); // 2 000/s for 0.6 s
    }

    @Test
    void aRunThatLosesMessagesFailsInsteadOfReportingAFigure() {
        // The echo server sends every frame back to its sender, so a "receiver" on another connection gets nothing:
        // to the meter, every message sent is lost.
        List<Conn> conns = connect("sender", "receiver");
        Meter.drainSeconds = 1;

        assertThatThrownBy(() -> Relay.closedLoop("lossy", Bench.ECHO_THREADS,
                List.of(new Pair(conns.get(0), conns.get(1))), 4, 32, 0, 0.2))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("sent 4 messages, delivered 0");
    }

    @Test
    void aConnectionClosedMidRunFailsTheRun() {
        List<Conn> conns = connect("d", "e");
        conns.get(1).channel.eventLoop().schedule(conns.get(1)::close, 100, java.util.concurrent.TimeUnit.MILLISECONDS);

        assertThatThrownBy(() -> Relay.closedLoop("closing", Bench.ECHO_THREADS,
                conns.stream().map(c -> new Pair(c, c)).toList(), 4, 32, 0, 0.5))
                .hasMessageContaining("e: connection closed during the run");
    }
}
