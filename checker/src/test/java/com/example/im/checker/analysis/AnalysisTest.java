package com.example.im.checker.analysis;

import static com.example.im.checker.analysis.Outcome.DELIVERED;
import static com.example.im.checker.analysis.Outcome.DELIVERED_UNANSWERED;
import static com.example.im.checker.analysis.Outcome.DUPLICATED;
import static com.example.im.checker.analysis.Outcome.FOREIGN;
import static com.example.im.checker.analysis.Outcome.LOST_ACKED;
import static com.example.im.checker.analysis.Outcome.LOST_UNANSWERED;
import static com.example.im.checker.analysis.Outcome.OUT_OF_ORDER;
import static com.example.im.checker.analysis.Outcome.REJECTED;
import static com.example.im.checker.analysis.Outcome.REJECTED_DELIVERED;
import static org.assertj.core.api.Assertions.assertThat;

import com.example.im.checker.history.Event;
import com.example.im.checker.history.History;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class AnalysisTest {

    static List<Event> jsonl(String text) {
        return Arrays.stream(text.split("\n")).filter(l -> !l.isBlank()).map(History::parse).toList();
    }

    static List<Long> seqs(List<Analysis.Item> items) {
        return items.stream().map(Analysis.Item::seq).toList();
    }

    @Test
    void everyPairOutcome() {
        Analysis a = Analysis.of(jsonl("""
                {"t":0,"type":"run","text":"stage-x seed 1"}
                {"t":100,"type":"send","client":"a","seq":1,"to":["b"]}
                {"t":110,"type":"ack","client":"a","seq":1,"msgId":"m1","sent":["b"]}
                {"t":120,"type":"deliver","client":"b","from":"a","seq":1,"msgId":"m1"}
                {"t":200,"type":"send","client":"a","seq":2,"to":["b"]}
                {"t":210,"type":"ack","client":"a","seq":2,"sent":["b"]}
                {"t":220,"type":"deliver","client":"b","from":"a","seq":2}
                {"t":230,"type":"deliver","client":"b","from":"a","seq":2}
                {"t":300,"type":"send","client":"a","seq":3,"to":["b"]}
                {"t":310,"type":"ack","client":"a","seq":3,"sent":["b"]}
                {"t":400,"type":"send","client":"a","seq":4,"to":["b"]}
                {"t":410,"type":"error","client":"a","seq":4,"code":"UNAVAILABLE"}
                {"t":500,"type":"send","client":"a","seq":5,"to":["b"]}
                {"t":510,"type":"error","client":"a","seq":5,"code":"OFFLINE"}
                {"t":520,"type":"deliver","client":"b","from":"a","seq":5}
                {"t":600,"type":"send","client":"a","seq":6,"to":["b"]}
                {"t":610,"type":"noreply","client":"a","seq":6,"text":"timeout"}
                {"t":700,"type":"send","client":"a","seq":7,"to":["b"]}
                {"t":710,"type":"noreply","client":"a","seq":7,"text":"connection dropped"}
                {"t":720,"type":"deliver","client":"b","from":"a","seq":7}
                {"t":800,"type":"send","client":"a","seq":8,"to":["b"]}
                {"t":900,"type":"error","client":"b","code":"KICKED"}
                """), 5000);

        assertThat(seqs(a.items(DELIVERED))).containsExactly(1L);
        assertThat(seqs(a.items(DUPLICATED))).containsExactly(2L);
        assertThat(a.items(DUPLICATED).get(0).deliveries()).isEqualTo(2);
        assertThat(seqs(a.items(LOST_ACKED))).containsExactly(3L);
        assertThat(seqs(a.items(REJECTED))).containsExactly(4L);
        assertThat(seqs(a.items(REJECTED_DELIVERED))).containsExactly(5L);
        assertThat(seqs(a.items(LOST_UNANSWERED))).containsExactly(6L, 8L); // 8: no reply at all before the end
        assertThat(seqs(a.items(DELIVERED_UNANSWERED))).containsExactly(7L);
        assertThat(a.count(OUT_OF_ORDER)).isZero();
        assertThat(a.count(FOREIGN)).isZero();
        assertThat(a.pairs()).isEqualTo(8);
        assertThat(a.sends()).isEqualTo(8);
        assertThat(a.deliveries()).isEqualTo(5);
        assertThat(a.unrelatedErrors()).containsExactly(java.util.Map.entry("KICKED", 1));
        assertThat(a.runText()).isEqualTo("stage-x seed 1");
        Analysis.Item lost = a.examples(LOST_ACKED).get(0);
        assertThat(lost.sender()).isEqualTo("a");
        assertThat(lost.recipient()).isEqualTo("b");
        assertThat(lost.sendTime()).isEqualTo(300);
        assertThat(lost.deliverTime()).isEqualTo(-1);
    }

    @Test
    void examplesAreTheFirstFiveByTime() {
        List<Event> h = new ArrayList<>();
        for (int i = 10; i >= 1; i--) {
            h.add(Event.send(i * 100L, "a", i, List.of("b")));
            h.add(Event.ack(i * 100L + 1, "a", i, "m", List.of("b"), List.of()));
        }
        Analysis a = Analysis.of(h, 1000);
        assertThat(a.count(LOST_ACKED)).isEqualTo(10);
        assertThat(seqs(a.examples(LOST_ACKED))).containsExactly(1L, 2L, 3L, 4L, 5L);
    }

    @Test
    void outOfOrderCountsEachLateDeliveryOnceAndDuplicatesAreNotReorders() {
        List<Event> h = new ArrayList<>();
        for (long s = 1; s <= 4; s++) {
            h.add(Event.send(s * 10, "a", s, List.of("b")));
            h.add(Event.ack(s * 10 + 1, "a", s, "m" + s, List.of("b"), List.of()));
        }
        h.add(Event.send(45, "c", 1, List.of("b")));
        h.add(Event.ack(46, "c", 1, "x", List.of("b"), List.of()));
        h.add(Event.deliver(100, "b", "a", 2, "m2"));
        h.add(Event.deliver(101, "b", "a", 3, "m3"));
        h.add(Event.deliver(102, "b", "c", 1, "x"));   // another sender: its own order
        h.add(Event.deliver(103, "b", "a", 1, "m1"));  // late: out of order
        h.add(Event.deliver(104, "b", "a", 4, "m4"));
        h.add(Event.deliver(105, "b", "a", 3, "m3"));  // a duplicate after a later seq: not a reorder
        Analysis a = Analysis.of(h, 1000);

        assertThat(a.items(OUT_OF_ORDER)).singleElement().satisfies(i -> {
            assertThat(i.sender()).isEqualTo("a");
            assertThat(i.seq()).isEqualTo(1);
            assertThat(i.recipient()).isEqualTo("b");
            assertThat(i.deliverTime()).isEqualTo(103);
        });
        assertThat(seqs(a.items(DUPLICATED))).containsExactly(3L);
        assertThat(a.count(DELIVERED)).isEqualTo(4); // a#1, a#2, a#4, c#1
    }

    @Test
    void foreignDeliveries() {
        List<Event> h = List.of(
                Event.send(10, "a", 1, List.of("b")),
                Event.ack(11, "a", 1, "m1", List.of("b"), List.of()),
                Event.deliver(20, "b", "a", 1, "m1"),
                Event.deliver(21, "c", "a", 1, "m1"),    // sent, but not to c
                Event.deliver(22, "b", "a", 99, "m99")); // never sent
        Analysis a = Analysis.of(h, 1000);

        assertThat(a.items(FOREIGN)).extracting(Analysis.Item::recipient, Analysis.Item::seq, Analysis.Item::sendTime)
                .containsExactly(org.assertj.core.groups.Tuple.tuple("c", 1L, 10L),
                        org.assertj.core.groups.Tuple.tuple("b", 99L, -1L));
        assertThat(a.count(DELIVERED)).isEqualTo(1);
        assertThat(a.pairs()).isEqualTo(1);
        assertThat(a.count(DUPLICATED)).isZero();
    }

    @Test
    void groupMessageWithPartialOffline() {
        Analysis a = Analysis.of(jsonl("""
                {"t":10,"type":"send","client":"a","seq":1,"to":["b","c","d","e"]}
                {"t":11,"type":"ack","client":"a","seq":1,"sent":["b","c"],"offline":["d","e"]}
                {"t":20,"type":"deliver","client":"b","from":"a","seq":1}
                {"t":21,"type":"deliver","client":"e","from":"a","seq":1}
                """), 1000);
        assertThat(a.pairs()).isEqualTo(4);
        assertThat(a.items(DELIVERED)).extracting(Analysis.Item::recipient).containsExactly("b");
        assertThat(a.items(LOST_ACKED)).extracting(Analysis.Item::recipient).containsExactly("c");
        assertThat(a.items(REJECTED)).extracting(Analysis.Item::recipient).containsExactly("d");
        assertThat(a.items(REJECTED_DELIVERED)).extracting(Analysis.Item::recipient).containsExactly("e");
    }

    @Test
    void anAckWithEmptySentAndOfflineMeansAcceptedForEveryRecipient() {
        Analysis a = Analysis.of(jsonl("""
                {"t":10,"type":"send","client":"a","seq":1,"to":["b"]}
                {"t":11,"type":"ack","client":"a","seq":1,"msgId":"m1"}
                {"t":20,"type":"send","client":"a","seq":2,"to":["b"]}
                {"t":21,"type":"ack","client":"a","seq":2,"msgId":"m2","sent":[],"offline":[]}
                {"t":22,"type":"deliver","client":"b","from":"a","seq":2}
                {"t":30,"type":"send","client":"a","seq":3,"to":["b","c"]}
                {"t":31,"type":"ack","client":"a","seq":3,"msgId":"m3","sent":[],"offline":[]}
                """), 1000);
        assertThat(seqs(a.items(LOST_ACKED))).containsExactly(1L, 3L, 3L);
        assertThat(seqs(a.items(DELIVERED))).containsExactly(2L);
        assertThat(a.count(REJECTED)).isZero();
    }

    @Test
    void latencyPercentilesOfFirstDeliveries() {
        List<Event> h = new ArrayList<>();
        for (int i = 1; i <= 100; i++) {
            h.add(Event.send(i * 1000L, "a", i, List.of("b")));
            h.add(Event.ack(i * 1000L + 1, "a", i, "m", List.of("b"), List.of()));
            h.add(Event.deliver(i * 1000L + i, "b", "a", i, "m"));
            if (i == 50) {
                h.add(Event.deliver(i * 1000L + 900, "b", "a", i, "m")); // a duplicate: only the first counts
            }
        }
        h.sort(java.util.Comparator.comparingLong(Event::t));
        Analysis a = Analysis.of(h, 1000);
        assertThat(a.latencyCount()).isEqualTo(100);
        assertThat(a.latencyP50()).isEqualTo(50);
        assertThat(a.latencyP99()).isEqualTo(99);
        assertThat(a.latencyMax()).isEqualTo(100);
        assertThat(Analysis.of(List.of(), 1000).latencyP99()).isEqualTo(-1);
    }

    @Test
    void perSecondSeries() {
        List<Event> h = List.of(
                Event.send(100, "a", 1, List.of("b")),
                Event.send(200, "a", 2, List.of("b")),
                Event.ack(210, "a", 2, "m", List.of("b"), List.of()),
                Event.deliver(1100, "b", "a", 1, "m"),   // latency 1000, second 1
                Event.deliver(2300, "b", "a", 2, "m"),   // latency 2100, second 2
                Event.send(2500, "a", 3, List.of("b")),
                Event.ack(2510, "a", 3, "m", List.of("b"), List.of())); // lost-acked: bad at second 2
        Analysis a = Analysis.of(h, 1000);
        assertThat(a.sendsPerSecond()).containsExactly(2, 0, 1);
        assertThat(a.deliveriesPerSecond()).containsExactly(0, 1, 1);
        assertThat(a.p99LatencyPerSecond()).containsExactly(-1, 1000, 2100);
        assertThat(a.badPerSecond()).containsExactly(0, 0, 1);
        assertThat(a.durationMillis()).isEqualTo(2510);
    }

    @Test
    void attributionToAFaultWindowVersusSteadyState() {
        List<Event> h = new ArrayList<>();
        h.add(Event.fault(10_000, "kill9", "n1", "start", "kill -9"));
        h.add(Event.fault(12_000, "kill9", "n1", "end", "restarted"));
        long[] sendTimes = {8_000, 8_999, 9_000, 11_000, 17_000, 17_001, 30_000};
        for (int i = 0; i < sendTimes.length; i++) {
            h.add(Event.send(sendTimes[i], "a", i, List.of("b")));
            h.add(Event.ack(sendTimes[i] + 1, "a", i, "m", List.of("b"), List.of()));
        }
        Analysis a = Analysis.of(h, 5_000);

        assertThat(a.faults()).singleElement().satisfies(f -> {
            assertThat(f.name()).isEqualTo("kill9");
            assertThat(f.target()).isEqualTo("n1");
            assertThat(f.start()).isEqualTo(10_000);
            assertThat(f.end()).isEqualTo(12_000);
            assertThat(f.ended()).isTrue();
        });
        Analysis.Fault kill = a.faults().get(0);
        assertThat(a.items(LOST_ACKED)).extracting(Analysis.Item::sendTime, Analysis.Item::attribution).containsExactly(
                org.assertj.core.groups.Tuple.tuple(8_000L, "steady state"),
                org.assertj.core.groups.Tuple.tuple(8_999L, "steady state"),
                org.assertj.core.groups.Tuple.tuple(9_000L, "kill9"),     // start - 1 s
                org.assertj.core.groups.Tuple.tuple(11_000L, "kill9"),
                org.assertj.core.groups.Tuple.tuple(17_000L, "kill9"),    // end + window
                org.assertj.core.groups.Tuple.tuple(17_001L, "steady state"),
                org.assertj.core.groups.Tuple.tuple(30_000L, "steady state"));
        assertThat(a.items(LOST_ACKED).get(2).faults()).containsExactly(kill);
        assertThat(a.badAttributedTo(kill)).containsExactly(java.util.Map.entry(LOST_ACKED, 3));
    }

    @Test
    void overlappingFaultsAndAnUnmatchedStart() {
        List<Event> h = new ArrayList<>();
        h.add(Event.fault(1_000, "pause", "n2", "start", null));
        h.add(Event.fault(2_000, "kill9", "n1", "start", null));
        h.add(Event.fault(3_000, "kill9", "n1", "end", null));
        h.add(Event.send(2_500, "a", 1, List.of("b")));
        h.add(Event.ack(2_501, "a", 1, "m", List.of("b"), List.of()));
        h.add(Event.send(40_000, "a", 2, List.of("b")));
        h.add(Event.ack(40_001, "a", 2, "m", List.of("b"), List.of()));
        Analysis a = Analysis.of(h, 1_000);

        assertThat(a.faults()).extracting(Analysis.Fault::name, Analysis.Fault::end, Analysis.Fault::ended)
                .containsExactly(org.assertj.core.groups.Tuple.tuple("pause", 40_001L, false),
                        org.assertj.core.groups.Tuple.tuple("kill9", 3_000L, true));
        // Sent at 2.5 s under both: it is put down to the one that began last (kill9), never to both.
        assertThat(a.items(LOST_ACKED)).extracting(Analysis.Item::attribution)
                .containsExactly("kill9", "pause");
    }

    /** 10 deliveries/s for 20 s, a pause at 20.3 s that stops them, 3/s (under half) at 25 s, back to 10/s at 26 s. */
    @Test
    void timeUntilDeliveriesResumed() {
        List<Event> h = new ArrayList<>();
        long seq = 0;
        for (int second = 0; second < 30; second++) {
            int n = second < 20 ? 10 : second < 25 ? 0 : second == 25 ? 3 : 10;
            for (int k = 0; k < n; k++) {
                long t = second * 1000L + k * 90L;
                seq++;
                h.add(Event.send(t, "a", seq, List.of("b")));
                h.add(Event.ack(t, "a", seq, "m", List.of("b"), List.of()));
                h.add(Event.deliver(t + 5, "b", "a", seq, "m"));
            }
        }
        h.add(Event.fault(20_300, "pause", "n1", "start", null));
        h.add(Event.fault(23_000, "pause", "n1", "end", null));
        // a second fault after which nothing is delivered any more
        h.add(Event.fault(29_500, "zk-restart", "zk", "start", null));
        h.add(Event.fault(29_600, "zk-restart", "zk", "end", null));
        h.add(Event.send(31_999, "a", ++seq, List.of("b")));
        h.sort(java.util.Comparator.comparingLong(Event::t));
        Analysis a = Analysis.of(h, 1_000);

        Analysis.Fault pause = a.faults().get(0);
        assertThat(pause.name()).isEqualTo("pause");
        assertThat(pause.resumedAfterMillis()).isEqualTo(26_000 - 20_300);
        assertThat(pause.resumedText()).isEqualTo("5.7 s");
        Analysis.Fault zk = a.faults().get(1);
        assertThat(zk.resumedAfterMillis()).isEqualTo(Analysis.Fault.NOT_RESUMED);
        assertThat(zk.resumedText()).isEqualTo("did not resume");
    }

    @Test
    void resumedNeedsABaseline() {
        long[] perSecond = {0, 0, 0, 5, 5};
        assertThat(Analysis.resumedAfter(2_000, perSecond)).isEqualTo(Analysis.Fault.NO_BASELINE);
        assertThat(Analysis.resumedAfter(500, perSecond)).isEqualTo(Analysis.Fault.NO_BASELINE);
        // the median of the 10 s before, not the mean: one burst does not raise the bar
        long[] bursty = {2, 2, 2, 100, 2, 0, 1, 1};
        assertThat(Analysis.resumedAfter(5_000, bursty)).isEqualTo(1_000);
    }
}
