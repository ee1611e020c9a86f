package com.example.im.server;

import com.example.im.config.Flags;
import java.util.Set;

/**
 * Server settings: flags, else {@code -Dim.<name>} system properties, else these defaults.
 *
 * @param host          address to bind; 127.0.0.1 by default so a learner's server is not open to the network
 * @param port          TCP port; 0 picks a free one (tests do this)
 * @param maxLineLength longest accepted line in bytes, newline excluded; a longer one is an error and closes the
 *                      connection, because a server that buffers unbounded lines can be made to run out of memory
 */
public record ServerConfig(String host, int port, int maxLineLength) {

    public static final int DEFAULT_PORT = 7001;
    public static final int DEFAULT_MAX_LINE = 4096;

    static final String USAGE = """
            usage: ChatServer [--host 127.0.0.1] [--port 7001] [--max-line 4096]
              (each flag also reads a system property: -Dim.host, -Dim.port, -Dim.max-line)""";

    public ServerConfig {
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("port must be 0..65535, got " + port);
        }
        if (maxLineLength < 16) {
            throw new IllegalArgumentException("max line length must be at least 16 bytes, got " + maxLineLength);
        }
    }

    /** Loopback, a free port, default limits: what tests use. */
    public static ServerConfig forTests() {
        return new ServerConfig("127.0.0.1", 0, DEFAULT_MAX_LINE);
    }

    public static ServerConfig fromFlags(Flags flags) {
        return new ServerConfig(
                flags.get("host", "127.0.0.1"),
                flags.getInt("port", DEFAULT_PORT),
                flags.getInt("max-line", DEFAULT_MAX_LINE));
    }

    static Set<String> flagNames() {
        return Set.of("host", "port", "max-line");
    }
}
