package com.example.im.checker.run;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * What the checker needs to run a stage: the jar, the main class of a node, whether nodes take {@code --zk} and
 * {@code --redis}, the extra flags from the stage's promise file ({@code <stage>/checker.promise}).
 *
 * @param name       the stage's directory name, or "naive" for the article's design
 * @param classpath  what {@code java -cp} is given: the stage's shaded jar
 * @param mainClass  a node's main class
 * @param usesRedis  nodes take {@code --redis} (stage 5 on, and the naive design)
 * @param flags      further flags for every node, e.g. {@code --zk-session-timeout-ms 4000}
 * @param reliableClient the clients behave as stage 7's: client_msg_id, resend until acknowledged, display by seq
 *                   ({@code client = reliable} in the promise; default {@code stop-and-wait})
 * @param redisAof   Redis runs with {@code appendonly yes}, {@code appendfsync always}, and a redis-restart is a
 *                   SIGKILL and a restart from the AOF ({@code redis = appendonly-always}; default {@code none})
 * @param redisCluster Redis is a Redis Cluster of 3 masters x 1 replica, node timeout 2 s ({@code redis = cluster};
 *                   stage 9): the nodes get every cluster node as a seed in {@code --redis}, and the fault
 *                   redis-master-kill applies (redis-restart and redis-pause, which act on one server, do not)
 * @param auth       logins need a signed token (stage 8, {@code auth = hmac}): the run's key, given to every node
 *                   and used by the clients to sign theirs; null when the stage has no authentication
 */
public record Stage(String name, String classpath, String mainClass, boolean usesRedis, List<String> flags,
                    boolean reliableClient, boolean redisAof, boolean redisCluster, Auth auth) {

    /** The promise's {@code client} setting: how the checker's clients behave. */
    public static final String CLIENT_KEY = "client";
    /** The promise's {@code redis} setting: how the checker runs redis-server. */
    public static final String REDIS_KEY = "redis";
    /** The promise's {@code auth} setting: {@code hmac} (stage 8's login tokens) or {@code none}. */
    public static final String AUTH_KEY = "auth";

    /** The node's ZooKeeper session timeout, from its flags (a pause must outlast it to be a GC-pause fault). */
    public long zkSessionTimeoutMillis() {
        return longFlag("--zk-session-timeout-ms", 10_000);
    }

    public long shutdownTimeoutMillis() {
        return longFlag("--shutdown-timeout-ms", 10_000);
    }

    private long longFlag(String flag, long otherwise) {
        int i = flags.indexOf(flag);
        return i >= 0 && i + 1 < flags.size() ? Long.parseLong(flags.get(i + 1)) : otherwise;
    }

    /**
     * The stage as its promise describes it: {@code main}, {@code uses} ("zk" or "zk, redis") and {@code flags}.
     *
     * @param classpath the stage's jar (or, for the naive design, the checker's own classpath)
     */
    public static Stage of(String name, String classpath, java.util.function.Function<String, String> promise) {
        String main = promise.apply("main");
        if (main == null) {
            throw new IllegalArgumentException("the promise of " + name + " names no main class (main = ...)");
        }
        boolean redis = usesRedis(promise.apply("uses"));
        boolean aof = redisAof(promise.apply(REDIS_KEY));
        boolean cluster = redisCluster(promise.apply(REDIS_KEY));
        if ((aof || cluster) && !redis) {
            throw new IllegalArgumentException("the promise of " + name + " sets redis = "
                    + promise.apply(REDIS_KEY).strip() + ", but its nodes use no Redis (uses = ...)");
        }
        return new Stage(name, classpath, main, redis, splitFlags(promise.apply("flags")),
                reliableClient(promise.apply(CLIENT_KEY)), aof, cluster, Auth.of(promise.apply(AUTH_KEY)));
    }

    /** {@code client = reliable} (stage 7's client) or {@code stop-and-wait} (absent: the default). */
    public static boolean reliableClient(String client) {
        if (client == null || client.strip().equals("stop-and-wait")) {
            return false;
        }
        if (client.strip().equals("reliable")) {
            return true;
        }
        throw new IllegalArgumentException("client = " + client + ": expected 'stop-and-wait' or 'reliable'");
    }

    /** The values {@code redis = ...} takes; absent means {@code none}. */
    static final List<String> REDIS_MODES = List.of("none", "appendonly-always", "cluster");

    /** {@code redis = appendonly-always} (AOF, fsync on every write); false for {@code none} (absent) and cluster. */
    public static boolean redisAof(String redis) {
        return redisMode(redis).equals("appendonly-always");
    }

    /** {@code redis = cluster}: a Redis Cluster of 3 masters x 1 replica (stage 9). */
    public static boolean redisCluster(String redis) {
        return redisMode(redis).equals("cluster");
    }

    private static String redisMode(String redis) {
        String mode = redis == null ? "none" : redis.strip();
        if (!REDIS_MODES.contains(mode)) {
            throw new IllegalArgumentException("redis = " + redis + ": expected one of " + String.join(", ",
                    REDIS_MODES.stream().map(m -> "'" + m + "'").toList()));
        }
        return mode;
    }

    static boolean usesRedis(String uses) {
        return uses != null && Arrays.stream(uses.split(",")).map(String::trim).anyMatch("redis"::equals);
    }

    static List<String> splitFlags(String flags) {
        List<String> out = new ArrayList<>();
        if (flags != null) {
            for (String part : flags.trim().split("\\s+")) {
                if (!part.isEmpty()) {
                    out.add(part);
                }
            }
        }
        return List.copyOf(out);
    }
}
