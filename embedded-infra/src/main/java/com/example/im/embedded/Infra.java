package com.example.im.embedded;

import java.io.IOException;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.CodeSource;
import java.util.Properties;
import java.util.jar.JarFile;

/**
 * Only the infrastructure of a cluster by hand, from the stage jar it is in: a ZooKeeper (in this JVM) and, when that
 * jar's nodes use Redis, a Redis (redis-server from PATH, else the binary bundled in embedded-redis), both on
 * 127.0.0.1; then it prints the commands for two nodes and the consoles, ready to paste, and stays up until Ctrl-C.
 *
 * <pre>java -cp stage5-redis-forwarding/target/stage5-redis-forwarding.jar com.example.im.embedded.Infra
 *      [--zk-port 2181] [--redis-port 6379] [--no-redis]</pre>
 *
 * A preferred port that is taken (a ZooKeeper of your own on 2181) gives a free one, printed in the commands; port 0
 * asks for a free one.
 */
public final class Infra implements AutoCloseable {

    static final String USAGE = "usage: java -cp <stage jar> com.example.im.embedded.Infra"
            + " [--zk-port 2181] [--redis-port 6379] [--no-redis]";
    /** The stages' Redis client: a jar without it (stage 4) has nodes that do not use Redis. */
    static final String JEDIS = "redis.clients.jedis.Jedis";
    static final String NODE_MAIN = "com.example.im.server.ChatServer";
    static final String CONSOLE_MAIN = "com.example.im.client.ChatConsole";
    /** The oldest Redis stages 5 to 7 run on (their RedisVersion check): SET ... GET and XAUTOCLAIM. */
    static final int[] MINIMUM_REDIS = {6, 2};

    /** The command line: a port of -1 is "the default", 0 "any free port". */
    record Options(int zkPort, int redisPort, boolean noRedis) {

        /** Strict: an unknown flag, a missing or malformed value, a repeated flag is an IllegalArgumentException. */
        static Options parse(String... args) {
            Integer zk = null;
            Integer redis = null;
            boolean noRedis = false;
            for (int i = 0; i < args.length; i++) {
                String arg = args[i];
                String name = arg;
                String value = null;
                int eq = arg.indexOf('=');
                if (arg.startsWith("--") && eq > 0) {
                    name = arg.substring(0, eq);
                    value = arg.substring(eq + 1);
                }
                switch (name) {
                    case "--zk-port", "--redis-port" -> {
                        if (value == null) {
                            if (i + 1 == args.length) {
                                throw new IllegalArgumentException(name + " needs a value (a port, 0 for any free one)");
                            }
                            value = args[++i];
                        }
                        int port = port(name, value);
                        if (name.equals("--zk-port")) {
                            zk = once(name, zk, port);
                        } else {
                            redis = once(name, redis, port);
                        }
                    }
                    case "--no-redis" -> {
                        if (value != null) {
                            throw new IllegalArgumentException("--no-redis takes no value, got '" + arg + "'");
                        }
                        if (noRedis) {
                            throw new IllegalArgumentException("--no-redis given twice");
                        }
                        noRedis = true;
                    }
                    default -> throw new IllegalArgumentException(arg.startsWith("-")
                            ? "unknown flag " + name + " (known: --zk-port, --redis-port, --no-redis)"
                            : "unexpected argument '" + arg + "' (flags look like --zk-port 2181)");
                }
            }
            if (noRedis && redis != null) {
                throw new IllegalArgumentException("--redis-port and --no-redis contradict each other");
            }
            return new Options(zk == null ? -1 : zk, redis == null ? -1 : redis, noRedis);
        }

        private static int port(String name, String value) {
            try {
                int port = Integer.parseInt(value.strip());
                if (port >= 0 && port <= 65535) {
                    return port;
                }
            } catch (NumberFormatException e) {
                // below
            }
            throw new IllegalArgumentException(name + " must be a port from 0 to 65535, got '" + value + "'");
        }

        private static Integer once(String name, Integer previous, int port) {
            if (previous != null) {
                throw new IllegalArgumentException(name + " given twice");
            }
            return port;
        }
    }

    /**
     * What the printed commands run: {@code path} as the user types it, whether its nodes use Redis, and whether its
     * Main-Class is the node (stages 1-5) or something else (stages 6 and 7: the demo), which decides between
     * {@code java -jar} and {@code java -cp ... ChatServer}.
     */
    record Jar(String path, boolean usesRedis, boolean mainIsNode) {

