package com.example.im.testkit;

import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Lifecycle shared by the server fixtures: a static {@code @RegisterExtension} field gives one server per test class,
 * an instance field one server per test method. Whatever started the server stops it: a static fixture of a class
 * with {@code @Nested} classes (which inherit its extensions, so their own before/after-all callbacks reach it) keeps
 * one server for the whole class, nested ones included.
 */
abstract class ServerExtension implements BeforeAllCallback, AfterAllCallback, BeforeEachCallback, AfterEachCallback {

    private boolean running;
    private boolean perClass;
    /** The class-level context that started the server, the only one whose {@code afterAll} stops it. */
    private String owner;

    protected abstract void start() throws Exception;

    protected abstract void stop() throws Exception;

    @Override
    public void beforeAll(ExtensionContext context) throws Exception {
        perClass = true;
        if (!running) {
            owner = context.getUniqueId();
        }
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
        if (context.getUniqueId().equals(owner)) {
            stopOnce();
        }
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
