package com.example.im.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.example.im.registry.Cluster;
import com.example.im.registry.NodeInfo;
import com.example.im.registry.Registry;
import com.example.im.server.ChatServer;
import com.example.im.server.ServerConfig;
import com.example.im.testkit.ZooKeeperExtension;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.curator.framework.CuratorFramework;
import org.apache.zookeeper.CreateMode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Review of the cluster view's scrapes (docs/08-web-edge.md, "The cluster page"): a node that hangs half-way through
 * its answer must cost the scraping node nothing that accumulates.
 */
class ClusterViewReviewTest {

    @RegisterExtension
    static final ZooKeeperExtension zk = new ZooKeeperExtension();

    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    /**
     * A "node" whose HTTP port answers the scrape's headers and then hangs (a process stopped mid-answer). Each
     * scrape gives up after its timeout, and must let go of its connection: the page polls every 2 s, for hours.
     */
    @Test
    void aScrapeThatTimesOutMidAnswerClosesItsConnection() throws Exception {
        List<Socket> accepted = new CopyOnWriteArrayList<>();
        try (Cluster cluster = new Cluster(zk.connectString(), ServerConfig.forTests()
                .withZooKeeper(zk.connectString(), 100).withZkSessionTimeout(2_000));
             ServerSocket ghostPort = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
             CuratorFramework curator = Registry.curator(zk.connectString(), 10_000)) {
            Thread ghost = new Thread(() -> {
                while (!ghostPort.isClosed()) {
                    try {
                        Socket s = ghostPort.accept();
                        accepted.add(s);
                        s.getOutputStream().write(("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
                                + "Content-Length: 1000000\r\n\r\nim_connections 1.0\n")
                                .getBytes(StandardCharsets.US_ASCII));
                        s.getOutputStream().flush();
                    } catch (Exception e) {
                        return;
                    }
                }
            }, "ghost");
            ghost.setDaemon(true);
            ghost.start();
            ChatServer a = cluster.startNode();
            NodeInfo info = new NodeInfo("ghost", "127.0.0.1", 1, 0, ghostPort.getLocalPort(), false);
            curator.create().withMode(CreateMode.EPHEMERAL).forPath(Registry.SERVERS_PATH + "/ghost", info.toJson());
            // Someone watches the cluster page: a scrape every round, each hanging after the headers.
            await().atMost(Duration.ofSeconds(30)).until(() -> {
                get(a);
                return accepted.size() >= 5;
            });
            // Every scrape but the latest ones has timed out by now (1.5 s each); their connections must be closed.
            await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
                get(a);
                long open = accepted.stream().limit(3).filter(ClusterViewReviewTest::stillOpen).count();
                assertThat(open).as("connections of scrapes that timed out long ago, still open").isZero();
            });
        } finally {
            for (Socket s : accepted) {
                s.close();
            }
        }
    }

    private static void get(ChatServer node) throws Exception {
        HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + node.httpAddress().getPort()
                + "/api/cluster")).build(), HttpResponse.BodyHandlers.ofString());
    }

    /** True while the peer has not closed the connection (end of stream or a reset). */
    private static boolean stillOpen(Socket s) {
        try {
            s.setSoTimeout(50);
            InputStream in = s.getInputStream();
            while (true) {
                int b = in.read();
                if (b < 0) {
                    return false;
                }
            }
        } catch (SocketTimeoutException e) {
            return true;
        } catch (Exception e) {
            return false;
        }
    }
}
