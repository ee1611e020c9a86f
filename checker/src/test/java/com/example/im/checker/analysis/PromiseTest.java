package com.example.im.checker.analysis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.example.im.checker.history.Event;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PromiseTest {

    private static final String PROMISE = """
            # stage 3: acknowledged messages survive everything but a kill -9
            main = com.example.im.Stage3Main   # the node's main class
            window-ms = 4000

            lost-acked = kill9, pause
            duplicated = any
            """;

    /** A healthy run: 20 messages delivered, with a kill9 from 10 s to 12 s; plus whatever {@code extra} adds. */
    static List<Event> run(Event... extra) {
        List<Event> h = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            long t = i * 1000L;
            h.add(Event.send(t, "a", i, List.of("b")));
            h.add(Event.ack(t + 1, "a", i, "m" + i, List.of("b"), List.of()));
            h.add(Event.deliver(t + 5, "b", "a", i, "m" + i));
        }
        h.add(Event.fault(10_000, "kill9", "n1", "start", null));
        h.add(Event.fault(12_000, "kill9", "n1", "end", null));
        h.addAll(List.of(extra));
        return h;
    }

    static Event[] lostAcked(long t, long seq) {
        return new Event[] {Event.send(t, "c", seq, List.of("d")), Event.ack(t + 1, "c", seq, "x", List.of("d"), List.of())};
    }

    @Test
    void parsesSettingsCommentsAndDefaults() {
        Promise p = Promise.parse(PROMISE);
        assertThat(p.get("main")).isEqualTo("com.example.im.Stage3Main");
        assertThat(p.get("window-ms")).isEqualTo("4000");
        assertThat(p.get("uses")).isNull();
        assertThat(p.getOrDefault("uses", "redis")).isEqualTo("redis");
        assertThat(p.settings()).containsOnlyKeys("main", "window-ms");
        assertThat(p.describe(Outcome.LOST_ACKED)).isEqualTo("kill9, pause");
        assertThat(p.allowedFaults(Outcome.LOST_ACKED)).containsExactly("kill9", "pause");
        assertThat(p.describe(Outcome.DUPLICATED)).isEqualTo("any");
        // not listed
        assertThat(p.describe(Outcome.DELIVERED)).isEqualTo("any");
        assertThat(p.describe(Outcome.REJECTED)).isEqualTo("any");
        assertThat(p.describe(Outcome.DELIVERED_UNANSWERED)).isEqualTo("any");
        for (Outcome o : List.of(Outcome.OUT_OF_ORDER, Outcome.FOREIGN, Outcome.REJECTED_DELIVERED,
                Outcome.LOST_UNANSWERED)) {
            assertThat(p.describe(o)).as(o.label()).isEqualTo("none");
        }
    }

    @Test
    void aHealthyRunPasses() {
        Verdict v = Promise.parse(PROMISE).judge(Analysis.of(run(), 4000));
        assertThat(v.pass()).isTrue();
        assertThat(v.reasons()).isEmpty();
        assertThat(v.line()).isEqualTo("PASS");
    }

    @Test
    void aLossAllowedUnderKill9FailsInSteadyStateAndPassesInsideTheWindow() {
        Promise p = Promise.parse(PROMISE);

        Verdict steady = p.judge(Analysis.of(run(lostAcked(3_000, 1)), 4000));
        assertThat(steady.pass()).isFalse();
        assertThat(steady.line()).startsWith("FAIL");
        assertThat(steady.reasons()).singleElement().asString()
                .startsWith("lost-acked: 1 not allowed (steady state: 1)");
        assertThat(steady.failures()).singleElement().satisfies(f -> {
            assertThat(f.outcome()).isEqualTo(Outcome.LOST_ACKED);
            assertThat(f.count()).isEqualTo(1);
            assertThat(f.examples()).extracting(Analysis.Item::sender, Analysis.Item::seq, Analysis.Item::recipient,
                    Analysis.Item::sendTime).containsExactly(org.assertj.core.groups.Tuple.tuple("c", 1L, "d", 3_000L));
        });

        Verdict inWindow = p.judge(Analysis.of(run(lostAcked(11_000, 1)), 4000));
        assertThat(inWindow.pass()).isTrue();
        assertThat(inWindow.notes()).singleElement().asString().startsWith("lost-acked: 1 allowed (kill9: 1)");

        // just after end + window: steady state again
        assertThat(p.judge(Analysis.of(run(lostAcked(16_001, 1)), 4000)).pass()).isFalse();
        assertThat(p.judge(Analysis.of(run(lostAcked(16_000, 1)), 4000)).pass()).isTrue();
    }

    @Test
    void failuresAreSplitByAttribution() {
        Promise p = Promise.parse("lost-acked = pause\n");
        List<Event> extra = new ArrayList<>();
        extra.addAll(List.of(lostAcked(2_000, 1)));
        extra.addAll(List.of(lostAcked(10_500, 2)));
        extra.addAll(List.of(lostAcked(11_000, 3)));
        Verdict v = p.judge(Analysis.of(run(extra.toArray(Event[]::new)), 1000));
        assertThat(v.pass()).isFalse();
        assertThat(v.failures()).singleElement().satisfies(f -> {
            assertThat(f.count()).isEqualTo(3);
            assertThat(f.byAttribution()).containsExactly(java.util.Map.entry("kill9", 2),
                    java.util.Map.entry("steady state", 1));
        });
        assertThat(v.reasons().get(0)).isEqualTo(
                "lost-acked: 3 not allowed (kill9: 2, steady state: 1); the promise allows it under: pause");
    }

    @Test
    void aMessageIsPutDownToTheLastFaultBeforeItNotToAnEarlierOneWhoseWindowOverlaps() {
        // kill9 from 10 s to 12 s (window 4 s: until 16 s), then a pause from 14 s to 15 s. A loss sent at 14.5 s is
        // the pause's, and a promise that allows it under kill9 only must fail, though kill9's window covers it too.
        Event[] pauseAndLoss = {Event.fault(14_000, "pause", "n2", "start", null),
                Event.fault(15_000, "pause", "n2", "end", null), lostAcked(14_500, 1)[0], lostAcked(14_500, 1)[1]};
        Analysis a = Analysis.of(run(pauseAndLoss), 4000);
        assertThat(a.items(Outcome.LOST_ACKED)).singleElement()
                .satisfies(i -> assertThat(i.faultNames()).containsExactly("pause"));
        assertThat(Promise.parse("lost-acked = kill9").judge(a).pass()).isFalse();
        assertThat(Promise.parse("lost-acked = pause").judge(a).pass()).isTrue();
        // Sent at 11 s, before the pause began (less its 1 s lead): still kill9's.
        Analysis early = Analysis.of(run(Event.fault(14_000, "pause", "n2", "start", null),
                Event.fault(15_000, "pause", "n2", "end", null), lostAcked(11_000, 1)[0], lostAcked(11_000, 1)[1]), 4000);
        assertThat(Promise.parse("lost-acked = kill9").judge(early).pass()).isTrue();
    }

    @Test
    void anyAllowsEvenInSteadyStateAndNoneNever() {
        Event[] dup = {Event.send(3_000, "c", 1, List.of("d")), Event.ack(3_001, "c", 1, "x", List.of("d"), List.of()),
                Event.deliver(3_005, "d", "c", 1, "x"), Event.deliver(3_006, "d", "c", 1, "x")};
        Analysis a = Analysis.of(run(dup), 1000);
        assertThat(Promise.parse("duplicated = any").judge(a).pass()).isTrue();
        assertThat(Promise.parse("duplicated = none").judge(a).pass()).isFalse();
        assertThat(Promise.parse("duplicated = kill9").judge(a).pass()).isFalse(); // in steady state
        assertThat(Promise.parse("# nothing said: duplicated defaults to none").judge(a).pass()).isFalse();

        Event[] unanswered = {Event.send(3_000, "c", 1, List.of("d")), Event.noReply(4_000, "c", 1, "timeout"),
                Event.deliver(3_005, "d", "c", 1, "x")};
        Analysis b = Analysis.of(run(unanswered), 1000);
        assertThat(Promise.parse("").judge(b).pass()).isTrue(); // delivered-unanswered defaults to any
        Verdict none = Promise.parse("delivered-unanswered = none").judge(b);
        assertThat(none.pass()).isFalse();
        assertThat(none.reasons().get(0)).startsWith("delivered-unanswered: 1 not allowed (steady state: 1)");
    }

    @Test
    void outOfOrderAndForeignAreSelectableLikeOutcomes() {
        Event[] foreign = {Event.deliver(3_000, "b", "zz", 7, "?")};
        Analysis a = Analysis.of(run(foreign), 1000);
        assertThat(Promise.parse("").judge(a).reasons()).singleElement().asString().startsWith("foreign: 1 not allowed");
        assertThat(Promise.parse("foreign = any").judge(a).pass()).isTrue();

        Event[] reorder = {Event.send(2_100, "c", 1, List.of("d")), Event.send(2_200, "c", 2, List.of("d")),
                Event.deliver(2_300, "d", "c", 2, "x"), Event.deliver(2_400, "d", "c", 1, "x")};
        Analysis b = Analysis.of(run(reorder), 1000);
        assertThat(Promise.parse("").judge(b).reasons()).singleElement().asString()
                .startsWith("out-of-order: 1 not allowed");
        assertThat(Promise.parse("out-of-order = any").judge(b).pass()).isTrue();
    }

    @Test
    void aRunThatDidNothingFails() {
        Promise p = Promise.parse("lost-acked = any\nlost-unanswered = any");
        Verdict empty = p.judge(Analysis.of(List.of(), 1000));
        assertThat(empty.pass()).isFalse();
        assertThat(empty.reasons()).anyMatch(r -> r.contains("no message was sent"));

        Verdict nothingDelivered = p.judge(Analysis.of(List.of(Event.send(10, "a", 1, List.of("b")),
                Event.noReply(20, "a", 1, "timeout")), 1000));
        assertThat(nothingDelivered.pass()).isFalse();
        assertThat(nothingDelivered.reasons()).containsExactly("no message was delivered at all");
    }

    @Test
    void aFaultTheTrafficDidNotSpanWasNotTestedAndFails() {
        Promise p = Promise.parse("lost-acked = any");
        // run() sends from 0 s to 19 s; a redis-pause from 18.5 s to 23.5 s is mostly after the last send.
        Verdict late = p.judge(Analysis.of(run(Event.fault(18_500, "redis-pause", "redis", "start", null),
                Event.fault(23_500, "redis-pause", "redis", "end", null)), 1000));
        assertThat(late.pass()).isFalse();
        assertThat(late.reasons()).singleElement().asString()
                .startsWith("redis-pause redis ran from 18.500 s to 23.500 s, outside the traffic")
                .endsWith("it was not tested");

        // A fault that never ended lasts until the end of the history: not spanned either.
        Verdict unended = p.judge(Analysis.of(run(Event.fault(15_000, "pause", "n2", "start", null),
                Event.deliver(25_000, "b", "a", 19, "m19")), 1000));
        assertThat(unended.pass()).isFalse();
        assertThat(unended.reasons()).anyMatch(r -> r.startsWith("pause n2") && r.contains("never ended"));

        // The kill9 of run() (10 s to 12 s) is inside the traffic.
        assertThat(p.judge(Analysis.of(run(), 1000)).pass()).isTrue();
    }

    @Test
    void aReplyWithNoMessageInFlightFailsTheRun() {
        Promise p = Promise.parse("lost-acked = any");
        // A refused login's error answers no send and is harmless; a stray SendAck means replies and messages no
        // longer line up.
        assertThat(p.judge(Analysis.of(run(Event.error(3_000, "a", null, "UNAVAILABLE", "login refused")), 1000))
                .pass()).isTrue();
        Verdict stray = p.judge(Analysis.of(run(Event.error(3_000, "a", null, "STRAY_ACK", "no message in flight"),
                Event.error(4_000, "a", null, "STRAY_OFFLINE", "no message in flight")), 1000));
        assertThat(stray.pass()).isFalse();
        assertThat(stray.reasons()).singleElement().asString()
                .startsWith("2 replies came with no message in flight (STRAY_ACK x1, STRAY_OFFLINE x1)");
    }

    @Test
    void unknownFaultNamesAreAnError() {
        assertThatThrownBy(() -> Promise.parse("main = x\nlost-acked = kill9, kil9\n"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("line 2")
                .hasMessageContaining("unknown fault 'kil9'")
                .hasMessageContaining("redis-restart");
        // fault names in a setting are not checked
        assertThat(Promise.parse("description = survives kil9").get("description")).isEqualTo("survives kil9");
    }

    @Test
    void malformedLinesAreAnError() {
        assertThatThrownBy(() -> Promise.parse("lost-acked kill9")).hasMessageContaining("expected 'key = value'");
        assertThatThrownBy(() -> Promise.parse("lost-acked =")).hasMessageContaining("no value");
        assertThatThrownBy(() -> Promise.parse("lost-acked = any, kill9")).hasMessageContaining("stand alone");
        assertThatThrownBy(() -> Promise.parse("duplicated = any\nduplicated = none")).hasMessageContaining("twice");
    }

    @Test
    void loadsAFileAndNamesItInErrors(@TempDir Path dir) throws IOException {
        Path good = Files.writeString(dir.resolve("checker.promise"), PROMISE);
        assertThat(Promise.load(good).get("main")).isEqualTo("com.example.im.Stage3Main");
        Path bad = Files.writeString(dir.resolve("bad.promise"), "out-of-order = partition\n");
        assertThatThrownBy(() -> Promise.load(bad)).hasMessageContaining("bad.promise").hasMessageContaining("partition");
    }
}
