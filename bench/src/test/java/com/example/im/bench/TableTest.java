package com.example.im.bench;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class TableTest {

    private static Table table() {
        Table table = new Table();
        table.ratio("1. raw Netty echo, msgs/s", 50_000, Double.NaN, "%.0f", "baseline");
        table.ratio("4. cross-node, msgs/s", 2_850, 5_000, "%.0f", ">= 5");
        return table;
    }

    @Test
    void aSmokeRunSaysSoAndShowsNoTargets() {
        Table smoke = table();
        smoke.smoke();
        String text = smoke.text();
        assertThat(text).startsWith("SMOKE RUN").doesNotContain(">= 5");
        assertThat(text.lines().filter(l -> l.startsWith("figure")).findFirst().orElseThrow())
                .doesNotContain("target");
        // .ci/run checks that every scenario printed its row: a line that starts with the row's number.
        assertThat(text.lines()).anyMatch(l -> l.startsWith("1. ")).anyMatch(l -> l.startsWith("4. "));
        assertThat(text.lines().filter(l -> l.startsWith("4. ")).findFirst().orElseThrow()).endsWith("0.57  1");
        assertThat(smoke.markdown()).doesNotContain(">= 5")
                .contains("| 4. cross-node, msgs/s | 2850 | 5000 | 0.57 | 1 |");
    }

    @Test
    void aRealRunShowsEachTargetNextToItsRatio() {
        String text = table().text();
        assertThat(text).startsWith("machine: ").contains("target");
        assertThat(text.lines().filter(l -> l.startsWith("4. ")).findFirst().orElseThrow())
                .matches("4\\. cross-node, msgs/s +2850 +5000 +0\\.57 +>= 5 +1");
    }
}
