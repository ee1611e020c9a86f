package com.example.im.route;

import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import redis.clients.jedis.UnifiedJedis;
import redis.clients.jedis.exceptions.JedisException;

/**
 * The oldest Redis this stage runs on, checked when a node starts: 6.2, for {@code SET ... GET} (a session claim
 * that returns the previous owner) and {@code XAUTOCLAIM}. An older server would fail later, at the first login or
 * takeover, with an "unknown command" or "syntax error" reply; this says it at once (docs/05-redis-forwarding.md,
 * "Run it").
 */
public final class RedisVersion {

    /** The minimum, as {major, minor}. */
    static final int[] MINIMUM = {6, 2};
    private static final Pattern VERSION = Pattern.compile("(?m)^redis_version:(\\d+)\\.(\\d+)");
    private static final Logger log = LoggerFactory.getLogger(RedisVersion.class);

    private RedisVersion() {
    }

    /**
     * Throws, with a message that says what to install, when the Redis behind {@code redis} is older than the
     * minimum. A Redis that does not answer now is not checked (a node may start while Redis is down, and serve local
     * chat until it is back): that is logged.
     */
    public static void check(UnifiedJedis redis, String uri) {
        String info;
        try {
            info = redis.info("server");
        } catch (JedisException e) {
            log.warn("Redis at {} does not answer ({}); its version (>= {}.{} needed) is not checked", uri,
                    e.toString(), MINIMUM[0], MINIMUM[1]);
            return;
        }
        check(info, uri);
    }

    /** The same check on an {@code INFO server} reply already read (stage 9 reads it from a seed of the cluster). */
    public static void check(String info, String uri) {
        String problem = problem(info);
        if (problem != null) {
            throw new IllegalStateException("Redis at " + uri + ": " + problem);
        }
    }

    /** Why the server that sent this {@code INFO server} reply cannot be used; null when it can or names no version. */
    static String problem(String info) {
        Matcher m = VERSION.matcher(info);
        if (!m.find()) {
            return null;
        }
        int major = Integer.parseInt(m.group(1));
        int minor = Integer.parseInt(m.group(2));
        if (major > MINIMUM[0] || (major == MINIMUM[0] && minor >= MINIMUM[1])) {
            return null;
        }
        return "version " + major + "." + minor + " is too old; this stage needs Redis " + MINIMUM[0] + "."
                + MINIMUM[1] + " or newer (SET ... GET, XAUTOCLAIM). Install a newer redis-server, or start the nodes"
                + " with --redis pointing at one";
    }
}
