package com.example.im.web;

import static org.assertj.core.api.Assertions.assertThat;

import com.example.im.server.ChatServer;
import com.example.im.server.ChatServerInitializer;
import com.example.im.server.MessageIds;
import com.example.im.server.ServerConfig;
import com.example.im.server.SessionMap;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Review of the HTTP port (docs/08-web-edge.md, "The HTTP port"): attacks on the HTTP/1.1 side that the feature tests
 * do not make.
 */
class HttpEdgeReviewTest {

    private static ChatServer node;

    @BeforeAll
    static void start() throws InterruptedException {
        node = ChatServer.start(ServerConfig.forTests());
    }

    @AfterAll
    static void stop() {
        node.close();
    }

    /**
     * HTTP/1.1 answers pipelined requests in the order they came: a client (or a proxy) that sends two requests
     * back to back must not get the second one's answer as the first's. /api/cluster is a route that may complete
     * later (off the event loop); /api/nodes answers at once.
     */
    @Test
    void pipelinedRequestsAreAnsweredInOrderEvenWhenTheFirstCompletesLater() throws Exception {
        try (Socket socket = new Socket("127.0.0.1", node.httpAddress().getPort())) {
            socket.setSoTimeout(10_000);
            OutputStream out = socket.getOutputStream();
            out.write(("GET /api/cluster HTTP/1.1\r\nHost: x\r\n\r\n"
                    + "GET /api/nodes HTTP/1.1\r\nHost: x\r\n\r\n"
                    + "GET /style.css HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            out.flush();
            List<String> bodies = readResponses(socket.getInputStream(), 3);
            assertThat(bodies.get(0)).as("the answer to GET /api/cluster").contains("\"sampleMillis\"");
            assertThat(bodies.get(1)).as("the answer to GET /api/nodes").contains("\"nodes\"")
                    .doesNotContain("sampleMillis");
            assertThat(bodies.get(2)).as("the answer to GET /style.css").doesNotContain("\"nodes\"");
        }
    }

    /** Nothing is answered after a request that said {@code Connection: close}, however it was pipelined. */
    @Test
    void noRequestPipelinedAfterConnectionCloseIsAnswered() throws Exception {
        try (Socket socket = new Socket("127.0.0.1", node.httpAddress().getPort())) {
            socket.setSoTimeout(10_000);
            OutputStream out = socket.getOutputStream();
            out.write(("GET /api/cluster HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
                    + "GET /api/nodes HTTP/1.1\r\nHost: x\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = socket.getInputStream();
            assertThat(readResponses(in, 1).get(0)).contains("\"sampleMillis\"");
            assertThat(in.read()).as("the connection ends after the answer to the Connection: close request")
                    .isEqualTo(-1);
        }
    }

    /**
     * A request whose body is trickled (one byte now and then, each within the idle time) is still bounded: the
     * connection is closed once no whole request has come for the HTTP idle time, as a TCP client trickling a frame
     * is (docs/03-heartbeat.md). The real pipeline on a controlled clock.
     */
    @Test
    void aRequestBodyTrickledByteByByteDoesNotHoldTheConnectionForever() {
        ServerConfig config = ServerConfig.forTests();
        ChatServerInitializer chat = new ChatServerInitializer(new SessionMap(), config, new MessageIds(), () -> null);
        EmbeddedChannel ch = new EmbeddedChannel();
        ch.freezeTime();
        try {
            WebEdge.pipeline(ch.pipeline(), config, chat, new HttpRoutes(), new StaticFiles(), null);
            ch.writeInbound(Unpooled.copiedBuffer("POST /dev/token HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n",
                    StandardCharsets.US_ASCII));
            long step = WebEdge.HTTP_IDLE_MILLIS / 2;
            for (int i = 0; i < 20 && ch.isOpen(); i++) { // ten idle times
                ch.advanceTimeBy(step, TimeUnit.MILLISECONDS);
                ch.runScheduledPendingTasks();
                if (ch.isOpen()) {
                    ch.writeInbound(Unpooled.copiedBuffer("x", StandardCharsets.US_ASCII));
                }
            }
            assertThat(ch.isOpen()).as("a body trickled for ten idle times still holds the connection").isFalse();
        } finally {
            ch.finishAndReleaseAll();
        }
    }

    /** Reads {@code n} responses with a Content-Length each; returns their bodies. */
    static List<String> readResponses(InputStream in, int n) throws Exception {
        List<String> bodies = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            ByteArrayOutputStream head = new ByteArrayOutputStream();
            while (!head.toString(StandardCharsets.US_ASCII).endsWith("\r\n\r\n")) {
                int b = in.read();
                if (b < 0) {
                    throw new AssertionError("connection closed after " + bodies.size() + " responses");
                }
                head.write(b);
            }
            int length = 0;
            for (String line : head.toString(StandardCharsets.US_ASCII).split("\r\n")) {
                if (line.toLowerCase().startsWith("content-length:")) {
                    length = Integer.parseInt(line.substring(15).trim());
                }
            }
            bodies.add(new String(in.readNBytes(length), StandardCharsets.UTF_8));
        }
        return bodies;
    }
}
