package com.example.im.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class BackoffTest {

    @Test
    void delaysDoubleFromTheBaseUpToTheCapWithJitterInTheUpperHalf() {
        Backoff low = new Backoff(500, 30_000, () -> 0.0);
        Backoff high = new Backoff(500, 30_000, () -> 0.999_999);
        long[] ceilings = {500, 1_000, 2_000, 4_000, 8_000, 16_000, 30_000, 30_000, 30_000};
        for (int attempt = 0; attempt < ceilings.length; attempt++) {
            assertThat(low.delayMillis(attempt)).as("attempt %d, lowest", attempt).isEqualTo(ceilings[attempt] / 2);
            assertThat(high.delayMillis(attempt)).as("attempt %d, highest", attempt)
                    .isBetween(ceilings[attempt] - 1, ceilings[attempt]);
        }
    }

    @Test
    void hugeAttemptNumbersStayAtTheCap() {
        Backoff backoff = new Backoff(500, 30_000);
        for (int attempt : new int[] {40, 62, 63, 1_000, Integer.MAX_VALUE}) {
            assertThat(backoff.delayMillis(attempt)).isBetween(15_000L, 30_000L);
        }
    }

    @Test
    void realJitterSpreadsClientsOut() {
        Backoff backoff = new Backoff(500, 30_000);
        long distinct = java.util.stream.IntStream.range(0, 100).mapToLong(i -> backoff.delayMillis(5)).distinct()
                .count();
        assertThat(distinct).as("100 clients reconnecting after the same failure").isGreaterThan(50);
    }

    @Test
    void rejectsNonsense() {
        assertThatThrownBy(() -> new Backoff(0, 10)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new Backoff(100, 10)).isInstanceOf(IllegalArgumentException.class);
    }
}
