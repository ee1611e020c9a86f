package com.example.im.testkit.scenario;

/** The error codes the shared scenarios assert on. Every stage's server uses these words on the wire. */
public final class ErrorCodes {

    /** The recipient has no session anywhere. */
    public static final String OFFLINE = "offline";
    /** A command that needs a session arrived before LOGIN. */
    public static final String NOT_LOGGED_IN = "not-logged-in";
    /** This connection lost its session to a newer login of the same uid. */
    public static final String KICKED = "kicked";

    private ErrorCodes() {
    }
}
