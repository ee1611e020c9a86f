package com.example.im.checker.analysis;

import static org.assertj.core.api.Assertions.assertThat;

import com.example.im.checker.history.Event;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ReportTest {

    private static Analysis analysis() {
        List<Event> h = new ArrayList<>(PromiseTest.run(PromiseTest.lostAcked(3_000, 1)));
        h.add(Event.run(0, "stage <b>evil</b> & \"quoted\""));
        h.add(Event.fault(15_000, "redis-pause", "redis", "start", null));
        h.add(Event.error(16_000, "b", null, "KICKED", "another login"));
        return Analysis.of(h, 1000);
    }

    @Test
    void summaryHasTheTablesAndTheVerdict() {
        Analysis a = analysis();
        Verdict v = Promise.parse("lost-acked = kill9").judge(a);
        String s = Summary.text(a, v);
        for (Outcome o : Outcome.values()) {
            assertThat(s).contains(o.label());
        }
        assertThat(s).contains("lost-acked", "c#1 -> d, sent 3.000 s, never delivered, steady state");
        assertThat(s).containsPattern("(?m)^delivered\\s+20\\s+95\\.24%$");
        assertThat(s).containsPattern("(?m)^kill9\\s+n1\\s+10\\.0\\s+12\\.0\\s+");
        assertThat(s).containsPattern("(?m)^redis-pause\\s+redis\\s+15\\.0\\s+19\\.0\\*");
        assertThat(s).contains("p50 5 ms, p99 5 ms, max 5 ms");
        assertThat(s).contains("KICKED x1");
        // the redis-pause never ended: the traffic did not span it, a second reason
        assertThat(s).containsPattern("(?m)^FAIL \\(2 reasons\\)\n  - lost-acked: 1 not allowed \\(steady state: 1\\)");
    }

    @Test
    void writesOneSelfContainedHtmlFileAndTheSummary(@TempDir Path dir) throws IOException {
        Analysis a = analysis();
        Verdict v = Promise.parse("lost-acked = kill9").judge(a);
        Path html = Report.write(dir.resolve("out"), "<script>alert('x')</script>", a, v);

        assertThat(html).isEqualTo(dir.resolve("out/report.html"));
        String page = Files.readString(html);
        assertThat(page).startsWith("<!DOCTYPE html>");
        assertThat(page).contains("<svg", "</svg>", "<polyline");
        assertThat(page).contains("kill9 n1", "redis-pause redis");
        for (Outcome o : Outcome.values()) {
            assertThat(page).contains("<code>" + o.label() + "</code>").contains(Report.esc(o.meaning()));
        }
        assertThat(page).contains("FAIL", "lost-acked: 1 not allowed");
        // escaping: the hostile title and run text appear only escaped
        assertThat(page).doesNotContain("<script").doesNotContainIgnoringCase("javascript");
        assertThat(page).contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;");
        assertThat(page).doesNotContain("<b>evil</b>").contains("stage &lt;b&gt;evil&lt;/b&gt; &amp; &quot;quoted&quot;");
        // a bad item is marked in red
        assertThat(page).contains("fill=\"#d62728\"><title>second 3: 1 bad item(s)</title>");

        assertThat(Files.readString(dir.resolve("out/summary.txt"))).isEqualTo(Summary.text(a, v));
    }

    @Test
    void aPassingRunWithoutFaults(@TempDir Path dir) throws IOException {
        List<Event> h = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            h.add(Event.send(i * 100L, "a", i, List.of("b")));
            h.add(Event.ack(i * 100L + 1, "a", i, "m", List.of("b"), List.of()));
            h.add(Event.deliver(i * 100L + 2, "b", "a", i, "m"));
        }
        Analysis a = Analysis.of(h, 1000);
        Verdict v = Promise.parse("").judge(a);
        assertThat(v.pass()).isTrue();
        String page = Files.readString(Report.write(dir, "ok", a, v));
        assertThat(page).contains("<span class=\"pass\">PASS</span>", "No fault was injected", "<svg");
        assertThat(Summary.text(a, v)).containsPattern("(?m)^PASS$").contains("faults: none");
    }

    @Test
    void escapesEverything() {
        assertThat(Report.esc("<a href=\"x\">'&'</a>")).isEqualTo("&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;");
        assertThat(Report.esc(null)).isEmpty();
    }
}
