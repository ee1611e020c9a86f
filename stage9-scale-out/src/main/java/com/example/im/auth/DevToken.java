package com.example.im.auth;

import com.example.im.config.Flags;
import com.example.im.protocol.CommandParser;
import com.example.im.server.EdgeSettings;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Set;

/**
 * Prints a login token signed with the nodes' key (docs/08-web-edge.md, "Tokens"). FOR DEVELOPMENT ONLY: whoever
 * holds the key can sign a token for any uid, so the key never leaves the servers of a real deployment.
 *
 * <pre>java -cp stage9-scale-out/target/stage9-scale-out.jar com.example.im.auth.DevToken --auth-key BASE64 --uid alice</pre>
 */
public final class DevToken {

    static final String USAGE = "usage: DevToken --auth-key BASE64 --uid UID [--ttl-seconds 3600]\n"
            + "  DEVELOPMENT ONLY: prints a login token for UID signed with the nodes' --auth-key (IM_AUTH_KEY is read\n"
            + "  when --auth-key is absent). Whoever holds that key can log in as anyone; a real deployment signs\n"
            + "  tokens in its own login service and never hands the key to users.";

    private DevToken() {
    }

    public static void main(String[] args) {
        try {
            Flags flags = Flags.parse(args, Set.of("auth-key", "uid", "ttl-seconds"));
            if (flags.help()) {
                System.out.println(USAGE);
                return;
            }
            System.out.println(token(flags, Instant.now()));
        } catch (IllegalArgumentException e) {
            System.err.println("error: " + e.getMessage());
            System.err.println(USAGE);
            System.exit(2);
        }
    }

    static String token(Flags flags, Instant now) {
        String key = flags.get("auth-key", System.getenv("IM_AUTH_KEY"));
        if (key == null) {
            throw new IllegalArgumentException("--auth-key is required (base64, the nodes' key)");
        }
        byte[] decoded;
        try {
            decoded = Base64.getDecoder().decode(key.trim());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--auth-key is not base64");
        }
        if (decoded.length < EdgeSettings.MIN_KEY_BYTES) {
            throw new IllegalArgumentException("--auth-key must be at least " + EdgeSettings.MIN_KEY_BYTES + " bytes");
        }
        String uid = flags.get("uid", null);
        if (uid == null || !CommandParser.UID.matcher(uid).matches()) {
            throw new IllegalArgumentException("--uid is required: 1-32 of A-Z a-z 0-9 _ . -");
        }
        long ttl = flags.getLong("ttl-seconds", 3600);
        if (ttl < 1) {
            throw new IllegalArgumentException("--ttl-seconds must be at least 1");
        }
        return new Tokens(decoded).issue(uid, now.plus(Duration.ofSeconds(ttl)));
    }
}