        /** The jar (or classes directory) {@code type} was loaded from, seen from the current directory. */
        static Jar of(Class<?> type) {
            boolean usesRedis;
            try {
                Class.forName(JEDIS, false, type.getClassLoader());
                usesRedis = true;
            } catch (ClassNotFoundException | LinkageError e) {
                usesRedis = false;
            }
            Path location = location(type);
            if (location == null || !Files.isRegularFile(location)) {
                return new Jar("<stage jar>", usesRedis, true);
            }
            return new Jar(relative(location, Path.of("").toAbsolutePath()), usesRedis,
                    NODE_MAIN.equals(mainClass(location)));
        }

        private static Path location(Class<?> type) {
            CodeSource source = type.getProtectionDomain().getCodeSource();
            try {
                return source == null ? null : Path.of(source.getLocation().toURI());
            } catch (URISyntaxException | IllegalArgumentException e) {
                return null;
            }
        }

        private static String mainClass(Path jar) {
            try (JarFile file = new JarFile(jar.toFile())) {
                return file.getManifest() == null ? null
                        : file.getManifest().getMainAttributes().getValue("Main-Class");
            } catch (IOException e) {
                return null;
            }
        }

        /** The command that starts a node; the caller appends its flags. */
        String node() {
            return mainIsNode ? "java -jar " + quoted(path) : "java -cp " + quoted(path) + " " + NODE_MAIN;
        }

        String console() {
            return "java -cp " + quoted(path) + " " + CONSOLE_MAIN;
        }
    }

    /** {@code file} relative to {@code directory} when it is inside it, else absolute; '/' separated either way. */
    static String relative(Path file, Path directory) {
        Path absolute = file.toAbsolutePath().normalize();
        Path shown = absolute.startsWith(directory) ? directory.relativize(absolute) : absolute;
        return shown.toString().replace('\\', '/');
    }

    private static String quoted(String path) {
        return path.contains(" ") ? "\"" + path + "\"" : path;
    }

    private final PrintStream out;
    private volatile EmbeddedZooKeeper zooKeeper;
    private volatile EmbeddedRedis redis;

    private Infra(PrintStream out) {
        this.out = out;
    }

    /**
     * Starts ZooKeeper, and Redis unless {@code --no-redis} or the jar's nodes do not use it, and prints what is where
     * and the commands to paste. A Redis older than the stages' minimum is stopped again, with an IllegalStateException
     * that says what to install. Everything started is stopped when this throws.
     */
    public static Infra start(Options options, Jar jar, PrintStream out) throws Exception {
        Infra infra = new Infra(out);
        infra.startAll(options, jar);
        return infra;
    }

    /** {@link #start} into this instance, so that a shutdown hook registered before it can stop what it started. */
    private void startAll(Options options, Jar jar) throws Exception {
        Infra infra = this;
        try {
            int zkPort = portOr(options.zkPort() < 0 ? 2181 : options.zkPort());
            infra.zooKeeper = EmbeddedZooKeeper.start(zkPort);
            String zk = infra.zooKeeper.connectString();
            out.println("ZooKeeper " + infra.zooKeeper.version() + " (embedded, in this JVM) on " + zk
                    + taken(options.zkPort(), 2181, infra.zooKeeper.port()));

            String redisFlag = "";
            if (options.noRedis()) {
                out.println("Redis: not started (--no-redis)." + (jar.usesRedis()
                        ? " The nodes use their default, redis://127.0.0.1:6379; add --redis redis://host:port for"
                                + " another one, or --redis none for no cross-node delivery."
                        : ""));
            } else if (!jar.usesRedis()) {
                out.println("Redis: not started: the nodes of " + jar.path() + " do not use Redis (no Jedis on its"
                        + " classpath; stage 4).");
            } else {
                int redisPort = portOr(options.redisPort() < 0 ? 6379 : options.redisPort());
                infra.redis = EmbeddedRedis.startOn(redisPort);
                String version = infra.redis.version();
                if (!EmbeddedRedis.atLeast(version, MINIMUM_REDIS[0], MINIMUM_REDIS[1])) {
                    throw new IllegalStateException("Redis " + version + " (" + infra.redis.binary()
                            + ") is older than " + MINIMUM_REDIS[0] + "." + MINIMUM_REDIS[1] + ", which the nodes"
                            + " need (SET ... GET, XAUTOCLAIM). " + EmbeddedRedis.INSTALL_ADVICE);
                }
                out.println("Redis " + version + " on " + infra.redis.uri()
                        + taken(options.redisPort(), 6379, infra.redis.port()) + ": " + infra.redis.binary()
                        + "; started because the nodes of " + jar.path() + " use Redis (Jedis on its classpath)");
                redisFlag = " --redis " + infra.redis.uri();
            }

            out.println();
            out.println("Nodes, one terminal each:");
            int[] nodePorts = nodePorts(infra.zooKeeper.port(), infra.redis == null ? -1 : infra.redis.port());
            for (int port : nodePorts) {
                out.println("  " + jar.node() + " --port " + port + " --zk " + zk + redisFlag);
            }
            out.println("Consoles, one terminal each (ZooKeeper lists the nodes; LOGIN <uid> connects):");
            out.println("  " + jar.console() + " --zk " + zk + " --strategy round-robin");
            out.println("A console pinned to one node:");
            out.println("  " + jar.console() + " --zk none --port " + nodePorts[0]);
            out.println();
            out.println(infra.redis == null ? "Ctrl-C stops ZooKeeper." : "Ctrl-C stops ZooKeeper and Redis.");
            out.flush();
        } catch (Exception | Error e) {
            infra.close();
            throw e;
        }
    }

