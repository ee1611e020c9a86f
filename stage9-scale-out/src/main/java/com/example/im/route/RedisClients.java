package com.example.im.route;

import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.function.IntFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import redis.clients.jedis.ConnectionPoolConfig;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.JedisClientConfig;
import redis.clients.jedis.RedisClient;
import redis.clients.jedis.RedisClusterClient;
import redis.clients.jedis.UnifiedJedis;
import redis.clients.jedis.exceptions.JedisException;
import redis.clients.jedis.providers.ClusterConnectionProvider;
import redis.clients.jedis.util.JedisURIHelper;

/**
 * Stage 9: the one place that turns {@code --redis} into a client (docs/09-scale-out.md, "What the code had to
 * change"). {@code --redis} is one or more seeds, comma-separated: {@code redis://h1:p1,redis://h2:p2,...}. The seeds
 * are asked whether they are a Redis Cluster ({@code INFO cluster}); a cluster gets Jedis' {@link RedisClusterClient}
 * (it learns the slot map from any seed, follows MOVED and ASK, and refreshes the map), a single server the same
 * {@link RedisClient} as stage 8. Both are a {@link UnifiedJedis}, so the rest of the code does not know which it
 * has — as long as every script and multi-key command stays inside one hash slot, and batches are pipelines (a
 * cluster pipeline sends each node its share, one round trip per node).
 */
public final class RedisClients {

    private static final Logger log = LoggerFactory.getLogger(RedisClients.class);

    private RedisClients() {
    }

    /**
     * What {@link #open} made: the client, whether it talks to a Redis Cluster, and which server holds a hash slot
     * now ({@code serverOf}: from the cluster client's slot map, without a round trip; one server for a single Redis).
     */
    public record Opened(UnifiedJedis redis, boolean cluster, String description, IntFunction<Object> serverOf) {
    }

    /** The seeds of a {@code --redis} value; throws a one-sentence error for a malformed one. */
    public static List<URI> seeds(String spec) {
        if (spec == null || spec.isBlank()) {
            throw new IllegalArgumentException("--redis needs redis://host:port (or several, comma-separated)");
        }
        List<URI> seeds = new ArrayList<>();
        for (String part : spec.split(",")) {
            String s = part.strip();
            URI uri;
            try {
                uri = URI.create(s);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("--redis: not a URI: \"" + s + "\"");
            }
            if (!JedisURIHelper.isValid(uri) || uri.getPort() < 1) {
                throw new IllegalArgumentException("--redis: expected redis://host:port or rediss://host:port, got \""
                        + s + "\"");
            }
            seeds.add(uri);
        }
        return seeds;
    }

    /**
     * Connects to the Redis (or Redis Cluster) of {@code spec}. Every call through the client is bounded by the
     * timeouts of {@code config}; the pool ({@code pool}) is per server for a cluster. The Redis version is checked
     * here (stage 5's {@link RedisVersion}) on the first seed that answers; with none answering, a single server is
     * assumed unless there are several seeds (a node may start while Redis is down and serve local chat).
     */
    public static Opened open(String spec, JedisClientConfig timeouts, ConnectionPoolConfig pool) {
        List<URI> seeds = seeds(spec);
        URI first = seeds.get(0);
        DefaultJedisClientConfig config = DefaultJedisClientConfig.builder()
                .connectionTimeoutMillis(timeouts.getConnectionTimeoutMillis())
                .socketTimeoutMillis(timeouts.getSocketTimeoutMillis())
                .blockingSocketTimeoutMillis(timeouts.getBlockingSocketTimeoutMillis())
                .user(JedisURIHelper.getUser(first)).password(JedisURIHelper.getPassword(first))
                .ssl(JedisURIHelper.isRedisSSLScheme(first)).build();
        // tag::clients[]
        Boolean cluster = null;
        // The probe is a plain Jedis connection, which speaks RESP2 (told so, it does not warn about RESP3).
        DefaultJedisClientConfig probe = DefaultJedisClientConfig.builder()
                .connectionTimeoutMillis(timeouts.getConnectionTimeoutMillis())
                .socketTimeoutMillis(timeouts.getSocketTimeoutMillis())
                .user(config.getUser()).password(config.getPassword()).ssl(config.isSsl())
                .autoNegotiateProtocol(false).build();
        for (URI seed : seeds) {
            try (Jedis jedis = new Jedis(new HostAndPort(seed.getHost(), seed.getPort()), probe)) {
                RedisVersion.check(jedis.info("server"), seed.toString());
                cluster = jedis.info("cluster").contains("cluster_enabled:1");
                break;
            } catch (JedisException e) {
                log.warn("Redis seed {} does not answer ({})", seed, e.toString());
            }
        }
        if (cluster == null) {
            cluster = seeds.size() > 1;
            log.warn("no Redis seed answers; assuming {}", cluster ? "a Redis Cluster (several seeds)" : "one server");
        }
        if (!cluster) {
            if (seeds.size() > 1) {
                throw new IllegalArgumentException("--redis lists " + seeds.size() + " servers, but " + first
                        + " is not part of a Redis Cluster (cluster_enabled:0): give one server, or the seeds of a"
                        + " cluster");
            }
            return new Opened(RedisClient.builder().clientConfig(timeouts).fromURI(first.toString())
                    .poolConfig(pool).build(), false, "Redis " + first, slot -> first);
        }
        for (URI seed : seeds) {
            if (JedisURIHelper.getDBIndex(seed) != 0) {
                // A cluster has database 0 only: run there, the keys would mix with whoever uses it.
                throw new IllegalArgumentException("--redis: " + seed + " names database "
                        + JedisURIHelper.getDBIndex(seed) + ", but a Redis Cluster has database 0 only: drop the /"
                        + JedisURIHelper.getDBIndex(seed));
            }
        }
        Set<HostAndPort> nodes = new LinkedHashSet<>();
        seeds.forEach(s -> nodes.add(new HostAndPort(s.getHost(), s.getPort())));
        // Pipelines do not follow MOVED: the slot map is also refreshed on a timer, so that after a failover the next
        // batch goes to the new master. The provider is made here, not by the builder, to read that map (serverOf).
        ClusterConnectionProvider provider = new ClusterConnectionProvider(nodes, config, pool,
                Duration.ofSeconds(1));
        RedisClusterClient client = RedisClusterClient.builder().nodes(nodes).clientConfig(config)
                .connectionProvider(provider)
                // A command that meets a failover (the master gone, its replica not promoted yet) is tried again
                // with a fresh slot map for up to this long; after that it fails, and the caller's own retry (a
                // client's resend, the next renewal pass) takes over. Bounded: nothing waits forever.
                .maxAttempts(5).maxTotalRetriesDuration(Duration.ofMillis(4 * timeouts.getSocketTimeoutMillis()))
                .build();
        return new Opened(client, true, "Redis Cluster (seeds " + nodes + ")", slot -> {
            HostAndPort server = provider.getNode(slot);
            return server != null ? server : slot; // not in the map (a failover under way): a WAIT of its own
        });
        // end::clients[]
    }
}
