package com.example.im.server;

import com.example.im.testkit.scenario.ChatDriver;
import com.example.im.testkit.scenario.ChatScenarios;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The shared scenarios (testkit) against a real stage-1 server over real sockets. */
class ChatScenariosTest extends ChatScenarios {

    @RegisterExtension
    static final RunningServer server = new RunningServer();

    @Override
    protected ChatDriver driver() {
        return new LineChatDriver(server.address(), ServerConfig.DEFAULT_MAX_LINE);
    }
}
