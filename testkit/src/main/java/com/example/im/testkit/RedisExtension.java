package com.example.im.testkit;

import com.example.im.embedded.EmbeddedRedis;
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
    private Infra.Backend backend;
    private RedisServerHandle server;
    private int port;

    public RedisExtension() {
        this(null);
    }

    /** A fixture with a fixed backend, whatever {@code -Dim.infra} says (used by the testkit's own tests). */
    public RedisExtension(Infra.Backend backend) {
        this.requested = backend;
    }

    @Override
    protected void start() {
        backend = requested != null ? requested : Infra.backend();
        server = backend == Infra.Backend.CONTAINERS ? ContainerRedis.start() : local(EmbeddedRedis.start());
        port = server.port();
        log.info("Redis ready: {}", server.description());
    }

    /** The local backend: redis-server from PATH, else the embedded-redis binary (embedded-infra). */
    static RedisServerHandle local(EmbeddedRedis redis) {
        return new RedisServerHandle(redis.host(), redis.port(), redis.description(), redis::close);
    }

    /** Stops the server, as a crashed or restarting Redis would be; its address stays reserved for a restart. */
    public void stopServer() {
        if (server == null) {
            throw new IllegalStateException("Redis is not running");
        }
        server.close();
        server = null;
        log.info("Redis on port {} stopped", port);
    }

    /** Starts an empty Redis (no persistence) on the address the stopped one had. */
    public void restartServer() {
        if (server != null) {
            throw new IllegalStateException("Redis is running; stop it first");
        }
        server = backend == Infra.Backend.CONTAINERS ? ContainerRedis.startOn(port) : local(EmbeddedRedis.startOn(port));
        log.info("Redis restarted: {}", server.description());
    }

    @Override
    protected void stop() {
        if (server != null) {
            server.close();
            server = null;
        }
    }

    public String host() {
        return "127.0.0.1";
    }

    /** The port, also while the server is stopped (clients keep dialing it). */
    public int port() {
        if (port == 0) {
            throw new IllegalStateException("Redis was never started: register the extension with @RegisterExtension");
        }
        return port;
    }

    /**
     * The URI a stage node started by {@link StageCluster} dials: {@link #uri()} for a local server; for a container,
     * its alias on the network the node containers share with it.
     */
    String nodeUri() {
        return backend == Infra.Backend.CONTAINERS ? "redis://" + ContainerRedis.alias(port()) + ":6379" : uri();
    }

    /** {@code redis://host:port}, the form Jedis and our nodes' flags take. */
    public String uri() {
        return "redis://" + host() + ":" + port();
    }

}
