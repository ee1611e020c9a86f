package com.example.im.embedded;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.awaitility.Awaitility;
import org.awaitility.core.ConditionTimeoutException;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.util.JedisClusterCRC16;

/**
 * A real Redis Cluster on 127.0.0.1: {@code masters} x ({@code 1 + replicasPerMaster}) {@code redis-server} processes
 * ({@link EmbeddedRedis#serverBinary()}: PATH first, else the embedded-redis binary), each with cluster mode on, its
 * own temporary directory and node file, then joined into one cluster with the 16384 slots split evenly across the
 * masters. For tests and demos of stage 9 (docs/09-scale-out.md, "Tests").
 *
 * <p>The cluster is formed through Jedis with the commands {@code redis-cli --cluster create} itself sends
 * ({@code CLUSTER SET-CONFIG-EPOCH}, {@code MEET}, {@code ADDSLOTS}, {@code REPLICATE}), always, not only when
 * redis-cli is missing: one code path, which works on a machine with only a JDK and is the path CI runs. Every reply
 * is checked; {@link #start} returns only when every node says {@code cluster_state:ok}, every replica's link to its
 * master is up and all nodes report the same slot map.
 *
 * <p>Failures for tests: {@link #killMaster} (SIGKILL, a crash), {@link #awaitFailover} (a replica took over),
 * {@link #restart} (the crashed node comes back, and rejoins as a replica).
 */
public final class EmbeddedRedisCluster implements AutoCloseable {

    public static final int SLOTS = 16384;
    /** Bound on forming the cluster, on a failover and on a restarted node rejoining. */
    private static final Duration SETTLE_TIMEOUT = Duration.ofSeconds(20);
    private static final int DEFAULT_NODE_TIMEOUT_MILLIS = 2000;

    private final int masters;
    private final int replicasPerMaster;
    private final int nodeTimeoutMillis;
    private final Path binary;
    private final String binaryWhat;
    private final Path dir;
    /** Every node, in start order (the first {@code masters} were made masters), by port; null while killed. */
    private final Map<Integer, EmbeddedRedis> nodes = new LinkedHashMap<>();
    private final Thread dirGuard;
    private String version = "unknown";
    private volatile long lastKillNanos;

    private EmbeddedRedisCluster(int masters, int replicasPerMaster, int nodeTimeoutMillis) throws IOException {
        this.masters = masters;
        this.replicasPerMaster = replicasPerMaster;
        this.nodeTimeoutMillis = nodeTimeoutMillis;
        this.binary = EmbeddedRedis.serverBinary();
        this.binaryWhat = EmbeddedRedis.serverDescription();
        this.dir = Files.createTempDirectory("redis-cluster-");
        // The processes have their own guards (EmbeddedRedis); this one removes the node files at JVM exit.
        this.dirGuard = new Thread(() -> deleteTree(dir), "redis-cluster-dir-exit");
        Runtime.getRuntime().addShutdownHook(dirGuard);
    }

    /** 3 masters x 1 replica, node timeout 2 s. */
    public static EmbeddedRedisCluster start() {
        return start(3, 1);
    }

    public static EmbeddedRedisCluster start(int masters, int replicasPerMaster) {
        return start(masters, replicasPerMaster, DEFAULT_NODE_TIMEOUT_MILLIS);
    }

    /**
     * @param nodeTimeoutMillis {@code cluster-node-timeout}: how long a master may be unreachable before its replicas
     *                          start a failover; most of a failover's window
     */
    public static EmbeddedRedisCluster start(int masters, int replicasPerMaster, int nodeTimeoutMillis) {
        if (masters < 1 || replicasPerMaster < 0 || nodeTimeoutMillis < 1) {
            throw new IllegalArgumentException("masters >= 1, replicas >= 0, node timeout >= 1 ms");
        }
        EmbeddedRedisCluster cluster;
        try {
            cluster = new EmbeddedRedisCluster(masters, replicasPerMaster, nodeTimeoutMillis);
        } catch (IOException e) {
            throw new UncheckedIOException("no temporary directory for the Redis Cluster", e);
        }
        try {
            cluster.startNodes();
            cluster.form();
            return cluster;
        } catch (RuntimeException | Error e) {
            cluster.close();
            throw e;
        }
    }

