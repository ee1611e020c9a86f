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
                ServerConfig.flagNames()))).hasMessageContaining("needs --advertise HOST[:PORT]");
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

    /** Stage 9: --advertise HOST[:PORT] and --advertise-http (docs/09-scale-out.md, "Advertised addresses"). */
    @Test
    void redisClusterFlags() {
        ServerConfig seeds = parse("--redis", "redis://10.0.0.1:6379, redis://10.0.0.2:6379",
                "--redis-wait-replicas", "2", "--redis-wait-ms", "500");
        assertThat(seeds.redisUri()).isEqualTo("redis://10.0.0.1:6379, redis://10.0.0.2:6379");
        assertThat(seeds.delivery().replicasToWait(true)).isEqualTo(2);
        assertThat(seeds.delivery().waitMillis()).isEqualTo(500);
        // auto: 1 on a cluster, 0 on one server
        assertThat(parse().delivery().replicasToWait(true)).isEqualTo(1);
        assertThat(parse().delivery().replicasToWait(false)).isZero();
        assertThatThrownBy(() -> parse("--redis", "redis://a:1,,redis://b:2"))
                .hasMessageContaining("--redis: expected redis://host:port");
        assertThatThrownBy(() -> parse("--redis", "10.0.0.1:6379")).hasMessageContaining("--redis");
        assertThatThrownBy(() -> parse("--redis-wait-replicas", "one")).hasMessageContaining("auto or a number");
        assertThatThrownBy(() -> parse("--redis-wait-replicas", "-1")).hasMessageContaining("auto or a number");
        // A WAIT longer than the 2 s reply timeout would end as a broken connection, not as a refusal.
        assertThatThrownBy(() -> parse("--redis-wait-ms", "5000")).hasMessageContaining("--redis-wait-ms 1..1500");
        assertThatThrownBy(() -> parse("--redis-wait-ms", "0")).hasMessageContaining("--redis-wait-ms 1..1500");
    }

    @Test
    void advertisedAddressFlags() {
        ServerConfig both = parse("--host", "0.0.0.0", "--port", "7001", "--http-port", "8001",
                "--advertise", "node1.example.com:17001", "--advertise-http", "web.example.com:18001");
        assertThat(both.advertisedHost()).isEqualTo("node1.example.com");
        assertThat(both.advertisedPort(7001)).isEqualTo(17001);
        assertThat(both.advertisedHttpHost()).isEqualTo("web.example.com");
        assertThat(both.advertisedHttpPort(8001)).isEqualTo(18001);
        // The omitted parts: the bound ports, and the HTTP host is the TCP advertised host.
        ServerConfig hostOnly = parse("--host", "0.0.0.0", "--advertise", "10.1.2.3");
        assertThat(hostOnly.advertisedPort(7001)).isEqualTo(7001);
        assertThat(hostOnly.advertisedHttpHost()).isEqualTo("10.1.2.3");
        assertThat(hostOnly.advertisedHttpPort(8001)).isEqualTo(8001);
        ServerConfig httpPortOnly = parse("--advertise", "10.1.2.3:17001", "--advertise-http", ":18001");
        assertThat(httpPortOnly.advertisedHttpHost()).isEqualTo("10.1.2.3");
        assertThat(httpPortOnly.advertisedHttpPort(8001)).isEqualTo(18001);
        assertThat(parse("--advertise-http", "web.example.com").advertisedHttpPort(8001)).isEqualTo(8001);
        // Nothing advertised: the bind host and the bound ports, as in stage 8.
        assertThat(ServerConfig.forTests().advertisedHttpHost()).isEqualTo("127.0.0.1");
        assertThat(ServerConfig.forTests().advertisedHttpPort(8001)).isEqualTo(8001);
        // IPv6 in brackets; kept without them (URLs put them back).
        ServerConfig v6 = parse("--host", "::", "--advertise", "[2001:db8::1]:7001", "--advertise-http", "[::1]");
        assertThat(v6.advertisedHost()).isEqualTo("2001:db8::1");
        assertThat(v6.advertisedPort(1)).isEqualTo(7001);
        assertThat(v6.advertisedHttpHost()).isEqualTo("::1");
        assertThat(parse("--advertise", "[::1]").advertisedHost()).isEqualTo("::1");
        // The stage-8 spelling still works, alone.
        ServerConfig old = parse("--advertise-host", "10.1.2.3", "--advertise-port", "49153");
        assertThat(old.advertisedHost()).isEqualTo("10.1.2.3");
        assertThat(old.advertisedPort(7001)).isEqualTo(49153);

        assertBad("--advertise and --advertise-host: one address said twice may say two",
                "--advertise HOST:PORT replaces --advertise-host and --advertise-port (the stage-8 spelling): "
                        + "give one or the other, not both", "--advertise", "a:1", "--advertise-host", "b");
        assertBad("the same with --advertise-port", "--advertise HOST:PORT replaces", "--advertise", "a:1",
                "--advertise-port", "2");
        assertBad("empty", "--advertise needs HOST:PORT or HOST, got an empty value", "--advertise", "");
        assertBad("no host", "--advertise needs a host (HOST:PORT or HOST), got ':7001'", "--advertise", ":7001");
        assertBad("not a number", "--advertise needs HOST:PORT or HOST, got 'a:b': 'b' is not a port number",
                "--advertise", "a:b");
        assertBad("port range", "--advertise port must be 1..65535, got 70000 in 'a:70000'", "--advertise",
                "a:70000");
        assertBad("port 0", "--advertise port must be 1..65535, got 0 in 'a:0'", "--advertise", "a:0");
        assertBad("IPv6 without brackets", "write an IPv6 address in brackets, as [::1]:7001", "--advertise",
                "::1:7001");
        assertBad("unclosed bracket", "needs its ']'", "--advertise", "[::1:7001");
        assertBad("a URL", "--advertise needs HOST:PORT or HOST (no scheme, no path), got 'http://a:1'",
                "--advertise", "http://a:1");
        assertBad("a wildcard is not an address to dial", "--advertise names the address clients dial; 0.0.0.0",
                "--advertise", "0.0.0.0:7001");
        assertBad("the stage-8 spelling, empty", "--advertise-host needs a host", "--advertise-host", "");
        assertBad("the stage-8 spelling, a wildcard", "the advertised host is the address clients dial, got '::'",
                "--advertise-host", "::");
        assertBad("--advertise-http empty", "--advertise-http needs HOST:PORT, HOST or :PORT, got an empty value",
                "--advertise-http", "");
        assertBad("--advertise-http port range", "--advertise-http port must be 1..65535, got 65536",
                "--advertise-http", "a:65536");
        assertBad("--advertise-http a wildcard", "--advertise-http names the address clients dial; ::",
                "--advertise-http", "[::]:8001");
        assertBad("--advertise-http without a number", "--advertise-http needs HOST:PORT, HOST or :PORT, got ':'",
                "--advertise-http", ":");
        // Binding every interface with ZooKeeper needs an advertised host; --advertise-http does not give the TCP one.
        assertBad("wildcard bind, only the HTTP address advertised", "needs --advertise HOST[:PORT]",
                "--host", "0.0.0.0", "--advertise-http", "web.example.com:80");
        assertThat(parse("--host", "0.0.0.0", "--zk", "none").advertisedHost())
                .as("without ZooKeeper nothing is published").isEqualTo("0.0.0.0");
    }

    private static ServerConfig parse(String... flags) {
        return ServerConfig.fromFlags(Flags.parse(keyed(flags), ServerConfig.flagNames()));
    }

    private static void assertBad(String why, String message, String... flags) {
        assertThatThrownBy(() -> parse(flags)).as(why).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(message);
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
        // Stage 9: the advertised address, not the bound one.
        assertThat(ChatServer.consoleArgs(ServerConfig.forTests().withAdvertised("10.1.2.3", 17001), 7001))
                .isEqualTo("--zk none --host 10.1.2.3 --port 17001");
        assertThat(ChatServer.consoleArgs(ServerConfig.forTests().withAdvertised(null, 17001), 7001))
                .isEqualTo("--zk none --port 17001");
        assertThat(ChatServer.consoleArgs(ServerConfig.forTests().withZooKeeper("127.0.0.1:2181", 5_000), 7001))
                .isEqualTo("--zk 127.0.0.1:2181");
    }
}
