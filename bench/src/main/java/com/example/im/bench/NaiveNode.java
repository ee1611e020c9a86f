package com.example.im.bench;

import com.example.im.protocol.ChatMessage;
import com.example.im.protocol.Envelope;
import com.example.im.protocol.ErrorCode;
import com.example.im.protocol.Replies;
import com.example.im.protocol.Varint32FrameDecoder;
import com.google.protobuf.InvalidProtocolBufferException;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.protobuf.ProtobufDecoder;
import io.netty.handler.codec.protobuf.ProtobufEncoder;
import io.netty.handler.codec.protobuf.ProtobufVarint32LengthFieldPrepender;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import redis.clients.jedis.ConnectionPoolConfig;
import redis.clients.jedis.RedisClient;

/**
 * Scenario 4's baseline, kept deliberately naive: the article's forwarding, not this project's. Written only for the
 * benchmark, never used by a stage.
 * <ul>
 *   <li>the session of a recipient not on this node is read from Redis per message ({@code GET
 *       chat:user:session:{uid}}), on the event-loop thread, blocking it;</li>
 *   <li>the message is pushed with one {@code LPUSH} per message to the owner node's list, again blocking;</li>
 *   <li>one consumer thread per node takes one message per {@code BRPOP} round trip and writes it out.</li>
 * </ul>
 * Nothing is batched or acknowledged: a message popped by a node that then crashes is lost (one of the article's
 * defects that stage 5 fixes). It handles exactly what the load generator sends: login and private chat.
 */
final class NaiveNode implements AutoCloseable {

    private final LoopbackServer server;
    private final RedisClient redis;
    private final String nodeId;
    private final Map<String, Channel> local = new ConcurrentHashMap<>();
    private final AtomicLong ids = new AtomicLong();
    private final Thread consumer;
    private volatile boolean running = true;

    NaiveNode(String redisUri) {
        ConnectionPoolConfig pool = new ConnectionPoolConfig();
        pool.setMaxTotal(16);
        redis = RedisClient.builder().fromURI(redisUri).poolConfig(pool).build();
        server = new LoopbackServer("naive", p -> p.addLast(new Varint32FrameDecoder(64 * 1024),
                new ProtobufDecoder(Envelope.getDefaultInstance()), new ProtobufVarint32LengthFieldPrepender(),
                new ProtobufEncoder(), new Handler()));
        nodeId = "naive:" + address().getPort();
        consumer = new Thread(this::consume, "naive-brpop-" + nodeId);
        consumer.setDaemon(true);
        consumer.start();
    }

    InetSocketAddress address() {
        return server.address();
    }

    private static String sessionKey(String uid) {
        return "chat:user:session:" + uid;
    }

    private final class Handler extends SimpleChannelInboundHandler<Envelope> {
        private String uid;

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, Envelope frame) {
            if (frame.hasLogin()) {
                uid = frame.getLogin().getUid();
                local.put(uid, ctx.channel());
                redis.set(sessionKey(uid), nodeId);
                ctx.writeAndFlush(Replies.loggedIn(uid));
            } else if (frame.hasChat() && uid != null) {
                ChatMessage message = frame.getChat().toBuilder().setMsgId(nodeId + "-" + ids.incrementAndGet())
                        .setFromUid(uid).setTimestamp(System.currentTimeMillis()).build();
                String to = message.getToUid();
                Channel target = local.get(to);
                if (target != null) {
                    target.writeAndFlush(Replies.message(message));
                } else {
                    String owner = redis.get(sessionKey(to));                    // round trip 1, per message
                    if (owner == null) {
                        ctx.writeAndFlush(Replies.error(ErrorCode.OFFLINE, to));
                        return;
                    }
                    redis.lpush(owner.getBytes(StandardCharsets.UTF_8), message.toByteArray()); // round trip 2
                }
                ctx.writeAndFlush(Replies.sent(message.getMsgId(), List.of(to), List.of()));
            } else {
                ctx.writeAndFlush(Replies.error(ErrorCode.UNKNOWN_FRAME, "the naive node knows login and chat"));
            }
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            if (uid != null) {
                local.remove(uid, ctx.channel());
            }
        }
    }

    private void consume() {
        byte[] list = nodeId.getBytes(StandardCharsets.UTF_8);
        while (running) {
            try {
                List<byte[]> popped = redis.brpop(1, list);                     // one round trip per message
                if (popped == null || popped.size() < 2) {
                    continue;
                }
                ChatMessage message = ChatMessage.parseFrom(popped.get(1));
                Channel target = local.get(message.getToUid());
                if (target != null) {
                    target.writeAndFlush(Replies.message(message));
                }
            } catch (InvalidProtocolBufferException | RuntimeException e) {
                if (running) {
                    System.err.println(nodeId + ": " + e);
                }
            }
        }
    }

    @Override
    public void close() {
        running = false;
        server.close();
        try {
            consumer.join(3_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        redis.close();
    }
}
