package com.example.im.checker;

import com.example.im.checker.analysis.Analysis;
import com.example.im.checker.analysis.Promise;
import com.example.im.checker.analysis.Report;
import com.example.im.checker.analysis.Summary;
import com.example.im.checker.analysis.Verdict;
import com.example.im.checker.history.Event;
import com.example.im.checker.history.History;
import com.example.im.checker.run.Run;
import com.example.im.checker.run.Stage;
import java.io.IOException;
import java.io.InputStream;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The delivery checker (docs/checker.md): runs a cluster stage's jar as forked nodes on a real ZooKeeper and Redis,
 * drives a chat workload, injects faults, records every send, reply and delivery, classifies every message and judges
 * the result against what the stage promises in its {@code checker.promise}. Exit code 0: PASS; 1: FAIL; 2: the run
 * could not be made (bad flags, no jar, a cluster that did not start).
 */
public final class Checker {

    static final String USAGE = """
            usage: java -jar checker/target/checker.jar --stage STAGE [--nodes 3] [--clients 40] [--rate 300]
                       [--seconds 60] [--faults pause,kill9,sigterm,redis-restart | --faults none] [--seed N]
                       [--report target/checker] [--jar PATH] [--settle-seconds 30]
                   java -jar checker/target/checker.jar --analyze HISTORY.jsonl --stage STAGE [--report DIR]
              STAGE   a cluster stage's directory (stage4-zk-cluster, stage5-redis-forwarding, stage6-graceful-shutdown,
                      stage7-reliable-delivery, stage8-web-edge, stage9-scale-out) or "naive" (the article's
                      LPUSH/BRPOP forwarding); its promise is STAGE/checker.promise
              --faults  kill9, sigterm, pause (SIGSTOP past the ZooKeeper session: a GC pause), restart,
                      redis-restart, redis-pause, zk-restart, net (delay, blackhole or drop between one node and
                      Redis or ZooKeeper); on a Redis Cluster (redis = cluster) redis-master-kill instead of
                      redis-restart and redis-pause; each runs once, at a time drawn from the seed
              --jar   run another build of the stage (e.g. an older commit's) under the same promise
              --analyze  judge a history written by an earlier run again, without running anything""";

    private static final Set<String> FLAGS = Set.of("stage", "nodes", "clients", "rate", "seconds", "faults", "seed",
            "report", "jar", "settle-seconds", "analyze");

    private Checker() {
    }

    public static void main(String[] args) {
        int code;
        try {
            code = run(args);
        } catch (IllegalArgumentException e) {
            System.err.println("checker: " + e.getMessage());
            System.err.println(USAGE);
            code = 2;
        } catch (Exception e) {
            System.err.println("checker: the run could not be made: " + e);
            e.printStackTrace();
            code = 2;
        }
        System.exit(code);
    }

