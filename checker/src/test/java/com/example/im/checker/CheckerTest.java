package com.example.im.checker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The command line: clear errors for bad input, and a verdict from an existing history. */
class CheckerTest {

    @TempDir
    Path dir;

    @Test
    void unknownFlagsAndMissingValuesAreRefusedByName() {
        assertThatThrownBy(() -> Checker.parse(new String[] {"--stage", "naive", "--fualts", "kill9"}))
                .hasMessageContaining("unknown argument --fualts");
        assertThatThrownBy(() -> Checker.parse(new String[] {"--stage"})).hasMessageContaining("--stage needs a value");
        assertThatThrownBy(() -> Checker.run(new String[] {"--seconds", "5"}))
                .hasMessageContaining("--stage is required");
    }

    @Test
    void anUnknownFaultOrAStageWithoutAPromiseIsRefusedBeforeAnythingStarts() {
        assertThatThrownBy(() -> Checker.run(new String[] {"--stage", "naive", "--faults", "kill9,meteor",
                "--report", dir.toString()})).hasMessageContaining("unknown fault 'meteor'");
        assertThatThrownBy(() -> Checker.run(new String[] {"--stage", "stage99-nothing"}))
                .hasMessageContaining("no stage stage99-nothing");
        assertThatThrownBy(() -> Checker.run(new String[] {"--stage", "../etc"}))
                .hasMessageContaining("directory name");
    }

    @Test
    void aBadNumberIsNamedByItsFlagBeforeAnythingStarts() {
        assertThatThrownBy(() -> Checker.run(new String[] {"--stage", "naive", "--seed", "abc", "--report",
                dir.toString()})).isInstanceOf(IllegalArgumentException.class).hasMessage("--seed needs a number, got abc");
        assertThatThrownBy(() -> Checker.run(new String[] {"--stage", "naive", "--settle-seconds", "-1", "--report",
                dir.toString()})).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("--settle-seconds >= 0");
    }

    @Test
    void analyzeJudgesAWrittenHistoryAgainAndExitsOneOnFail() throws Exception {
        Path history = dir.resolve("history.jsonl");
        Files.writeString(history, """
                {"t":0,"type":"run","text":"hand-written"}
                {"t":10,"type":"send","client":"a","seq":1,"to":["b"]}
                {"t":11,"type":"ack","client":"a","seq":1,"msgId":"m1","sent":["b"],"offline":[]}
                {"t":12,"type":"send","client":"a","seq":2,"to":["b"]}
                {"t":13,"type":"ack","client":"a","seq":2,"msgId":"m2","sent":["b"],"offline":[]}
                {"t":14,"type":"deliver","client":"b","from":"a","seq":1,"msgId":"m1"}
                """);
        Path report = dir.resolve("report");
        int code = Checker.run(new String[] {"--analyze", history.toString(), "--stage", "naive", "--report",
                report.toString()});

        assertThat(code).isEqualTo(1);
        assertThat(report.resolve("summary.txt")).content().contains("lost-acked").contains("FAIL");
        assertThat(report.resolve("report.html")).content().contains("<svg");

        Files.writeString(history, Files.readString(history)
                + "{\"t\":15,\"type\":\"deliver\",\"client\":\"b\",\"from\":\"a\",\"seq\":2,\"msgId\":\"m2\"}\n");
        assertThat(Checker.run(new String[] {"--analyze", history.toString(), "--stage", "naive", "--report",
                report.toString()})).isZero();
    }
}