    /** " (2181 was taken)" when the port asked for, or the default, was not the one we got. */
    private static String taken(int asked, int preferred, int actual) {
        int wanted = asked < 0 ? preferred : asked;
        return wanted != 0 && actual != wanted ? " (" + wanted + " was taken)" : "";
    }

    public int zooKeeperPort() {
        return zooKeeper.port();
    }

    /** -1 when no Redis was started. */
    public int redisPort() {
        return redis == null ? -1 : redis.port();
    }

    /** Stops Redis, then ZooKeeper; a second call does nothing. */
    @Override
    public synchronized void close() {
        if (redis != null) {
            redis.close();
            redis = null;
        }
        if (zooKeeper != null) {
            try {
                zooKeeper.close();
            } catch (Exception e) {
                out.println("could not stop ZooKeeper: " + e);
            }
            zooKeeper = null;
        }
    }

    /**
     * Two ports for the nodes, from 7001 up: free on 127.0.0.1 now and not one of {@code taken} (the ports this run
     * gave ZooKeeper and Redis), so the printed commands work as pasted, also next to a second cluster.
     */
    static int[] nodePorts(int... taken) {
        int[] ports = new int[2];
        int found = 0;
        for (int port = 7001; port < 7101 && found < 2; port++) {
            final int candidate = port;
            if (java.util.Arrays.stream(taken).noneMatch(t -> t == candidate) && portOr(candidate) == candidate) {
                ports[found++] = candidate;
            }
        }
        while (found < 2) {
            ports[found++] = EmbeddedRedis.freePort();
        }
        return ports;
    }

    /**
     * {@code preferred} if it is free on 127.0.0.1, else (or for 0) any free port: a second cluster on the same
     * machine, or a ZooKeeper of one's own on 2181, does not stop this one from starting.
     */
    public static int portOr(int preferred) {
        if (preferred == 0) {
            return EmbeddedRedis.freePort();
        }
        try (ServerSocket probe = new ServerSocket(preferred, 1, InetAddress.getLoopbackAddress())) {
            return preferred;
        } catch (IOException taken) {
            return EmbeddedRedis.freePort();
        }
    }

    /**
     * A terminal is for the commands, not for the servers' diaries: unless the user chose log levels
     * ({@code -Dorg.slf4j.simpleLogger.defaultLogLevel=info} shows everything), warnings only, and errors only from
     * the embedded ZooKeeper and Curator, whose first words are a harmless WARN. Call before the first logger.
     */
    public static void quietLogs(Properties system) {
        String prefix = "org.slf4j.simpleLogger.";
        if (system.stringPropertyNames().stream().anyMatch(name -> name.startsWith(prefix))) {
            return;
        }
        system.setProperty(prefix + "defaultLogLevel", "warn");
        system.setProperty(prefix + "log.org.apache.zookeeper", "error");
        system.setProperty(prefix + "log.org.apache.curator", "error");
    }

    /** What {@link #main} does short of exiting: the exit status, 0 for help, 2 for bad flags, 1 for a failure. */
    static int run(String[] args, PrintStream out, PrintStream err) {
        Options options;
        try {
            if (args.length == 1 && (args[0].equals("--help") || args[0].equals("-h"))) {
                out.println(USAGE);
                return 0;
            }
            options = Options.parse(args);
        } catch (IllegalArgumentException e) {
            err.println("error: " + e.getMessage());
            err.println(USAGE);
            return 2;
        }
        Infra infra = new Infra(out);
        // Before starting anything: a Ctrl-C during the start stops what was started so far (ZooKeeper and its
        // temporary directory; a Redis being started has its own hook in EmbeddedRedis).
        Thread hook = new Thread(infra::close, "infra-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        try {
            infra.startAll(options, Jar.of(Infra.class));
        } catch (Exception e) {
            err.println("error: " + e.getMessage());
            return 1;
        }
        return -1; // running
    }

    public static void main(String[] args) throws InterruptedException {
        quietLogs(System.getProperties());
        int status = run(args, System.out, System.err);
        if (status >= 0) {
            System.exit(status);
        }
        Thread.currentThread().join();
    }
}
