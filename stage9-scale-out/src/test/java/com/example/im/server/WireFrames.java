package com.example.im.server;

import com.example.im.auth.TestTokens;
import com.example.im.protocol.Envelope;
import com.example.im.testkit.RawSocketClient;
import com.google.protobuf.InvalidProtocolBufferException;
import java.io.ByteArrayOutputStream;

/** Writes and reads varint32-framed envelopes on a {@link RawSocketClient}, byte by byte, as the wire has them. */
public final class WireFrames {

    private WireFrames() {
    }

    public static byte[] frame(Envelope envelope) {
        byte[] body = envelope.toByteArray();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(ProtobufChatDriver.varint32(body.length));
        out.writeBytes(body);
        return out.toByteArray();
    }

    public static void write(RawSocketClient client, Envelope envelope) {
        client.write(frame(envelope));
    }

    public static Envelope read(RawSocketClient client) {
        int length = 0;
        for (int shift = 0; ; shift += 7) {
            byte b = client.readBytes(1)[0];
            length |= (b & 0x7F) << shift;
            if ((b & 0x80) == 0) {
                break;
            }
        }
        try {
            return Envelope.parseFrom(client.readBytes(length));
        } catch (InvalidProtocolBufferException e) {
            throw new AssertionError("the server sent a frame that is not an Envelope", e);
        }
    }

    public static Envelope login(String uid) {
        return Envelope.newBuilder().setLogin(TestTokens.login(uid)).build();
    }
}
