package com.example.im.testkit;

/**
 * A running Redis server that a test may connect to.
 *
 * @param description for logs, e.g. "redis-server (PATH) on 127.0.0.1:41234"
 * @param stopper     stops the server and returns when it is gone
 */
record RedisServerHandle(String host, int port, String description, Runnable stopper) implements AutoCloseable {

    @Override
    public void close() {
        stopper.run();
    }
}
