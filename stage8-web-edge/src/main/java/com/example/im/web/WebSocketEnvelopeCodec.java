package com.example.im.web;

import com.example.im.protocol.Envelope;
import com.example.im.protocol.ErrorCode;
import com.example.im.protocol.Replies;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.util.JsonFormat;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufInputStream;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.DecoderException;
import io.netty.handler.codec.MessageToMessageCodec;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketCloseStatus;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import java.io.IOException;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * WebSocket messages to and from the same {@link Envelope} the TCP clients exchange (docs/08-web-edge.md, "One
 * envelope, two encodings"). The client picks the encoding with its subprotocol:
 * <ul>
 *   <li>{@value #JSON} (the browser's, and the default when a client names none): each message is a text frame
 *       holding the envelope in protobuf's JSON mapping ({@code {"chat":{"toUid":"bob","content":"hi"}}}; 64-bit
 *       numbers as strings);</li>
 *   <li>{@value #PROTO}: each message is a binary frame holding the envelope's protobuf bytes, exactly the TCP frame
 *       without its varint length (WebSocket frames already have one).</li>
 * </ul>
 * A frame of the other kind breaks the protocol the client chose: it is told why (an error envelope) and the
 * connection is closed with status 1003. A frame that is of the right kind but not an envelope is answered with
 * MALFORMED_FRAME and the connection stays open, as on TCP.
 */
public final class WebSocketEnvelopeCodec extends MessageToMessageCodec<WebSocketFrame, Object> {

    public static final String JSON = "im.v1.json";
    public static final String PROTO = "im.v1.proto";

    private static final Logger log = LoggerFactory.getLogger(WebSocketEnvelopeCodec.class);
    private static final JsonFormat.Parser PARSER = JsonFormat.parser();
    private static final JsonFormat.Printer PRINTER = JsonFormat.printer().omittingInsignificantWhitespace();

    private final boolean json;
    private boolean broken;

    /** {@code subprotocol}: what the handshake selected (null: the client named none, JSON). */
    public WebSocketEnvelopeCodec(String subprotocol) {
        this.json = !PROTO.equals(subprotocol);
    }

    @Override
    public boolean acceptOutboundMessage(Object msg) {
        // Envelopes from the handler, and envelopes already encoded once for many connections (Fanout, WriteBatch).
        return msg instanceof Envelope || msg instanceof ByteBuf;
    }

    @Override
    protected void encode(ChannelHandlerContext ctx, Object msg, List<Object> out) throws IOException {
        if (msg instanceof Envelope envelope) {
            out.add(json ? new TextWebSocketFrame(PRINTER.print(envelope))
                    : new BinaryWebSocketFrame(Unpooled.wrappedBuffer(envelope.toByteArray())));
        } else {
            ByteBuf encoded = (ByteBuf) msg;
            if (json) {
                // Encoded for the TCP connections of a fan-out: parsed back once for this browser.
                out.add(new TextWebSocketFrame(PRINTER.print(Envelope.parseFrom(new ByteBufInputStream(encoded)))));
            } else {
                out.add(new BinaryWebSocketFrame(encoded.retain()));
            }
        }
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, WebSocketFrame frame, List<Object> out) {
        if (broken) {
            return;
        }
        if (json && frame instanceof TextWebSocketFrame text) {
            Envelope.Builder envelope = Envelope.newBuilder();
            try {
                PARSER.merge(text.text(), envelope);
            } catch (InvalidProtocolBufferException e) {
                throw new DecoderException(e); // MALFORMED_FRAME from the handler, connection stays open
            }
            out.add(envelope.build());
        } else if (!json && frame instanceof BinaryWebSocketFrame binary) {
            try {
                out.add(Envelope.parseFrom(new ByteBufInputStream(binary.content())));
            } catch (InvalidProtocolBufferException e) {
                throw new DecoderException(e);
            } catch (IOException e) {
                throw new DecoderException(e);
            }
        } else {
            broken = true;
            String expected = json ? "text frames (subprotocol " + JSON + ")" : "binary frames (subprotocol " + PROTO + ")";
            String reason = "expected " + expected + ", got " + frame.getClass().getSimpleName();
            log.info("closing {}: {}", ctx.channel().remoteAddress(), reason);
            ctx.write(encodeNow(Replies.error(ErrorCode.BAD_INPUT, reason + "; closing the connection")));
            ctx.writeAndFlush(new CloseWebSocketFrame(WebSocketCloseStatus.INVALID_MESSAGE_TYPE, reason))
                    .addListener(ChannelFutureListener.CLOSE);
        }
    }

    private WebSocketFrame encodeNow(Envelope envelope) {
        try {
            return json ? new TextWebSocketFrame(PRINTER.print(envelope))
                    : new BinaryWebSocketFrame(Unpooled.wrappedBuffer(envelope.toByteArray()));
        } catch (InvalidProtocolBufferException e) {
            throw new IllegalStateException(e);
        }
    }
}
