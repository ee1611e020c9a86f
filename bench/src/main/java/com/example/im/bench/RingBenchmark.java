package com.example.im.bench;

import com.example.im.balance.ConsistentHashBalancer;
import com.example.im.registry.NodeInfo;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
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
 * What a client pays to pick its node with the consistent-hash ring (docs/04-zk-cluster.md) — an MD5 of the uid and
 * a TreeMap ceiling lookup over 160 points per node — against the baseline of plain modulo hashing
 * ({@code hashCode() % n}), which costs almost nothing but moves nearly every user when a node joins or leaves.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class RingBenchmark {

    @Param({"3", "10"})
    public int nodes;

    private List<NodeInfo> list;
    private final ConsistentHashBalancer ring = new ConsistentHashBalancer();
    private final String[] uids = IntStream.range(0, 1024).mapToObj(i -> "user" + i * 7919).toArray(String[]::new);
    private int next;

    @Setup
    public void setUp() {
        list = IntStream.range(0, nodes).mapToObj(i -> new NodeInfo("127.0.0.1:" + (7001 + i), "127.0.0.1",
                7001 + i, 0)).toList();
        ring.choose("warm", list); // builds the ring once; lookups on an unchanged node list reuse it
    }

    @Benchmark
    public NodeInfo ring() {
        return ring.choose(uids[next++ & 1023], list);
    }

    @Benchmark
    public NodeInfo modulo() {
        return list.get(Math.floorMod(uids[next++ & 1023].hashCode(), list.size()));
    }
}
