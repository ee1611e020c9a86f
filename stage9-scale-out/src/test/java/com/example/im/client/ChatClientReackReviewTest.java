package com.example.im.client;

import static org.assertj.core.api.Assertions.assertThat;

import com.example.im.auth.TestTokens;
import com.example.im.protocol.ChatMessage;
import com.example.im.protocol.Envelope;
import com.example.im.protocol.LoginAck;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import org.junit.jupiter.api.Test;

/**
 * Review of stage 7's ChatClient against a scripted server on a real socket. A push that comes again with a seq the
 * client has already shown means the server has not taken its ack (the ack raced a resend that moved the server's
 * cursor back, say). Before the fix the client dropped the copy and never acknowledged again: the server resent the
 * same range every resend interval, and once that range was a whole window it pushed nothing new on the connection.
 */
class ChatClientReackReviewTest {

    private static void write(OutputStream out, Envelope frame) throws Exception {
        frame.writeDelimitedTo(out); // varint32 length, then the bytes: the stages' framing
        out.flush();
    }

    private static Envelope chat(long seq) {
        return Envelope.newBuilder().setChat(ChatMessage.newBuilder().setMsgId("m-" + seq).setFromUid("alice")
                .setToUid("bob").setContent("n" + seq).setSeq(seq)).build();
    }

    /** The next ack from the client (pings skipped); fails after the socket's read timeout. */
    private static long nextAck(InputStream in) throws Exception {
        while (true) {
            Envelope frame = Envelope.parseDelimitedFrom(in);
            assertThat(frame).as("the client closed the connection").isNotNull();
            if (frame.hasAck()) {
                return frame.getAck().getSeq();
            }
        }
    }

    @Test
    void aPushOfASeqAlreadyShownIsAcknowledgedAgainAndNotShownTwice() throws Exception {
        try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            Recorder seen = new Recorder();
            int port = server.getLocalPort();
            try (ChatClient client = ChatClient.connect(TestTokens.client("127.0.0.1", port).withReconnect(false),
                    NodeLocator.fixed("127.0.0.1", port), "bob", seen);
                 Socket socket = server.accept()) {
                socket.setSoTimeout(5_000);
                InputStream in = socket.getInputStream();
                OutputStream out = socket.getOutputStream();
                assertThat(Envelope.parseDelimitedFrom(in).getLogin().getUid()).isEqualTo("bob");
                write(out, Envelope.newBuilder().setLoginAck(LoginAck.newBuilder().setUid("bob")).build());
                for (long seq = 1; seq <= 3; seq++) {
                    write(out, chat(seq));
                }
                long acked = nextAck(in);
                while (acked < 3) {
                    acked = nextAck(in);
                }

                // The server did not take that ack and pushes 2 and 3 again.
                write(out, chat(2));
                write(out, chat(3));
                assertThat(nextAck(in)).isEqualTo(3);
                assertThat(seen.frames.stream().filter(Envelope::hasChat).map(f -> f.getChat().getSeq()))
                        .containsExactly(1L, 2L, 3L);
            }
        }
    }
}
