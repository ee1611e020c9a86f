package com.example.im.testkit;

/** A running Redis server that a test may connect to. */
interface RedisServerHandle extends AutoCloseable {

    String host();

    int port();

    /** A short description for logs, e.g. "redis-server 7.0.15 (PATH)". */
    String description();

    @Override
    void close();
}
