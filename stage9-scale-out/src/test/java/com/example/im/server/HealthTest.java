package com.example.im.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.example.im.testkit.RedisExtension;
import com.example.im.testkit.ZooKeeperExtension;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Stage 9's readiness endpoint (docs/09-scale-out.md, "Deployment"): {@code GET /health} says 200 only while the node
 * should get new clients — registered in ZooKeeper and Redis answering — and 503, naming the part that is missing,
 * otherwise. The Kubernetes readiness probe in stage9-scale-out/deploy/k8s reads it.
 */
class HealthTest {

    @RegisterExtension
    final ZooKeeperExtension zk = new ZooKeeperExtension();
    @RegisterExtension
    final RedisExtension redis = new RedisExtension();

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private HttpResponse<String> health(ChatServer node) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + node.httpAddress().getPort()
                + "/health")).timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private ChatServer start() throws InterruptedException {
        return ChatServer.start(ServerConfig.forTests().withZooKeeper(zk.connectString(), 500)
                .withRedis(redis.uri(), 6_000, 10_000));
    }

    @Test
    void okWhileRegisteredAndRedisAnswersThen503NamingRedisWhenItIsGone() throws Exception {
        try (ChatServer node = start()) {
            await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
                HttpResponse<String> ok = health(node);
                assertThat(ok.statusCode()).isEqualTo(200);
                assertThat(ok.body()).isEqualTo("{\"status\":\"ok\",\"zk\":\"registered\",\"redis\":\"ok\"}");
            });

            redis.stopServer();
            HttpResponse<String> down = health(node);
            assertThat(down.statusCode()).isEqualTo(503);
            assertThat(down.body()).contains("\"status\":\"unavailable\"", "\"redis\":\"unreachable\"",
                    "\"zk\":\"registered\"");

            redis.restartServer();
            await().atMost(Duration.ofSeconds(10)).until(() -> health(node).statusCode() == 200);
        }
    }

    @Test
    void a503NamingZooKeeperWhenTheNodeCannotSeeIt() throws Exception {
        try (ChatServer node = start()) {
            await().atMost(Duration.ofSeconds(10)).until(() -> health(node).statusCode() == 200);
            zk.stopServer(0);
            await().atMost(Duration.ofSeconds(15)).untilAsserted(() -> {
                HttpResponse<String> down = health(node);
                assertThat(down.statusCode()).isEqualTo(503);
                assertThat(down.body()).contains("\"zk\":\"not registered\"", "\"redis\":\"ok\"");
            });
            zk.restartServer(0);
            await().atMost(Duration.ofSeconds(20)).until(() -> health(node).statusCode() == 200);
        }
    }

    @Test
    void aNodeWithoutZooKeeperAndRedisIsHealthyAndSaysWhatItRunsWithout() throws Exception {
        try (ChatServer node = ChatServer.start(ServerConfig.forTests())) {
            HttpResponse<String> ok = health(node);
            assertThat(ok.statusCode()).isEqualTo(200);
            assertThat(ok.body()).isEqualTo("{\"status\":\"ok\",\"zk\":\"none\",\"redis\":\"none\"}");
        }
    }
}