    static int run(String[] args) throws Exception {
        if (Arrays.asList(args).contains("--help") || args.length == 0) {
            System.out.println(USAGE);
            return args.length == 0 ? 2 : 0;
        }
        Map<String, String> flags = parse(args);
        String stageName = require(flags, "stage");
        Path report = Path.of(flags.getOrDefault("report", "target/checker"));
        Promise promise;
        String classpath;
        if (stageName.equals("naive")) {
            promise = Promise.parse(resource("/naive.promise"));
            classpath = ownClasspath();
        } else {
            Path dir = findStage(stageName);
            promise = Promise.load(dir.resolve("checker.promise"));
            Path jar = flags.containsKey("jar") ? Path.of(flags.get("jar"))
                    : dir.resolve("target").resolve(stageName + ".jar");
            if (!Files.isRegularFile(jar) && !flags.containsKey("analyze")) {
                throw new IllegalArgumentException("no jar at " + jar + ": build it first (./mvnw -q package "
                        + "-DskipTests) or name one with --jar");
            }
            classpath = jar.toString();
        }
        List<Event> events;
        String title;
        if (flags.containsKey("analyze")) {
            events = History.read(Path.of(flags.get("analyze")));
            title = stageName + " (history " + flags.get("analyze") + ")";
        } else {
            Stage stage = Stage.of(stageName, classpath, promise::get);
            long seed;
            try {
                seed = flags.containsKey("seed") ? Long.parseLong(flags.get("seed")) : System.nanoTime() % 100_000;
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("--seed needs a number, got " + flags.get("seed"));
            }
            List<String> faults = faults(flags.getOrDefault("faults", "none"));
            Run.Settings settings = new Run.Settings(stage, integer(flags, "nodes", 3), integer(flags, "clients", 40),
                    integer(flags, "rate", 300), integer(flags, "seconds", 60), faults, seed, report,
                    integer(flags, "settle-seconds", 30));
            System.out.println("checker: " + stageName + ", " + settings.nodes() + " nodes, " + settings.clients()
                    + " clients, " + settings.rate() + " msgs/s for " + settings.seconds() + " s, faults " + faults
                    + ", seed " + seed + " (repeat with --seed " + seed + ")");
            events = Run.execute(settings);
            title = stageName + (flags.containsKey("jar") ? " (" + Path.of(flags.get("jar")).getFileName() + ")" : "")
                    + ", faults " + String.join(",", faults) + ", seed " + seed;
        }
        long window;
        try {
            window = Long.parseLong(promise.getOrDefault("window-ms", "10000"));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("the promise of " + stageName + " has a window-ms that is not a number: "
                    + promise.get("window-ms"));
        }
        // Stage 7's SendAck lists a recipient without a session as offline, but it stored the message for them.
        Analysis analysis = Analysis.of(events, window, Stage.reliableClient(promise.get(Stage.CLIENT_KEY)));
        Verdict verdict = promise.judge(analysis);
        Files.createDirectories(report);
        Report.write(report, title, analysis, verdict);
        System.out.println(Summary.text(analysis, verdict));
        System.out.println("checker: report " + report.resolve("report.html") + ", history "
                + report.resolve("history.jsonl"));
        return verdict.pass() ? 0 : 1;
    }

    static List<String> faults(String list) {
        List<String> out = new ArrayList<>();
        if (!list.equals("none")) {
            for (String f : list.split(",")) {
                if (!f.isBlank()) {
                    out.add(f.trim());
                }
            }
        }
        return out;
    }

    static Map<String, String> parse(String[] args) {
        Map<String, String> flags = new HashMap<>();
        for (int i = 0; i < args.length; i++) {
            String arg = args[i];
            if (!arg.startsWith("--") || !FLAGS.contains(arg.substring(2))) {
                throw new IllegalArgumentException("unknown argument " + arg);
            }
            if (i + 1 >= args.length) {
                throw new IllegalArgumentException(arg + " needs a value");
            }
            flags.put(arg.substring(2), args[++i]);
        }
        return flags;
    }

    private static String require(Map<String, String> flags, String name) {
        String value = flags.get(name);
        if (value == null) {
            throw new IllegalArgumentException("--" + name + " is required");
        }
        return value;
    }

    private static int integer(Map<String, String> flags, String name, int otherwise) {
        String value = flags.get(name);
        try {
            return value == null ? otherwise : Integer.parseInt(value);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--" + name + " needs a number, got " + value);
        }
    }

    /** The stage's directory: under the current directory or one of its parents (the repository root). */
    static Path findStage(String name) {
        if (name.contains("/") || name.contains("\\") || name.contains("..")) {
            throw new IllegalArgumentException("--stage takes a stage's directory name, e.g. stage6-graceful-shutdown");
        }
        for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
            Path candidate = dir.resolve(name);
            if (Files.isRegularFile(candidate.resolve("checker.promise"))) {
                return candidate;
            }
        }
        throw new IllegalArgumentException("no stage " + name + " with a checker.promise here or in a parent "
                + "directory (run from the repository)");
    }

    /** The naive node is in the checker itself: its jar, or its classpath when run from a build. */
    private static String ownClasspath() throws URISyntaxException {
        Path self = Path.of(Checker.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        return Files.isRegularFile(self) ? self.toString() : System.getProperty("java.class.path");
    }

    private static String resource(String name) throws IOException {
        try (InputStream in = Checker.class.getResourceAsStream(name)) {
            if (in == null) {
                throw new IOException("missing resource " + name);
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }
}
