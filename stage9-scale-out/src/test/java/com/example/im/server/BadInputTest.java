package com.example.im.server;

import static org.awaitility.Awaitility.await;

import java.net.InetSocketAddress;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The {@link BadInputCases} against an in-JVM server, whose session map the tests look into directly. */
class BadInputTest extends BadInputCases {

    @RegisterExtension
    static final RunningServer server = new RunningServer();

    @Override
    protected InetSocketAddress address() {
        return server.address();
    }

    @Override
    protected void assertSessionGone(String uid) {
        await().until(() -> server.sessions().find(uid) == null);
    }
}
