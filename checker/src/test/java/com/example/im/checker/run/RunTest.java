package com.example.im.checker.run;

import static org.assertj.core.api.Assertions.assertThat;

import com.example.im.checker.analysis.Analysis;
import com.example.im.checker.analysis.Outcome;
import com.example.im.checker.analysis.Promise;
import com.example.im.checker.analysis.Verdict;
import com.example.im.checker.history.Event;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Whole checker runs against the article's design (the naive node lives in the checker, so no stage's jar is needed
 * here; CI runs the checker on stage 6's jar): real ZooKeeper and Redis, nodes as forked JVMs, real faults.
 */
class RunTest {

    @TempDir
    Path dir;

    private static Promise naivePromise() throws Exception {
        try (InputStream in = RunTest.class.getResourceAsStream("/naive.promise")) {
            return Promise.parse(new String(in.readAllBytes(), StandardCharsets.UTF_8));
        }
    }

    private static Stage naive(Promise promise) {
        return Stage.of("naive", System.getProperty("java.class.path"), promise::get);
    }

    @Test
    void withoutFaultsEveryMessageIsDeliveredOnceAndTheVerdictIsPass() throws Exception {
        Promise promise = naivePromise();
        List<Event> events = Run.execute(new Run.Settings(naive(promise), 2, 10, 100, 5, List.of(), 1, dir, 20));

        Analysis analysis = Analysis.of(events, 15_000);
        assertThat(analysis.sends()).isGreaterThan(200);
        // Clients sit on both nodes at random; with ten of them, some pairs cross nodes through Redis.
        assertThat(events).anyMatch(e -> e.type().equals("login") && e.node().equals("n1"))
                .anyMatch(e -> e.type().equals("login") && e.node().equals("n2"));
        assertThat(analysis.count(Outcome.DELIVERED)).isEqualTo(analysis.pairs());
        Verdict verdict = promise.judge(analysis);
        assertThat(verdict.pass()).as(verdict.reasons().toString()).isTrue();
        assertThat(dir.resolve("history.jsonl")).isNotEmptyFile();
        assertThat(dir.resolve("node-n1.log")).content().contains("naive node n1 listening");
    }

    @Test
    void theArticlesDesignLosesAcknowledgedMessagesWhenANodeIsKilled() throws Exception {
        Promise promise = naivePromise();
        // One kill -9 between 5 s and 10 s; the node comes back 3 s later and pops what was pushed to it meanwhile
        // for users who have moved on: acknowledged, and dropped.
        List<Event> events = Run.execute(new Run.Settings(naive(promise), 2, 10, 150, 15, List.of("kill9"), 2, dir,
                20));

        Analysis analysis = Analysis.of(events, 15_000);
        assertThat(events).filteredOn(e -> e.type().equals("fault")).extracting(Event::phase)
                .containsExactly("start", "end");
        assertThat(analysis.count(Outcome.LOST_ACKED)).isPositive();
        Verdict verdict = promise.judge(analysis);
        assertThat(verdict.pass()).isFalse();
        assertThat(verdict.reasons()).anyMatch(r -> r.startsWith("lost-acked"));
    }
}
