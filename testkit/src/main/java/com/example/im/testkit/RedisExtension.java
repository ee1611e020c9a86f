package com.example.im.testkit;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real Redis server for a test class (static field) or a test method (instance field):
 *
 * <pre>{@code
 * @RegisterExtension
 * static final RedisExtension redis = new RedisExtension();
 * ... new JedisPooled(redis.host(), redis.port()) ...
 * }</pre>
 *
 * <p>The backend follows {@code -Dim.infra} (see {@link Infra}). A server that cannot start fails the test with a
 * message that says what to install; it never skips.
 */
public final class RedisExtension extends ServerExtension {

    private static final Logger log = LoggerFactory.getLogger(RedisExtension.class);

    private final Infra.Backend requested;
    private RedisServerHandle server;

    public RedisExtension() {
        this(null);
    }

    /** A fixture with a fixed backend, whatever {@code -Dim.infra} says (used by the testkit's own tests). */
    public RedisExtension(Infra.Backend backend) {
        this.requested = backend;
    }

    @Override
    protected void start() {
        Infra.Backend backend = requested != null ? requested : Infra.backend();
        server = backend == Infra.Backend.CONTAINERS ? ContainerRedis.start() : LocalRedis.start();
        log.info("Redis ready: {}", server.description());
    }

    @Override
    protected void stop() {
        if (server != null) {
            server.close();
            server = null;
        }
    }

    public String host() {
        return running().host();
    }

    public int port() {
        return running().port();
    }

    /** {@code redis://host:port}, the form Jedis and our nodes' flags take. */
    public String uri() {
        return "redis://" + host() + ":" + port();
    }

    private RedisServerHandle running() {
        if (server == null) {
            throw new IllegalStateException("Redis is not running: register the extension with @RegisterExtension");
        }
        return server;
    }
}
