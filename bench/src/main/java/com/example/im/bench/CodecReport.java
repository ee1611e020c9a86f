package com.example.im.bench;

import java.time.LocalDate;
import java.util.Collection;
import java.util.Locale;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.options.Options;
import org.openjdk.jmh.runner.options.OptionsBuilder;

/**
 * Runs {@link CodecBenchmark} and prints one table: every protobuf figure next to the text-line baseline measured in
 * the same run, and their ratio. Only ratios travel between machines.
 *
 * <pre>java -jar bench/target/benchmarks.jar</pre>
 */
public final class CodecReport {

    private CodecReport() {
    }

    public static void main(String[] args) throws Exception {
        int[] sizes = {32, 1024};
        Options options = new OptionsBuilder().include(CodecBenchmark.class.getSimpleName()).build();
        Collection<RunResult> results = new Runner(options).run();

        System.out.printf("%nCodec: stage 1 text line (baseline) vs stage 2 protobuf frame%n");
        System.out.printf("machine: %d cores, JDK %s, %s; %s%n", Runtime.getRuntime().availableProcessors(),
                System.getProperty("java.version"), System.getProperty("os.arch"), LocalDate.now());
        System.out.printf("%-34s %12s %12s %8s%n", "figure", "protobuf", "text", "ratio");
        for (int size : sizes) {
            int pb = bytes("protobuf", size);
            int text = bytes("text", size);
            System.out.printf(Locale.ROOT, "%-34s %12d %12d %8.2f%n", "bytes on the wire, " + size + " B message",
                    pb, text, (double) pb / text);
        }
        for (int size : sizes) {
            double pb = score(results, "protobuf", size);
            double text = score(results, "text", size);
            System.out.printf(Locale.ROOT, "%-34s %12.1f %12.1f %8.2f%n", "encode+decode ns, " + size + " B message",
                    pb, text, pb / text);
        }
    }

    private static int bytes(String format, int size) {
        Codecs codec = Codecs.of(format, Codecs.content(size));
        codec.roundTrip();
        return codec.lastFrameBytes();
    }

    private static double score(Collection<RunResult> results, String format, int size) {
        return results.stream()
                .filter(r -> r.getParams().getParam("format").equals(format)
                        && r.getParams().getParam("contentBytes").equals(Integer.toString(size)))
                .findFirst()
                .orElseThrow(() -> new IllegalStateException("no result for " + format + "/" + size))
                .getPrimaryResult().getScore();
    }
}
