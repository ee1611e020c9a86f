package com.example.im.testkit.scenario;

/** How the shared scenarios reach one stage's server: each stage implements this in its test sources. */
public interface ChatDriver {

    /** Opens a new connection to the system under test (not logged in yet). */
    ChatTestClient connect() throws Exception;
}
