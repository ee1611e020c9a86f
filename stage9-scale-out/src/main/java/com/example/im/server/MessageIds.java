package com.example.im.server;

import java.security.SecureRandom;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Unique message ids, stamped by the server on every chat message: {@code <random server prefix>-<counter>}, both
 * base 36. The 64-bit random prefix is drawn once per server start, so two servers (or one server before and after a
 * restart) never hand out the same id; the counter makes ids cheap (no random number per message) and ordered per
 * server.
 */
public final class MessageIds {

    private final String prefix;
    private final AtomicLong counter = new AtomicLong();

    public MessageIds() {
        this.prefix = Long.toUnsignedString(new SecureRandom().nextLong(), 36);
    }

    public String next() {
        return prefix + "-" + Long.toString(counter.incrementAndGet(), 36);
    }
}
