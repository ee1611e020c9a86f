package com.example.im.auth;

import com.example.im.protocol.CommandParser;
import com.example.im.web.HttpRoutes;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.CompletionStage;

/**
 * {@code POST /dev/token} with {@code {"uid":"alice"}}: a token for any uid, to anyone who asks
 * (docs/08-web-edge.md, "Tokens"). FOR DEVELOPMENT ONLY: with it on, anyone who reaches the HTTP port can log in as
 * anyone, exactly as before stage 8. A real deployment issues tokens after checking who asks (a password, SSO) in a
 * service of its own, with the same key, and runs the nodes without {@code --dev-token-issuer}.
 */
public final class DevTokenIssuer implements HttpRoutes.Route {

    public static final String PATH = "/dev/token";
    public static final Duration LIFETIME = Duration.ofHours(12);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Tokens tokens;
    private final boolean enabled;

    public DevTokenIssuer(Tokens tokens, boolean enabled) {
        this.tokens = tokens;
        this.enabled = enabled;
    }

    @Override
    public CompletionStage<FullHttpResponse> handle(FullHttpRequest request) {
        if (!enabled) {
            return HttpRoutes.text(HttpResponseStatus.NOT_FOUND,
                    "the development token issuer is off on this node (start it with --dev-token-issuer)\n");
        }
        if (!request.method().equals(HttpMethod.POST)) {
            return HttpRoutes.text(HttpResponseStatus.METHOD_NOT_ALLOWED, "POST {\"uid\":\"alice\"}\n");
        }
        String uid;
        try {
            JsonNode body = JSON.readTree(request.content().toString(StandardCharsets.UTF_8));
            uid = body == null || !body.path("uid").isTextual() ? "" : body.get("uid").asText();
        } catch (IOException e) {
            uid = "";
        }
        if (!CommandParser.UID.matcher(uid).matches()) {
            return HttpRoutes.text(HttpResponseStatus.BAD_REQUEST,
                    "POST {\"uid\":\"alice\"}; a uid is 1-32 of A-Z a-z 0-9 _ . -\n");
        }
        Instant expires = Instant.now().plus(LIFETIME);
        return HttpRoutes.json(JSON.createObjectNode().put("uid", uid).put("token", tokens.issue(uid, expires))
                .put("expiresAt", expires.toEpochMilli()).put("dev", true).toString());
    }
}
