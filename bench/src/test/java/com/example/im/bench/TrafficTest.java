package com.example.im.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.example.im.bench.Load.Conn;
import com.example.im.bench.Meter.Result;
import com.example.im.bench.Relay.Pair;
import com.example.im.bench.Traffic.Probe;
import com.example.im.embedded.EmbeddedRedis;
import com.example.im.server.ChatServer;
import com.example.im.server.ServerConfig;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.ReferenceCountUtil;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.DoubleFunction;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/** Scenario 9: the search, the Poisson arrivals, and a run over two real nodes and a real Redis. */
class TrafficTest {

    /** A probe that passes every rate up to {@code limit}. */
    private static DoubleFunction<Probe> passingUpTo(double limit) {
        return rate -> new Probe(rate, rate <= limit, null);
    }

    private static List<Double> rates(List<Probe> tried) {
        return tried.stream().map(Probe::rate).toList();
    }

    @Test
    void theSearchDoublesUntilARateFailsThenBisects() {
        List<Probe> tried = Traffic.search(1000, 8, passingUpTo(5000));

        assertThat(rates(tried)).containsExactly(1000.0, 2000.0, 4000.0, 8000.0, 6000.0, 5000.0, 5500.0, 5250.0);
        assertThat(Traffic.best(tried)).hasValueSatisfying(p -> assertThat(p.rate()).isEqualTo(5000));
    }

    @Test
    void theSearchHalvesWhileTheFirstRatesFail() {
        List<Probe> tried = Traffic.search(1000, 4, passingUpTo(300));

        assertThat(rates(tried)).containsExactly(1000.0, 500.0, 250.0, 375.0);
        assertThat(Traffic.best(tried)).hasValueSatisfying(p -> assertThat(p.rate()).isEqualTo(250));
    }

    @Test
    void theSearchStopsWhenPassAndFailAreWithinTwoPercent() {
        List<Probe> tried = Traffic.search(1000, 20, passingUpTo(1010));

        assertThat(rates(tried)).containsExactly(1000.0, 2000.0, 1500.0, 1250.0, 1125.0, 1062.0, 1031.0, 1016.0);
        assertThat(Traffic.best(tried)).hasValueSatisfying(p -> assertThat(p.rate()).isEqualTo(1000));
    }

    @Test
    void aSearchWhereEveryRateFailsHasNoBest() {
        assertThat(Traffic.best(Traffic.search(1000, 3, passingUpTo(1)))).isEmpty();
        assertThat(rates(Traffic.search(1000, 3, passingUpTo(1e9)))).containsExactly(1000.0, 2000.0, 4000.0);
    }

    @Test
    void poissonArrivalsHaveTheMeanGapOfTheRateAndNeverSendToTheSender() {
        List<Conn> users = IntStream.range(0, 10).mapToObj(i -> new Conn("u" + i, true)).toList();
        Relay.Arrivals arrivals = Traffic.poisson(users, 2_000, 42);

        int n = 100_000;
        double sum = 0;
        double sumOfSquares = 0;
        int[] sent = new int[users.size()];
        for (int i = 0; i < n; i++) {
            double gap = arrivals.gapNanos();
            sum += gap;
            sumOfSquares += gap * gap;
            Pair pair = arrivals.pair(i);
            assertThat(pair.sender()).isNotSameAs(pair.receiver());
            sent[users.indexOf(pair.sender())]++;
        }
        double mean = sum / n;
        double sd = Math.sqrt(sumOfSquares / n - mean * mean);
        assertThat(mean).isCloseTo(500_000, org.assertj.core.data.Percentage.withPercentage(2));
        assertThat(sd / mean).as("exponential: standard deviation = mean").isBetween(0.95, 1.05);
        assertThat(java.util.Arrays.stream(sent).boxed().toList())
                .as("every user sends about as often").allSatisfy(count -> assertThat(count).isBetween(9_000, 11_000));
    }

    @Test
    void aRunAmongUsersOnTwoNodesDeliversEveryMessage() throws Exception {
        try (EmbeddedRedis redis = EmbeddedRedis.start();
             Load load = new Load(1)) {
            ServerConfig config = ServerConfig.forTests().withRedis(redis.uri(),
                    ServerConfig.DEFAULT_SESSION_TTL_MILLIS, ServerConfig.DEFAULT_UNDELIVERABLE_MILLIS);
            try (ChatServer a = ChatServer.start(config); ChatServer b = ChatServer.start(config)) {
                List<Conn> users = new ArrayList<>();
                users.addAll(load.connect(a.localAddress(), null, uids("a", 50), true, 16));
                users.addAll(load.connect(b.localAddress(), null, uids("b", 50), true, 16));
                try {
                    Result result = Traffic.step(users, 300, 32, 0.1, 0.5, 1);

                    assertThat(result.sent()).isPositive().isEqualTo(result.delivered());
                    assertThat(result.latency().getTotalCount()).isPositive();
                } finally {
                    Traffic.logOut(users, a, b);
                }
            }
        }
    }

    @Test
    void aRunTheServerCannotKeepUpWithStopsAsFallenBehindNotAsAFault() {
        // A server that reads every frame and delivers nothing: every message stays in flight.
        try (LoopbackServer sink = new LoopbackServer("sink", p -> p.addLast(new ChannelInboundHandlerAdapter() {
                @Override
                public void channelRead(ChannelHandlerContext ctx, Object msg) {
                    ReferenceCountUtil.release(msg);
                }
            }));
             Load load = new Load(1)) {
            List<Conn> users = load.connect(sink.address(), null, uids("s", 4), false, 4);
            Meter.drainSeconds = 1;

            assertThatThrownBy(() -> Traffic.step(users, 2_000, 32, 0, 1, 1))
                    .isInstanceOfSatisfying(IllegalStateException.class,
                            e -> assertThat(Traffic.fellBehind(e)).as(e.getMessage()).isTrue());
            assertThat(Traffic.fellBehind(new IllegalStateException("sent 4 messages, delivered 0"))).isFalse();
        } finally {
            Meter.drainSeconds = 30;
        }
    }

    @Test
    void theScenarioConnectsItsUsersSearchesAndReportsItsRows() throws Exception {
        Table table = new Table();
        Map<String, String> settings = Map.of("users", "100", "steps", "2", "start-rate", "200", "seconds", "0.3",
                "warmup", "0.1", "jvm-warmup", "0", "pairs", "1");
        try (Bench.Scenarios scenarios = new Bench.Scenarios(settings, table)) {
            scenarios.run("traffic");
        }

        assertThat(table.text()).contains("9. real traffic, 100 users on 2 nodes: highest rate with p99 <= 50 ms")
                .contains("9. real traffic: p99 at that rate, ms")
                .contains("9. real traffic: server CPU per message at that rate, ns");
    }

    private static List<String> uids(String prefix, int count) {
        return IntStream.range(0, count).mapToObj(i -> prefix + i).toList();
    }
}
