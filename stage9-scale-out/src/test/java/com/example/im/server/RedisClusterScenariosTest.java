package com.example.im.server;

import com.example.im.testkit.RedisClusterExtension;
import com.example.im.testkit.scenario.ChatDriver;
import com.example.im.testkit.scenario.GroupChatScenarios;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The shared scenarios, group chat included (testkit), on two nodes that share a real Redis Cluster of 3 masters x 1
 * replica (docs/09-scale-out.md, "Tests"): the users of a scenario are spread over both nodes and their keys over
 * the three masters, so every private message, group fan-out, offline mailbox and duplicate-login kick crosses nodes
 * and slots.
 */
class RedisClusterScenariosTest extends GroupChatScenarios {

    @RegisterExtension
    @Order(1)
    static final RedisClusterExtension redis = new RedisClusterExtension();

    private static ChatServer nodeA;
    private static ChatServer nodeB;

    @BeforeAll
    static void startTwoNodes() throws InterruptedException {
        ServerConfig config = ServerConfig.forTests().withRedis(redis.uri(), 30_000, 30_000);
        nodeA = ChatServer.start(config);
        nodeB = ChatServer.start(config);
    }

    @AfterAll
    static void stopNodes() {
        nodeA.close();
        nodeB.close();
    }

    @Override
    protected boolean storesMessagesForOfflineUsers() {
        return true; // mailboxes, each on the master of its user's slot
    }

    @Override
    protected ChatDriver driver() {
        return new ProtobufChatDriver(List.of(nodeA.localAddress(), nodeB.localAddress()),
                ServerConfig.DEFAULT_MAX_FRAME);
    }
}