    private void startNodes() {
        int total = masters * (1 + replicasPerMaster);
        for (int i = 0; i < total; i++) {
            EmbeddedRedis node = null;
            IllegalStateException failure = null;
            // A free port can be taken between the probe and Redis's bind (port or bus port): try a few.
            for (int attempt = 0; attempt < 3 && node == null; attempt++) {
                try {
                    node = startNode(freeClusterPort());
                } catch (IllegalStateException e) {
                    failure = e;
                }
            }
            if (node == null) {
                throw failure;
            }
            synchronized (nodes) {
                nodes.put(node.port(), node);
            }
        }
        version = node(livePorts().get(0)).version();
    }

    private EmbeddedRedis startNode(int port) {
        Path nodeDir = dir.resolve("node-" + port);
        try {
            Files.createDirectories(nodeDir);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return EmbeddedRedis.startProcess(binary, port, binaryWhat,
                "--dir", nodeDir.toString(),
                "--cluster-enabled", "yes",
                "--cluster-config-file", nodeDir.resolve("nodes-" + port + ".conf").toString(),
                "--cluster-node-timeout", Integer.toString(nodeTimeoutMillis),
                "--appendonly", "no", "--save", "");
    }

    /**
     * A free port whose cluster bus port (port + 10000) is free too and exists: the kernel's ephemeral ports reach
     * 60999, whose bus port would not.
     */
    private static int freeClusterPort() {
        for (int attempt = 0; attempt < 100; attempt++) {
            int port = EmbeddedRedis.freePort();
            if (port + 10000 <= 65535 && free(port + 10000)) {
                return port;
            }
        }
        // Below the usual ephemeral range: probe upwards from a random start.
        int start = 20000 + new java.util.Random().nextInt(10000);
        for (int port = start; port < start + 1000; port++) {
            if (free(port) && free(port + 10000)) {
                return port;
            }
        }
        throw new IllegalStateException("no free port pair (port, port + 10000) on 127.0.0.1");
    }

    private static boolean free(int port) {
        try (ServerSocket socket = new ServerSocket(port, 1, InetAddress.getLoopbackAddress())) {
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    // ---- forming the cluster: what redis-cli --cluster create sends ----

    private void form() {
        List<Integer> ports = new ArrayList<>(ports());
        List<Integer> masterPorts = ports.subList(0, masters);
        Map<Integer, String> ids = new TreeMap<>();
        for (int port : ports) {
            ids.put(port, call(port, j -> j.clusterMyId()));
        }
        // Distinct config epochs, so that no epoch collision has to be resolved before the slot map settles.
        for (int i = 0; i < masterPorts.size(); i++) {
            long epoch = i + 1;
            expectOk(masterPorts.get(i), "CLUSTER SET-CONFIG-EPOCH " + epoch, j -> j.clusterSetConfigEpoch(epoch));
        }
        for (int i = 0; i < masterPorts.size(); i++) {
            int from = i * SLOTS / masters;
            int to = (i + 1) * SLOTS / masters; // exclusive
            int[] slots = new int[to - from];
            for (int s = 0; s < slots.length; s++) {
                slots[s] = from + s;
            }
            expectOk(masterPorts.get(i), "CLUSTER ADDSLOTS " + from + ".." + (to - 1), j -> j.clusterAddSlots(slots));
        }
        int first = ports.get(0);
        for (int port : ports.subList(1, ports.size())) {
            expectOk(first, "CLUSTER MEET 127.0.0.1 " + port, j -> j.clusterMeet("127.0.0.1", port));
        }
        // A replica can only follow a master it knows: wait until the handshakes are done everywhere.
        await("every node of the Redis Cluster knows the others", () -> ports.stream().allMatch(port -> {
            List<NodeLine> view = nodesView(port);
            return view.size() == ports.size() && view.stream().noneMatch(n -> n.flags.contains("handshake"));
        }));
        List<Integer> replicaPorts = ports.subList(masters, ports.size());
        for (int r = 0; r < replicaPorts.size(); r++) {
            int replica = replicaPorts.get(r);
            String masterId = ids.get(masterPorts.get(r % masters));
            expectOk(replica, "CLUSTER REPLICATE " + masterId, j -> j.clusterReplicate(masterId));
        }
        await("the Redis Cluster " + uri() + " to be ok on every node, replicas in sync, one slot map", this::settled);
    }

    /** Every node ok, every replica's link up, the same complete slot map everywhere, the expected shape. */
    private boolean settled() {
        Map<Integer, Integer> reference = null;
        for (int port : livePorts()) {
            if (!clusterOk(port)) {
                return false;
            }
            String replication = call(port, j -> j.info("replication"));
            if (replication.contains("role:slave") && !replication.contains("master_link_status:up")) {
                return false;
            }
            Map<Integer, Integer> map = slotMap(port);
            if (reference == null) {
                reference = map;
            } else if (!reference.equals(map)) {
                return false;
            }
        }
        if (reference == null || !covered(reference, livePorts())) {
            return false;
        }
        // the expected shape: masters masters, each with its replicas in this node's view
        List<NodeLine> view = nodesView(livePorts().get(0));
        long masterCount = view.stream().filter(n -> n.flags.contains("master") && !n.slots.isEmpty()).count();
        long replicaCount = view.stream().filter(n -> n.flags.contains("slave")).count();
        return masterCount == masters && replicaCount == (long) masters * replicasPerMaster;
    }

    // ---- the API ----

    /** Every node's URI, comma-separated, the form {@code --redis} takes: "redis://127.0.0.1:p1,redis://...". */
    public String uri() {
        return ports().stream().map(p -> "redis://127.0.0.1:" + p).collect(Collectors.joining(","));
    }

    /** Every node's port, killed ones included (they keep their port for {@link #restart}). */
    public List<Integer> ports() {
        synchronized (nodes) {
            return List.copyOf(nodes.keySet());
        }
    }

    /** The ports of the masters that serve slots now, as a live node reports them, sorted. */
    public List<Integer> masterPorts() {
        return new ArrayList<>(new TreeSet<>(slotMap(livePorts().get(0)).values()));
    }

    /** The port of the master that serves {@code key}'s slot now (hash tags count: "{alice}" and "a{alice}" agree). */
    public int masterOf(String key) {
        return masterOfSlot(JedisClusterCRC16.getSlot(key));
    }

    public int masterOfSlot(int slot) {
        Integer port = slotMap(livePorts().get(0)).get(slot);
        if (port == null) {
            throw new IllegalStateException("slot " + slot + " is served by no master now");
        }
        return port;
    }

    /** The ports of the replicas that follow the master on {@code masterPort} now (and are not failed), sorted. */
    public List<Integer> replicasOf(int masterPort) {
        List<NodeLine> view = nodesView(livePorts().get(0));
        String masterId = view.stream().filter(n -> n.port == masterPort).map(NodeLine::id).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("no node on port " + masterPort));
        return view.stream().filter(n -> n.flags.contains("slave") && !n.flags.contains("fail")
                && masterId.equals(n.masterId)).map(NodeLine::port).sorted().toList();
    }

    /**
     * Kills the master on {@code port} with SIGKILL, a crash: its replica takes over after the node timeout
     * ({@link #awaitFailover}). {@code killMaster(masterOf(key))} kills the one holding {@code key}.
     *
     * @return the killed process's id
     */
    public long killMaster(int port) {
        if (!masterPorts().contains(port)) {
            throw new IllegalStateException("port " + port + " is not a master now; masters: " + masterPorts());
        }
        return kill(port);
    }

    /**
     * Kills the node on {@code port}, master or replica, with SIGKILL. A replica gone leaves the cluster ok, but its
     * master has one copy fewer: a {@code WAIT 1} there times out until it is {@link #restart}ed.
     *
     * @return the killed process's id
     */
    public long kill(int port) {
        EmbeddedRedis node = node(port);
        if (node == null) {
            throw new IllegalStateException("no running node on port " + port + " (nodes: " + ports() + ")");
        }
        long pid = node.pid();
        node.kill();
        lastKillNanos = System.nanoTime();
        synchronized (nodes) {
            nodes.put(port, null);
        }
        return pid;
    }

    /**
     * Waits (bounded) until every surviving node says {@code cluster_state:ok} and serves every slot from a live
     * master, all of them agreeing.
     *
     * @return the time from the last {@link #kill} to that moment (from now when nothing was killed)
     */
    public Duration awaitFailover() {
        long from = lastKillNanos != 0 ? lastKillNanos : System.nanoTime();
        await("a failover: every slot of the Redis Cluster served by a live master, cluster_state:ok everywhere",
                () -> {
                    List<Integer> live = livePorts();
                    Map<Integer, Integer> reference = null;
                    for (int port : live) {
                        if (!clusterOk(port)) {
                            return false;
                        }
                        Map<Integer, Integer> map = slotMap(port);
                        if (reference != null && !reference.equals(map)) {
                            return false;
                        }
                        reference = map;
                    }
                    return reference != null && covered(reference, live);
                });
        return Duration.ofNanos(System.nanoTime() - from);
    }

    /**
     * Starts the killed node on {@code port} again, with its node file: it rejoins and, its slots now served by the
     * replica that took over, becomes that master's replica (a killed replica follows its master again). Returns
     * when it is connected to its master and the cluster is ok everywhere.
     */
    public void restart(int port) {
        if (!ports().contains(port)) {
            throw new IllegalArgumentException("port " + port + " is not a node of this cluster: " + ports());
        }
        if (node(port) != null) {
            throw new IllegalStateException("the node on port " + port + " is running");
        }
        EmbeddedRedis restarted = startNode(port);
        synchronized (nodes) {
            nodes.put(port, restarted);
        }
        await("the restarted node on port " + port + " to rejoin the Redis Cluster as a replica in sync", () -> {
            String replication = call(port, j -> j.info("replication"));
            return replication.contains("role:slave") && replication.contains("master_link_status:up")
                    && livePorts().stream().allMatch(this::clusterOk);
        });
    }

    /** e.g. "Redis Cluster 3 masters x 1 replica: redis-server 7.0.15 (PATH), formed through Jedis". */
    public String description() {
        return "Redis Cluster " + masters + (masters == 1 ? " master" : " masters") + " x " + replicasPerMaster
                + (replicasPerMaster == 1 ? " replica" : " replicas") + ": redis-server " + version
                + (binaryWhat.endsWith("(PATH)") ? " (PATH)" : " (embedded-redis binary)")
                + ", formed through Jedis (CLUSTER MEET/ADDSLOTS/REPLICATE), node timeout " + nodeTimeoutMillis
                + " ms, ports " + ports();
    }

    public int nodeTimeoutMillis() {
        return nodeTimeoutMillis;
    }

    /**
     * Moves {@code slot} to the master on {@code targetPort} the way {@code redis-cli --cluster reshard} does, while
     * clients keep using it: the target IMPORTING, the source MIGRATING, then the slot's keys one MIGRATE at a time with
     * {@code pauseBetweenKeys} in between (meanwhile a client asking the source for a key that has moved gets ASK, and
     * a command over several keys of the slot split between the two gets TRYAGAIN), then CLUSTER SETSLOT NODE on
     * every master (from then on: MOVED). Returns when every node agrees the slot is the target's; bounded.
     *
     * @return how many keys were moved
     */
    public int moveSlot(int slot, int targetPort, Duration pauseBetweenKeys) {
        int sourcePort = masterOfSlot(slot);
        if (sourcePort == targetPort) {
            throw new IllegalArgumentException("slot " + slot + " is already on 127.0.0.1:" + targetPort);
        }
        if (!masterPorts().contains(targetPort)) {
            throw new IllegalArgumentException("127.0.0.1:" + targetPort + " is not a master: " + masterPorts());
        }
        String sourceId = call(sourcePort, Jedis::clusterMyId);
        String targetId = call(targetPort, Jedis::clusterMyId);
        expectOk(targetPort, "CLUSTER SETSLOT " + slot + " IMPORTING", j -> j.clusterSetSlotImporting(slot, sourceId));
        expectOk(sourcePort, "CLUSTER SETSLOT " + slot + " MIGRATING", j -> j.clusterSetSlotMigrating(slot, targetId));
        int moved = 0;
        long deadline = System.nanoTime() + SETTLE_TIMEOUT.toNanos();
        while (true) {
            List<String> keys = call(sourcePort, j -> j.clusterGetKeysInSlot(slot, 1));
            if (keys.isEmpty()) {
                break;
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("slot " + slot + " not emptied within " + SETTLE_TIMEOUT.toSeconds()
                        + " s (keys keep arriving faster than they move?)");
            }
            String reply = call(sourcePort, j -> j.migrate("127.0.0.1", targetPort, 0, 5_000,
                    new redis.clients.jedis.params.MigrateParams(), keys.toArray(String[]::new)));
            if (!"OK".equals(reply) && !"NOKEY".equals(reply)) {
                throw new IllegalStateException("MIGRATE of " + keys + " answered " + reply);
            }
            moved++;
            java.util.concurrent.locks.LockSupport.parkNanos(pauseBetweenKeys.toNanos()); // the window a test wants
        }
        expectOk(targetPort, "CLUSTER SETSLOT " + slot + " NODE", j -> j.clusterSetSlotNode(slot, targetId));
        expectOk(sourcePort, "CLUSTER SETSLOT " + slot + " NODE", j -> j.clusterSetSlotNode(slot, targetId));
        for (int master : masterPorts()) {
            if (master != sourcePort && master != targetPort) {
                expectOk(master, "CLUSTER SETSLOT " + slot + " NODE", j -> j.clusterSetSlotNode(slot, targetId));
            }
        }
        await("every node to agree that slot " + slot + " is on 127.0.0.1:" + targetPort, () -> livePorts().stream()
                .allMatch(port -> Integer.valueOf(targetPort).equals(slotMap(port).get(slot))));
        return moved;
    }

    /**
     * For a program whose own shutdown hook stops its nodes and then this cluster (the demo): removes every server's
     * guard hook and the directory's, as {@link EmbeddedRedis#stopLast()} does for one server. The program's hook
     * must call {@link #close()}.
     */
    public void stopLast() {
        synchronized (nodes) {
            nodes.values().stream().filter(n -> n != null).forEach(EmbeddedRedis::stopLast);
        }
        try {
            Runtime.getRuntime().removeShutdownHook(dirGuard);
        } catch (IllegalStateException shuttingDown) {
            // the hook runs anyway
        }
    }

    /** Kills every node and removes the nodes' directories. */
    @Override
    public void close() {
        List<EmbeddedRedis> running;
        synchronized (nodes) {
            running = nodes.values().stream().filter(n -> n != null).toList();
            nodes.replaceAll((port, node) -> null);
        }
        running.forEach(EmbeddedRedis::close);
        try {
            Runtime.getRuntime().removeShutdownHook(dirGuard);
        } catch (IllegalStateException shuttingDown) {
            // the hook runs anyway
        }
        deleteTree(dir);
    }

    // ---- reading the cluster's state ----

    /**
     * The ports of the running nodes. {@link #nodes} is guarded by its own monitor, held only briefly: the waits'
     * conditions run on Awaitility's thread and read it while a kill or restart is in progress.
     */
    private List<Integer> livePorts() {
        synchronized (nodes) {
            return nodes.entrySet().stream().filter(e -> e.getValue() != null).map(Map.Entry::getKey).toList();
        }
    }

    private EmbeddedRedis node(int port) {
        synchronized (nodes) {
            return nodes.get(port);
        }
    }

    private boolean clusterOk(int port) {
        return call(port, Jedis::clusterInfo).contains("cluster_state:ok");
    }

    /** True when every slot is in {@code map} and served by one of {@code live}. */
    private static boolean covered(Map<Integer, Integer> map, List<Integer> live) {
        return map.size() == SLOTS && new HashSet<>(live).containsAll(map.values());
    }

    /** slot → port of its master, in {@code port}'s view, leaving out masters it considers failed. */
    private Map<Integer, Integer> slotMap(int port) {
        Map<Integer, Integer> map = new TreeMap<>();
        for (NodeLine node : nodesView(port)) {
            if (!node.flags.contains("master") || node.flags.contains("fail")) {
                continue;
            }
            for (int[] range : node.slots) {
                for (int s = range[0]; s <= range[1]; s++) {
                    map.put(s, node.port);
                }
            }
        }
        return map;
    }

    /** One line of CLUSTER NODES: {@code <id> <ip:port@cport> <flags> <master> ... <slot ranges>}. */
    private record NodeLine(String id, int port, Set<String> flags, String masterId, List<int[]> slots) {
    }

    private static final Pattern ADDRESS = Pattern.compile("^[^:]*:(\\d+)@");

    private List<NodeLine> nodesView(int port) {
        String text = call(port, Jedis::clusterNodes);
        List<NodeLine> lines = new ArrayList<>();
        for (String line : text.split("\n")) {
            String[] f = line.trim().split(" ");
            if (f.length < 8) {
                continue;
            }
            Matcher m = ADDRESS.matcher(f[1]);
            if (!m.find()) {
                // a node met but whose address is not known yet shows ":0@0"; it is in handshake
                throw new IllegalStateException("unexpected CLUSTER NODES line from port " + port + ": " + line);
            }
            List<int[]> slots = new ArrayList<>();
            for (int i = 8; i < f.length; i++) {
                if (f[i].startsWith("[")) {
                    continue; // a slot being migrated or imported
                }
                String[] range = f[i].split("-");
                slots.add(new int[] {Integer.parseInt(range[0]), Integer.parseInt(range[range.length - 1])});
            }
            lines.add(new NodeLine(f[0], Integer.parseInt(m.group(1)), Set.of(f[2].split(",")), f[3], slots));
        }
        lines.sort(Comparator.comparingInt(NodeLine::port));
        return lines;
    }

    private interface Call<T> {
        T apply(Jedis jedis);
    }

    private static <T> T call(int port, Call<T> call) {
        try (Jedis jedis = new Jedis("127.0.0.1", port,
                DefaultJedisClientConfig.builder().connectionTimeoutMillis(1000).socketTimeoutMillis(2000)
                        .autoNegotiateProtocol(false).build())) { // RESP2, and no warning per connection about it
            return call.apply(jedis);
        }
    }

    private static void expectOk(int port, String command, Call<String> call) {
        String reply;
        try {
            reply = call(port, call);
        } catch (RuntimeException e) {
            throw new IllegalStateException("Redis on 127.0.0.1:" + port + " refused " + command + ": " + e, e);
        }
        if (!"OK".equals(reply)) {
            throw new IllegalStateException("Redis on 127.0.0.1:" + port + " answered " + reply + " to " + command);
        }
    }

    private void await(String what, Supplier<Boolean> condition) {
        try {
            Awaitility.await(what)
                    .atMost(SETTLE_TIMEOUT)
                    .pollInterval(Duration.ofMillis(50))
                    .ignoreExceptionsMatching(e -> e instanceof redis.clients.jedis.exceptions.JedisConnectionException)
                    .until(condition::get);
        } catch (ConditionTimeoutException e) {
            throw new IllegalStateException("Timed out after " + SETTLE_TIMEOUT.toSeconds() + " s waiting for " + what
                    + ". State: " + state(), e);
        }
    }

    /** Each live node's cluster_state, role and view of the nodes, for a failure message. */
    private String state() {
        StringBuilder out = new StringBuilder();
        for (int port : livePorts()) {
            out.append("\n--- 127.0.0.1:").append(port).append(": ");
            try {
                String info = call(port, Jedis::clusterInfo);
                String replication = call(port, j -> j.info("replication"));
                out.append(grep(info, "cluster_state")).append(' ').append(grep(replication, "role"))
                        .append(' ').append(grep(replication, "master_link_status")).append('\n')
                        .append(call(port, Jedis::clusterNodes).strip());
            } catch (RuntimeException e) {
                out.append(e);
            }
        }
        return out.toString();
    }

    private static String grep(String info, String field) {
        return info.lines().filter(l -> l.startsWith(field + ":")).findFirst().orElse(field + ":?").strip();
    }

    private static void deleteTree(Path root) {
        if (!Files.exists(root)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(root)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException | UncheckedIOException e) {
            // best effort: a temporary directory
        }
    }
}
