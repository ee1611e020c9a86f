package com.example.im.protocol;

/**
 * A line the server cannot act on. {@code code} is the word after {@code ERR} on the wire (see {@link ErrorCode});
 * the message is the human-readable rest.
 */
public final class ProtocolException extends Exception {

    private static final long serialVersionUID = 1L;

    private final String code;

    public ProtocolException(String code, String detail) {
        super(detail, null, false, false); // no stack trace: bad input is routine, not exceptional
        this.code = code;
    }

    public String code() {
        return code;
    }
}
