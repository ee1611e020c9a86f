package com.example.im.server;

import com.example.im.testkit.scenario.ChatDriver;
import com.example.im.testkit.scenario.GroupChatScenarios;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The shared scenarios, group chat included (testkit), against a real stage-2 server over real sockets. */
class ChatScenariosTest extends GroupChatScenarios {

    @RegisterExtension
    static final RunningServer server = new RunningServer();

    @Override
    protected ChatDriver driver() {
        return new ProtobufChatDriver(server.address(), ServerConfig.DEFAULT_MAX_FRAME);
    }
}
