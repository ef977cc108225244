package dev.automesh.wire;

/** Untrusted bytes that are not a valid message or state file. */
public final class DecodeException extends Exception {
    public enum Kind { TRUNCATED, UNKNOWN_VARIANT, BAD_UTF8, BAD_LENGTH, BAD_ADDRESS, BAD_EXTENSION }

    private final Kind kind;

    public DecodeException(Kind kind, String message) {
        super(message);
        this.kind = kind;
    }

    public Kind kind() {
        return kind;
    }
}
