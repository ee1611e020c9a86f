package com.example.im.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.example.im.auth.TestTokens;
import com.example.im.config.Flags;
import com.example.im.testkit.RawSocketClient;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import org.junit.jupiter.api.Test;

class ChatServerTest {

    @Test
    void bindsLoopbackOnAFreePortAndReportsIt() throws InterruptedException {
        try (ChatServer server = ChatServer.start(ServerConfig.forTests())) {
            InetSocketAddress address = server.localAddress();
            assertThat(address.getAddress().isLoopbackAddress()).isTrue();
            assertThat(address.getPort()).isPositive();
        }
    }

    @Test
    void closeReturnsOnlyWhenStoppedAndClosesClientConnections() throws InterruptedException {
        ChatServer server = ChatServer.start(ServerConfig.forTests());
        InetSocketAddress address = server.localAddress();
        RawSocketClient client = RawSocketClient.connect(address);
        WireFrames.write(client, WireFrames.login("alice"));
        assertThat(WireFrames.read(client).getLoginAck().getUid()).isEqualTo("alice");

        server.close();

        assertThat(client.awaitServerClose()).isTrue();
        assertThat(server.sessions().size()).isZero();
        assertThatThrownBy(() -> new Socket(address.getAddress(), address.getPort()).close())
                .isInstanceOf(IOException.class);
    }

    @Test
    void badFlagsAreClearErrors() {
        assertThatThrownBy(() -> ServerConfig.fromFlags(Flags.parse(keyed("--port", "seven"),
                ServerConfig.flagNames()))).hasMessage("--port must be a whole number, got 'seven'");
        assertThatThrownBy(() -> Flags.parse(new String[] {"--prot", "7001"}, ServerConfig.flagNames()))
                .hasMessageStartingWith("unknown flag --prot");
        assertThatThrownBy(() -> ServerConfig.fromFlags(Flags.parse(keyed("--port=70000"),
                ServerConfig.flagNames()))).hasMessage("port must be 0..65535, got 70000");
        assertThatThrownBy(() -> ServerConfig.fromFlags(Flags.parse(keyed("--max-group=0"),
                ServerConfig.flagNames()))).hasMessage("max group size must be at least 1, got 0");
        assertThat(ServerConfig.fromFlags(Flags.parse(keyed("--port=0", "--host", "127.0.0.1", "--zk", "none",
                "--redis", "none"),
                ServerConfig.flagNames()))).isEqualTo(ServerConfig.forTests());
        assertThat(ServerConfig.fromFlags(Flags.parse(keyed("--port=0"), ServerConfig.flagNames())))
                .isEqualTo(ServerConfig.forTests().withZooKeeper("127.0.0.1:2181", 5_000)
                        .withRedis("redis://127.0.0.1:6379", 30_000, 30_000));
        // Binding every interface: which address should clients dial? Never guessed.
        assertThatThrownBy(() -> ServerConfig.fromFlags(Flags.parse(keyed("--host", "0.0.0.0"),
                ServerConfig.flagNames()))).hasMessageContaining("needs --advertise-host");
        assertThat(ServerConfig.fromFlags(Flags.parse(keyed("--host", "0.0.0.0", "--advertise-host",
                "10.1.2.3"), ServerConfig.flagNames())).advertisedHost()).isEqualTo("10.1.2.3");
        // Behind a port mapping (a container's published port) clients dial another port than the one bound.
        ServerConfig mapped = ServerConfig.fromFlags(Flags.parse(keyed("--host", "0.0.0.0", "--port", "7001",
                "--advertise-host", "127.0.0.1", "--advertise-port", "49153"), ServerConfig.flagNames()));
        assertThat(mapped.advertisedPort(7001)).isEqualTo(49153);
        assertThat(ServerConfig.forTests().advertisedPort(7001)).as("default: the bound port").isEqualTo(7001);
        assertThatThrownBy(() -> ServerConfig.fromFlags(Flags.parse(keyed("--advertise-port", "70000"),
                ServerConfig.flagNames()))).hasMessage("advertised port must be 0..65535, got 70000");
    }

    /** Stage 8: every node needs the token key; these flags test the others. */
    private static String[] keyed(String... flags) {
        String[] all = java.util.Arrays.copyOf(flags, flags.length + 4);
        all[flags.length] = "--auth-key";
        all[flags.length + 1] = TestTokens.KEY_BASE64;
        all[flags.length + 2] = "--http-port";
        all[flags.length + 3] = "0";
        return all;
    }

    @Test
    void theConsoleCommandItPrintsReachesANodeWithoutZooKeeperAtItsPort() {
        // It printed "--port N" alone, and a console given only that looks for the nodes in ZooKeeper.
        assertThat(ChatServer.consoleArgs(ServerConfig.forTests(), 7001)).isEqualTo("--zk none --port 7001");
        assertThat(ChatServer.consoleArgs(ServerConfig.forTests().withZooKeeper("127.0.0.1:2181", 5_000), 7001))
                .isEqualTo("--zk 127.0.0.1:2181");
    }
}
