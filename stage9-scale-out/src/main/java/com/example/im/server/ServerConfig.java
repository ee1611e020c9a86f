package com.example.im.server;

import com.example.im.config.Flags;
import com.example.im.route.MailboxStore;
import com.example.im.route.RedisClients;
import com.example.im.route.RedisRouting;
import java.util.Set;

/**
 * Server settings: flags, else {@code -Dim.<name>} system properties, else these defaults.
 *
 * @param host           address to bind; 127.0.0.1 by default so a learner's server is not open to the network
 * @param port           TCP port; 0 picks a free one (tests do this)
 * @param maxFrameLength largest accepted frame in bytes (length prefix excluded); a larger prefix is an error and
 *                       closes the connection, because a server that waits for any announced length can be made to
 *                       buffer gigabytes
 * @param maxGroupSize   most uids one group message may name in to_uid_list; bounds the fan-out work that one frame
 *                       can cause
 * @param readerIdleMillis how long a connection may stay silent (no frame at all, not even a ping) before the server
 *                       closes it as dead (假死) and removes its session; 3 x the client's 5 s ping interval, so two
 *                       lost pings are tolerated (docs/03-heartbeat.md, "Why these numbers")
 * @param loginTimeoutMillis how long a new connection may stay without a login before it is told why and closed;
 *                       pings do not extend it, so a socket without a uid cannot be held open by heartbeats alone
 *                       (docs/03-heartbeat.md, "Two more bounds")
 * @param maxPendingBytes most bytes the server keeps queued for one connection that does not read them (a slow
 *                       reader, 慢消费者); past it the connection is sent nothing more and closed
 * @param unwritableTimeoutMillis how long a connection may stay unwritable (more than the high-water mark of bytes
 *                       waiting for it) before it is closed as a slow reader, however little it holds
 * @param zkConnect      ZooKeeper connect string ("host:port,host:port"); null: do not register (single-node use)
 * @param nodeId         this node's name under /im/servers; null: "advertised-host:port"
 * @param advertiseHost  the address clients are told to dial; null: the bind host. Never guessed with
 *                       InetAddress.getLocalHost(), which on a multi-NIC host or in a container names the wrong one
 * @param advertisePort  the port clients are told to dial; 0: the bound port. Differs from it when something in
 *                       between maps ports, as a container's published port does (docs/04-zk-cluster.md)
 * @param zkSessionTimeoutMillis how long ZooKeeper keeps a silent node's znode: after a crash, clients may be sent to
 *                       the dead node for this long
 * @param loadRefreshMillis how often the connection count in the znode is refreshed
 * @param redisUri       Redis for sessions and inboxes ("redis://host:port"; stage 9: or the comma-separated seeds of a
 *                       Redis Cluster, see RedisClients); null: no cross-node delivery (stage 4)
 * @param sessionTtlMillis how long a user's session in Redis outlives its node's last renewal: after a crash, the
 *                       users of the dead node look online for at most this long
 * @param undeliverableMillis how long a message in this node's inbox waits for a recipient who is not connected here
 *                       or anywhere (a reconnect in progress) before it is given up
 * @param shutdownTimeoutMillis the bound on the whole graceful shutdown (docs/06-graceful-shutdown.md)
 * @param delivery       stage 7: how long mailboxes keep messages, and when an unacknowledged push is sent again
 *                       (docs/07-reliable-delivery.md)
 * @param edge           stage 8: the HTTP/WebSocket port, the token key, TLS (docs/08-web-edge.md)
 */
