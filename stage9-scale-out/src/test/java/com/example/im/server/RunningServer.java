package com.example.im.server;

import java.net.InetSocketAddress;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/** A real {@link ChatServer} on 127.0.0.1 and a free port for one test class ({@code @RegisterExtension static}). */
final class RunningServer implements BeforeAllCallback, AfterAllCallback {

    private final ServerConfig config;
    private ChatServer server;

    RunningServer() {
        this(ServerConfig.forTests());
    }

    RunningServer(ServerConfig config) {
        this.config = config;
    }

    @Override
    public void beforeAll(ExtensionContext context) throws InterruptedException {
        server = ChatServer.start(config);
    }

    @Override
    public void afterAll(ExtensionContext context) {
        server.close();
    }

    InetSocketAddress address() {
        return server.localAddress();
    }

    SessionMap sessions() {
        return server.sessions();
    }
}
