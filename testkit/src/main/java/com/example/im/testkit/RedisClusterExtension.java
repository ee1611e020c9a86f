package com.example.im.testkit;

import com.example.im.embedded.EmbeddedRedisCluster;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real Redis Cluster (by default 3 masters x 1 replica) on 127.0.0.1 for a test class (static field) or a test
 * method (instance field), from {@link EmbeddedRedisCluster}:
 *
 * <pre>{@code
 * @RegisterExtension
 * static final RedisClusterExtension redis = new RedisClusterExtension();
 * ... "--redis", redis.uri() ...              // every node's redis://127.0.0.1:port, comma-separated
 * ... redis.cluster().killMaster(redis.cluster().masterOf(key)); redis.cluster().awaitFailover(); ...
 * }</pre>
 *
 * <p>A test that kills masters should use an instance field (a fresh cluster per test) or restart what it killed.
 *
 * <p>Always local processes, also under {@code -Dim.infra=containers}: a Redis Cluster tells its clients the
 * addresses of its nodes ({@code CLUSTER SLOTS}, {@code MOVED} replies), so in containers every node would have to
 * announce an address that both the test JVM and the node containers can reach ({@code cluster-announce-ip},
 * {@code -port}, {@code -bus-port}, one published port pair per node). That is not done here; the local processes
 * need only a JDK (redis-server from PATH, else the embedded-redis binary). A cluster that cannot start fails the
 * test; it never skips.
 */
public final class RedisClusterExtension extends ServerExtension {

    private static final Logger log = LoggerFactory.getLogger(RedisClusterExtension.class);

    private final int masters;
    private final int replicasPerMaster;
    private final int nodeTimeoutMillis;
    private EmbeddedRedisCluster cluster;

    /** 3 masters x 1 replica, node timeout 2 s. */
    public RedisClusterExtension() {
        this(3, 1, 2000);
    }

    public RedisClusterExtension(int masters, int replicasPerMaster, int nodeTimeoutMillis) {
        this.masters = masters;
        this.replicasPerMaster = replicasPerMaster;
        this.nodeTimeoutMillis = nodeTimeoutMillis;
    }

    @Override
    protected void start() {
        if (Infra.backend() == Infra.Backend.CONTAINERS) {
            log.info("Redis Cluster: local processes even with -D{}=containers (see RedisClusterExtension)",
                    Infra.PROPERTY);
        }
        cluster = EmbeddedRedisCluster.start(masters, replicasPerMaster, nodeTimeoutMillis);
        log.info("Redis Cluster ready: {}", cluster.description());
    }

    @Override
    protected void stop() {
        if (cluster != null) {
            cluster.close();
            cluster = null;
        }
    }

    /** The running cluster: ports, masters, killing and restarting nodes. */
    public EmbeddedRedisCluster cluster() {
        if (cluster == null) {
            throw new IllegalStateException(
                    "the Redis Cluster is not running: register the extension with @RegisterExtension");
        }
        return cluster;
    }

    /** Every node's {@code redis://127.0.0.1:port}, comma-separated: what a stage 9 node's {@code --redis} takes. */
    public String uri() {
        return cluster().uri();
    }
}