public record ServerConfig(String host, int port, int maxFrameLength, int maxGroupSize, long readerIdleMillis,
                           long loginTimeoutMillis, long maxPendingBytes, long unwritableTimeoutMillis,
                           String zkConnect, String nodeId, String advertiseHost, int advertisePort,
                           int zkSessionTimeoutMillis,
                           long loadRefreshMillis, String redisUri, long sessionTtlMillis, long undeliverableMillis,
                           long shutdownTimeoutMillis, RedisRouting.DeliverySettings delivery,
                           EdgeSettings edge) {

    public static final int DEFAULT_PORT = 7001;
    public static final int DEFAULT_MAX_FRAME = 64 * 1024;
    public static final int DEFAULT_MAX_GROUP = 500;
    public static final long DEFAULT_READER_IDLE_MILLIS = 15_000;
    public static final long DEFAULT_LOGIN_TIMEOUT_MILLIS = 10_000;
    public static final long DEFAULT_MAX_PENDING_BYTES = 1024 * 1024;
    public static final long DEFAULT_UNWRITABLE_TIMEOUT_MILLIS = 15_000;
    public static final String DEFAULT_ZK = "127.0.0.1:2181";
    public static final int DEFAULT_ZK_SESSION_TIMEOUT_MILLIS = 10_000;
    public static final long DEFAULT_LOAD_REFRESH_MILLIS = 5_000;
    public static final String DEFAULT_REDIS = "redis://127.0.0.1:6379";
    public static final long DEFAULT_SESSION_TTL_MILLIS = 30_000;
    public static final long DEFAULT_UNDELIVERABLE_MILLIS = 30_000;
    public static final long DEFAULT_SHUTDOWN_TIMEOUT_MILLIS = 10_000;

    static final String USAGE = """
            usage: ChatServer [--host 127.0.0.1] [--port 7001] [--max-frame 65536] [--max-group 500]
                              [--reader-idle-ms 15000] [--login-timeout-ms 10000] [--max-pending-bytes 1048576]
                              [--unwritable-timeout-ms 15000] [--zk 127.0.0.1:2181 | --zk none] [--node-id ID]
                              [--advertise-host HOST] [--advertise-port PORT] [--zk-session-timeout-ms 10000]
                              [--load-refresh-ms 5000]
                              [--redis redis://127.0.0.1:6379 | --redis redis://h1:p1,redis://h2:p2,... | --redis none]
                              [--redis-wait-replicas auto] [--redis-wait-ms 1000] [--session-ttl-ms 30000]
                              [--undeliverable-ms 30000] [--shutdown-timeout-ms 10000]
                              [--retention-count 10000] [--retention-ms 604800000] [--resend-ms 5000]
                              [--http-port 8001] --auth-key BASE64 (or IM_AUTH_KEY) [--dev-token-issuer]
                              [--tls-cert cert.pem --tls-key key.pem]
              (each flag also reads a system property: -Dim.host, -Dim.port, -Dim.max-frame, ... -Dim.zk, ...)""";

    public ServerConfig {
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("port must be 0..65535, got " + port);
        }
        if (advertisePort < 0 || advertisePort > 65535) {
            throw new IllegalArgumentException("advertised port must be 0..65535, got " + advertisePort);
        }
        if (maxFrameLength < 64) {
            throw new IllegalArgumentException("max frame length must be at least 64 bytes, got " + maxFrameLength);
        }
        if (maxGroupSize < 1) {
            throw new IllegalArgumentException("max group size must be at least 1, got " + maxGroupSize);
        }
        if (readerIdleMillis < 1) {
            throw new IllegalArgumentException("reader idle time must be at least 1 ms, got " + readerIdleMillis);
        }
        if (loginTimeoutMillis < 1 || unwritableTimeoutMillis < 1) {
            throw new IllegalArgumentException("need --login-timeout-ms >= 1 and --unwritable-timeout-ms >= 1");
        }
        if (maxPendingBytes < SlowReaderHandler.WATER_MARK.high()) {
            // Below the high-water mark the cap would close connections that are not even unwritable yet.
            throw new IllegalArgumentException("--max-pending-bytes must be at least "
                    + SlowReaderHandler.WATER_MARK.high() + ", got " + maxPendingBytes);
        }
        if (zkConnect != null && advertiseHost == null && isWildcard(host)) {
            throw new IllegalArgumentException("binding " + host + " (every interface) needs --advertise-host: "
                    + "the address clients should dial to reach this node");
        }
        if (zkSessionTimeoutMillis < 1_000 || loadRefreshMillis < 1) {
            throw new IllegalArgumentException("need --zk-session-timeout-ms >= 1000 and --load-refresh-ms >= 1");
        }
        if (sessionTtlMillis < 300 || undeliverableMillis < 0) {
            throw new IllegalArgumentException("need --session-ttl-ms >= 300 and --undeliverable-ms >= 0");
        }
    }

    private static boolean isWildcard(String host) {
        return host.equals("0.0.0.0") || host.equals("::") || host.equals("[::]");
    }

    /** The port clients are told to dial, given the port actually bound. */
    public int advertisedPort(int boundPort) {
        return advertisePort != 0 ? advertisePort : boundPort;
    }

    /** The host clients are told to dial. */
    public String advertisedHost() {
        return advertiseHost != null ? advertiseHost : host;
    }

    /** The same settings with another reader idle time (tests shorten it). */
    public ServerConfig withReaderIdleMillis(long millis) {
        return new ServerConfig(host, port, maxFrameLength, maxGroupSize, millis, loginTimeoutMillis, maxPendingBytes,
                unwritableTimeoutMillis, zkConnect, nodeId, advertiseHost, advertisePort, zkSessionTimeoutMillis,
                loadRefreshMillis, redisUri, sessionTtlMillis, undeliverableMillis, shutdownTimeoutMillis, delivery, edge);
    }

    /** The same settings with another login deadline (tests shorten it). */
    public ServerConfig withLoginTimeoutMillis(long millis) {
        return new ServerConfig(host, port, maxFrameLength, maxGroupSize, readerIdleMillis, millis, maxPendingBytes,
                unwritableTimeoutMillis, zkConnect, nodeId, advertiseHost, advertisePort, zkSessionTimeoutMillis,
                loadRefreshMillis, redisUri, sessionTtlMillis, undeliverableMillis, shutdownTimeoutMillis, delivery, edge);
    }

    /** The same settings with other slow-reader bounds (tests shrink the cap or the time). */
    public ServerConfig withSlowReaderBounds(long pendingBytes, long unwritableMillis) {
        return new ServerConfig(host, port, maxFrameLength, maxGroupSize, readerIdleMillis, loginTimeoutMillis,
                pendingBytes, unwritableMillis, zkConnect, nodeId, advertiseHost, advertisePort, zkSessionTimeoutMillis,
                loadRefreshMillis, redisUri, sessionTtlMillis, undeliverableMillis, shutdownTimeoutMillis, delivery, edge);
    }

    /** The same settings on another port (a test restarts a server where it was). */
    public ServerConfig withPort(int newPort) {
        return new ServerConfig(host, newPort, maxFrameLength, maxGroupSize, readerIdleMillis, loginTimeoutMillis,
                maxPendingBytes, unwritableTimeoutMillis, zkConnect, nodeId, advertiseHost, advertisePort,
                zkSessionTimeoutMillis,
                loadRefreshMillis, redisUri, sessionTtlMillis, undeliverableMillis, shutdownTimeoutMillis, delivery, edge);
    }

    /** The same settings, registered in ZooKeeper at {@code connectString}, refreshing the load every given ms. */
    public ServerConfig withZooKeeper(String connectString, long refreshMillis) {
        return new ServerConfig(host, port, maxFrameLength, maxGroupSize, readerIdleMillis, loginTimeoutMillis,
                maxPendingBytes, unwritableTimeoutMillis, connectString, nodeId, advertiseHost, advertisePort,
                zkSessionTimeoutMillis,
                refreshMillis, redisUri, sessionTtlMillis, undeliverableMillis, shutdownTimeoutMillis, delivery, edge);
    }

    /** The same settings with Redis at {@code uri}, sessions living {@code ttlMillis} past their last renewal. */
    public ServerConfig withRedis(String uri, long ttlMillis, long undeliverable) {
        return new ServerConfig(host, port, maxFrameLength, maxGroupSize, readerIdleMillis, loginTimeoutMillis,
                maxPendingBytes, unwritableTimeoutMillis, zkConnect, nodeId, advertiseHost, advertisePort,
                zkSessionTimeoutMillis, loadRefreshMillis, uri, ttlMillis, undeliverable, shutdownTimeoutMillis, delivery, edge);
    }

    /** The same settings with ZooKeeper sessions of {@code ms} (tests shorten how long a dead node stays listed). */
    public ServerConfig withZkSessionTimeout(int ms) {
        return new ServerConfig(host, port, maxFrameLength, maxGroupSize, readerIdleMillis, loginTimeoutMillis,
                maxPendingBytes, unwritableTimeoutMillis, zkConnect, nodeId, advertiseHost, advertisePort, ms,
                loadRefreshMillis, redisUri, sessionTtlMillis, undeliverableMillis, shutdownTimeoutMillis, delivery, edge);
    }

    /** The same settings under a fixed node id (a restarted node that must find its own inbox again). */
    public ServerConfig withNodeId(String id) {
        return new ServerConfig(host, port, maxFrameLength, maxGroupSize, readerIdleMillis, loginTimeoutMillis,
                maxPendingBytes, unwritableTimeoutMillis, zkConnect, id, advertiseHost, advertisePort,
                zkSessionTimeoutMillis,
                loadRefreshMillis, redisUri, sessionTtlMillis, undeliverableMillis, shutdownTimeoutMillis, delivery, edge);
    }

    /** The same settings with other reliable-delivery bounds (tests shorten retention and the resend time). */
    public ServerConfig withDelivery(RedisRouting.DeliverySettings settings) {
        return new ServerConfig(host, port, maxFrameLength, maxGroupSize, readerIdleMillis, loginTimeoutMillis,
                maxPendingBytes, unwritableTimeoutMillis, zkConnect, nodeId, advertiseHost, advertisePort,
                zkSessionTimeoutMillis, loadRefreshMillis, redisUri, sessionTtlMillis, undeliverableMillis,
                shutdownTimeoutMillis, settings, edge);
    }

    /** Loopback, a free port, default limits, no ZooKeeper, no Redis: what single-node tests use. */
    public static ServerConfig forTests() {
        return new ServerConfig("127.0.0.1", 0, DEFAULT_MAX_FRAME, DEFAULT_MAX_GROUP, DEFAULT_READER_IDLE_MILLIS,
                DEFAULT_LOGIN_TIMEOUT_MILLIS, DEFAULT_MAX_PENDING_BYTES, DEFAULT_UNWRITABLE_TIMEOUT_MILLIS, null, null,
                null, 0, DEFAULT_ZK_SESSION_TIMEOUT_MILLIS, DEFAULT_LOAD_REFRESH_MILLIS, null,
                DEFAULT_SESSION_TTL_MILLIS, DEFAULT_UNDELIVERABLE_MILLIS, DEFAULT_SHUTDOWN_TIMEOUT_MILLIS,
                RedisRouting.DeliverySettings.defaults(), EdgeSettings.forTests());
    }

    /** {@code --redis-wait-replicas}: "auto" (1 on a Redis Cluster, 0 on one server) or a count. */
    static int waitReplicas(String value) {
        if (value.equals("auto")) {
            return RedisRouting.DeliverySettings.AUTO;
        }
        try {
            int n = Integer.parseInt(value);
            if (n >= 0) {
                return n;
            }
        } catch (NumberFormatException e) {
            // below
        }
        throw new IllegalArgumentException("--redis-wait-replicas must be auto or a number >= 0, got \"" + value
                + "\"");
    }

    public static ServerConfig fromFlags(Flags flags) {
        String zk = flags.get("zk", DEFAULT_ZK);
        String redis = flags.get("redis", DEFAULT_REDIS);
        if (!redis.equals("none")) {
            RedisClients.seeds(redis); // a malformed seed list fails here, in one sentence
        }
        return new ServerConfig(
                flags.get("host", "127.0.0.1"),
                flags.getInt("port", DEFAULT_PORT),
                flags.getInt("max-frame", DEFAULT_MAX_FRAME),
                flags.getInt("max-group", DEFAULT_MAX_GROUP),
                flags.getLong("reader-idle-ms", DEFAULT_READER_IDLE_MILLIS),
                flags.getLong("login-timeout-ms", DEFAULT_LOGIN_TIMEOUT_MILLIS),
                flags.getLong("max-pending-bytes", DEFAULT_MAX_PENDING_BYTES),
                flags.getLong("unwritable-timeout-ms", DEFAULT_UNWRITABLE_TIMEOUT_MILLIS),
                zk.equals("none") ? null : zk,
                flags.get("node-id", null),
                flags.get("advertise-host", null),
                flags.getInt("advertise-port", 0),
                flags.getInt("zk-session-timeout-ms", DEFAULT_ZK_SESSION_TIMEOUT_MILLIS),
                flags.getLong("load-refresh-ms", DEFAULT_LOAD_REFRESH_MILLIS),
                redis.equals("none") ? null : redis,
                flags.getLong("session-ttl-ms", DEFAULT_SESSION_TTL_MILLIS),
                flags.getLong("undeliverable-ms", DEFAULT_UNDELIVERABLE_MILLIS),
                flags.getLong("shutdown-timeout-ms", DEFAULT_SHUTDOWN_TIMEOUT_MILLIS),
                new RedisRouting.DeliverySettings(new MailboxStore.Retention(
                        flags.getLong("retention-count", RedisRouting.DeliverySettings.defaults().retention()
                                .maxEntries()),
                        flags.getLong("retention-ms", RedisRouting.DeliverySettings.defaults().retention()
                                .maxAgeMillis())),
                        RedisRouting.DeliverySettings.defaults().window(),
                        flags.getLong("resend-ms", RedisRouting.DeliverySettings.defaults().resendMillis()),
                        RedisRouting.DeliverySettings.defaults().compareMillis())
                        .withWait(waitReplicas(flags.get("redis-wait-replicas", "auto")),
                                flags.getLong("redis-wait-ms", RedisRouting.DeliverySettings.defaults().waitMillis())),
                EdgeSettings.fromFlags(flags));
    }

    static Set<String> flagNames() {
        Set<String> names = new java.util.HashSet<>(EdgeSettings.FLAGS);
        names.addAll(EdgeSettings.SWITCHES);
        names.addAll(Set.of("host", "port", "max-frame", "max-group", "reader-idle-ms", "login-timeout-ms",
                "max-pending-bytes", "unwritable-timeout-ms", "zk", "node-id", "advertise-host", "advertise-port",
                "zk-session-timeout-ms", "load-refresh-ms", "redis", "redis-wait-replicas", "redis-wait-ms", "session-ttl-ms", "undeliverable-ms",
                "shutdown-timeout-ms", "retention-count", "retention-ms", "resend-ms"));
        return Set.copyOf(names);
    }

    /** The flags that take no value. */
    static Set<String> switchNames() {
        return EdgeSettings.SWITCHES;
    }

    /** The same settings with another web edge (tests: TLS, the token issuer, a fixed key). */
    public ServerConfig withEdge(EdgeSettings settings) {
        return new ServerConfig(host, port, maxFrameLength, maxGroupSize, readerIdleMillis, loginTimeoutMillis,
                maxPendingBytes, unwritableTimeoutMillis, zkConnect, nodeId, advertiseHost, advertisePort,
                zkSessionTimeoutMillis, loadRefreshMillis, redisUri, sessionTtlMillis, undeliverableMillis,
                shutdownTimeoutMillis, delivery, settings);
    }
}
