package com.example.im.protocol;

/**
 * Input that cannot be acted on. {@code code} is what the error frame carries (see {@code ErrorCode} in
 * {@code chat.proto}); the message is the human-readable text.
 */
public final class ProtocolException extends Exception {

    private static final long serialVersionUID = 1L;

    private final ErrorCode code;

    public ProtocolException(ErrorCode code, String detail) {
        super(detail, null, false, false); // no stack trace: bad input is routine, not exceptional
        this.code = code;
    }

    public ErrorCode code() {
        return code;
    }
}
