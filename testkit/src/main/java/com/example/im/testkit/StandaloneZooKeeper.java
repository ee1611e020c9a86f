package com.example.im.testkit;

import com.example.im.embedded.EmbeddedZooKeeper;

/**
 * A real ZooKeeper on 127.0.0.1 for trying the cluster stages by hand, when no ZooKeeper is installed:
 *
 * <pre>./mvnw -q -pl testkit compile exec:java                         # 127.0.0.1:2181
 * ./mvnw -q -pl testkit compile exec:java -Dexec.args="--port 2182"</pre>
 *
 * Its data lives in a temporary directory and is gone when it stops (Ctrl-C).
 */
public final class StandaloneZooKeeper {

    private StandaloneZooKeeper() {
    }

    public static void main(String[] args) throws Exception {
        int port = 2181;
        if (args.length == 2 && args[0].equals("--port")) {
            port = Integer.parseInt(args[1]);
        } else if (args.length != 0) {
            System.err.println("usage: StandaloneZooKeeper [--port 2181]");
            System.exit(2);
        }
        try (EmbeddedZooKeeper server = EmbeddedZooKeeper.start(port)) {
            System.out.println("ZooKeeper " + server.version() + " on " + server.connectString()
                    + " (Ctrl-C stops it)");
            Thread.currentThread().join();
        }
    }
}
