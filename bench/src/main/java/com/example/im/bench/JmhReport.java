package com.example.im.bench;

import java.util.Collection;
import java.util.function.Predicate;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.Options;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;

/**
 * Scenario 8: runs {@link CodecBenchmark} and {@link RingBenchmark} under JMH (which handles warm-up, forking and
 * dead-code elimination) and adds their figures to the table, each against its baseline from the same JMH run.
 */
final class JmhReport {

    private JmhReport() {
    }

    static void run(Bench.Scenarios settings, Table table) throws RunnerException {
        int forks = settings.intOf("jmh-forks", 1);
        int iterations = settings.intOf("jmh-iterations", 5);
        TimeValue time = TimeValue.fromString(settings.stringOf("jmh-time", "1s"));
        Options options = new OptionsBuilder()
                .include(CodecBenchmark.class.getSimpleName())
                .include(RingBenchmark.class.getSimpleName())
                .forks(forks)
                .warmupIterations(iterations)
                .warmupTime(time)
                .measurementIterations(iterations)
                .measurementTime(time)
                .build();
        Collection<RunResult> results = new Runner(options).run();

        for (int size : new int[] {32, 1024}) {
            int pb = frameBytes("protobuf", size);
            int text = frameBytes("text", size);
            table.ratio("8. frame bytes, " + size + " B message: protobuf (base: text line)", pb, text, "%.0f", "-");
        }
        for (String size : new String[] {"32", "1024"}) {
            double pb = score(results, "encodeDecode", r -> r.getParams().getParam("format").equals("protobuf")
                    && r.getParams().getParam("contentBytes").equals(size));
            double text = score(results, "encodeDecode", r -> r.getParams().getParam("format").equals("text")
                    && r.getParams().getParam("contentBytes").equals(size));
            table.ratio("8. encode+decode, " + size + " B message, ns: protobuf (base: text line)", pb, text, "%.0f",
                    "-");
        }
        for (String nodes : new String[] {"3", "10"}) {
            Predicate<RunResult> withNodes = r -> r.getParams().getParam("nodes").equals(nodes);
            table.ratio("8. node choice, " + nodes + " nodes, ns: hash ring (base: modulo)",
                    score(results, "ring", withNodes), score(results, "modulo", withNodes), "%.1f", "-");
        }
    }

    private static int frameBytes(String format, int size) {
        Codecs codec = Codecs.of(format, Codecs.content(size));
        codec.roundTrip();
        return codec.lastFrameBytes();
    }

    private static double score(Collection<RunResult> results, String method, Predicate<RunResult> params) {
        return results.stream()
                .filter(r -> r.getParams().getBenchmark().endsWith("." + method) && params.test(r))
                .findFirst()
                .orElseThrow(() -> new IllegalStateException("no JMH result for " + method))
                .getPrimaryResult().getScore();
    }
}
