package com.example.im.testkit;

import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Lifecycle shared by the server fixtures: a static {@code @RegisterExtension} field gives one server per test class,
 * an instance field one server per test method. Whatever started the server stops it.
 */
abstract class ServerExtension implements BeforeAllCallback, AfterAllCallback, BeforeEachCallback, AfterEachCallback {

    private boolean running;
    private boolean perClass;

    protected abstract void start() throws Exception;

    protected abstract void stop() throws Exception;

    @Override
    public void beforeAll(ExtensionContext context) throws Exception {
        perClass = true;
        startOnce();
    }

    @Override
    public void beforeEach(ExtensionContext context) throws Exception {
        startOnce();
    }

    @Override
    public void afterEach(ExtensionContext context) throws Exception {
        if (!perClass) {
            stopOnce();
        }
    }

    @Override
    public void afterAll(ExtensionContext context) throws Exception {
        stopOnce();
    }

    private void startOnce() throws Exception {
        if (!running) {
            start();
            running = true;
        }
    }

    private void stopOnce() throws Exception {
        if (running) {
            running = false;
            stop();
        }
    }
}
