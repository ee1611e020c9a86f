package com.example.im.server;

import com.example.im.testkit.RedisExtension;
import com.example.im.testkit.scenario.ChatDriver;
import com.example.im.testkit.scenario.GroupChatScenarios;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The shared scenarios, group chat included (testkit), with their users spread over two nodes that share a real
 * Redis: every "alice to bob" goes through the other node's inbox, every duplicate login is a cross-node kick.
 */
class ChatScenariosTest extends GroupChatScenarios {

    @RegisterExtension
    @Order(1)
    static final RedisExtension redis = new RedisExtension();

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
        return true; // stage 7: mailboxes
    }

    @Override
    protected ChatDriver driver() {
        return new ProtobufChatDriver(List.of(nodeA.localAddress(), nodeB.localAddress()),
                ServerConfig.DEFAULT_MAX_FRAME);
    }
}
