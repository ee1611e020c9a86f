package com.example.im.bench;

import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Encode + decode of one chat message: stage 1's text line (the baseline) vs stage 2's protobuf frame, through the
 * same Netty handlers the stages use (docs/02-protobuf.md, "What protobuf costs (measured)").
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class CodecBenchmark {

    @Param({"32", "1024"})
    public int contentBytes;

    @Param({"text", "protobuf"})
    public String format;

    private Codecs codec;

    @Setup
    public void setUp() {
        codec = Codecs.of(format, Codecs.content(contentBytes));
    }

    @Benchmark
    public Object encodeDecode() {
        return codec.roundTrip();
    }
}
