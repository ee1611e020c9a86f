package com.example.im.server;

import com.example.im.testkit.scenario.ChatDriver;
import com.example.im.testkit.scenario.ChatScenarios;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/** The shared scenarios (testkit) against a real stage-1 server over real sockets. */
class ChatScenariosTest extends ChatScenarios {

    private static ChatServer server;

    @BeforeAll
    static void startServer() throws InterruptedException {
        server = ChatServer.start(ServerConfig.forTests());
    }

    @AfterAll
    static void stopServer() {
        server.close();
    }

    @Override
    protected ChatDriver driver() {
        return new LineChatDriver(server.localAddress(), ServerConfig.DEFAULT_MAX_LINE);
    }
}
