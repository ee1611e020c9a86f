package com.example.im.web;

import com.example.im.protocol.Envelope;
import com.example.im.protocol.ErrorCode;
import com.example.im.protocol.Replies;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.util.JsonFormat;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufInputStream;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.DuplexChannel;
import io.netty.handler.codec.DecoderException;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.codec.MessageToMessageCodec;
import io.netty.util.ReferenceCountUtil;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CorruptedWebSocketFrameException;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketCloseStatus;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import java.io.IOException;
import java.util.List;
import java.util.concurrent.TimeUnit;
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
    /**
     * Unknown fields are skipped, as protobuf's binary encoding skips them: a newer client may send a field this node
     * does not know yet (the proto's rule: only add fields). An unknown oneof case leaves the envelope empty, and the
     * handler answers UNKNOWN_FRAME.
     */
    private static final JsonFormat.Parser PARSER = JsonFormat.parser().ignoringUnknownFields();
    /** How long a refused connection may keep sending after its close frame before it is closed for good. */
    static final long LINGER_MILLIS = 2_000;
    private static final JsonFormat.Printer PRINTER = JsonFormat.printer().omittingInsignificantWhitespace();

    private final boolean json;
    private final int maxMessageBytes;
    private boolean broken;

    /**
     * {@code subprotocol}: what the handshake selected (null: the client named none, JSON); {@code maxMessageBytes}:
     * the largest message accepted (for the error text).
     */
    public WebSocketEnvelopeCodec(String subprotocol, int maxMessageBytes) {
        this.json = !PROTO.equals(subprotocol);
        this.maxMessageBytes = maxMessageBytes;
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
            String expected = json ? "text frames (subprotocol " + JSON + ")" : "binary frames (subprotocol " + PROTO + ")";
            refuse(ctx.channel(), ErrorCode.BAD_INPUT, WebSocketCloseStatus.INVALID_MESSAGE_TYPE,
                    "expected " + expected + ", got " + frame.getClass().getSimpleName());
        }
    }

    /**
     * A message over the maximum (status 1009: one frame, from WebSocket's frame decoder, or fragments adding up to
     * too much, from the aggregator) or a frame that breaks WebSocket's rules (its own status): the client is told
     * why, in an error envelope and in the close frame, and the connection is closed.
     */
    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) throws Exception {
        if (cause instanceof TooLongFrameException) {
            refuse(ctx.channel(), ErrorCode.FRAME_TOO_LARGE, WebSocketCloseStatus.MESSAGE_TOO_BIG,
                    "message too big: at most " + maxMessageBytes + " bytes");
        } else if (cause instanceof CorruptedWebSocketFrameException corrupted) {
            WebSocketCloseStatus status = corrupted.closeStatus();
            refuse(ctx.channel(), status.equals(WebSocketCloseStatus.MESSAGE_TOO_BIG)
                            ? ErrorCode.FRAME_TOO_LARGE : ErrorCode.CORRUPTED_FRAME, status,
                    status.equals(WebSocketCloseStatus.MESSAGE_TOO_BIG)
                            ? "message too big: at most " + maxMessageBytes + " bytes" : status.reasonText());
        } else {
            ctx.fireExceptionCaught(cause);
        }
    }

    /**
     * Says why and hangs up: the error envelope, then a close frame with {@code status}, then a lingering close (as
     * server/LingeringClose does on TCP): closing a socket with unread bytes (the rest of a too-big message) sends a
     * reset, which can wipe the close frame before the client reads it, and the client would see only 1006. So the
     * server ends its direction, drops whatever still comes, and closes when the client does or after
     * {@link #LINGER_MILLIS}.
     */
    private void refuse(Channel channel, ErrorCode code, WebSocketCloseStatus status, String reason) {
        if (broken) {
            return;
        }
        log.info("closing {} ({}): {}", channel.remoteAddress(), status.code(), reason);
        hangUp(channel, Replies.error(code, reason + "; closing the connection"), status, reason);
    }

    /**
     * The session handler hangs up (a refused login: server/LingeringClose on a WebSocket): {@code lastFrame}, then
     * close status 1008 (policy violation), then the lingering close. Without the close frame a browser sees only
     * 1006, "abnormal closure".
     */
    public void hangUp(Channel channel, Object lastFrame, String reason) {
        if (broken) {
            ReferenceCountUtil.release(lastFrame);
            return;
        }
        hangUp(channel, lastFrame, WebSocketCloseStatus.POLICY_VIOLATION, reason);
    }

    private void hangUp(Channel channel, Object lastFrame, WebSocketCloseStatus status, String reason) {
        broken = true; // from now on decode() drops every frame
        // From the tail, as the handler's replies go (this codec may not be the one asking: see Violations).
        channel.write(lastFrame);
        // A close frame's reason is at most 123 bytes (RFC 6455, 5.5: a control frame's payload is at most 125).
        String shortReason = reason.length() > 100 ? reason.substring(0, 100) : reason;
        channel.writeAndFlush(new CloseWebSocketFrame(status, shortReason)).addListener(written -> {
            if (written.isSuccess() && channel instanceof DuplexChannel duplex) {
                duplex.shutdownOutput();
                channel.eventLoop().schedule(() -> channel.close(), LINGER_MILLIS, TimeUnit.MILLISECONDS);
            } else {
                channel.close();
            }
        });
    }

    /**
     * Sits between WebSocket's frame decoder and Netty's {@code WebSocketServerProtocolHandler}, which closes the
     * connection at once on any exception (and so loses the close frame to a reset): a frame the decoder refuses is
     * answered by {@link #refuse} instead.
     */
    static final class Violations extends ChannelInboundHandlerAdapter {
        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) throws Exception {
            WebSocketEnvelopeCodec codec = ctx.pipeline().get(WebSocketEnvelopeCodec.class);
            if (cause instanceof CorruptedWebSocketFrameException && codec != null) {
                codec.exceptionCaught(ctx, cause);
            } else {
                ctx.fireExceptionCaught(cause);
            }
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
