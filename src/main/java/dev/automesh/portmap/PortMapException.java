package dev.automesh.portmap;

/** A failed NAT-PMP or PCP exchange, with what kind of failure it was and a sentence that says so. */
public final class PortMapException extends Exception {
    public enum Kind {
        /** Nothing answered (timeout, or ICMP port unreachable): the gateway does not speak the protocol. */
        NO_ANSWER,
        /** The gateway answered in another protocol or version, or said the opcode is unsupported. */
        UNSUPPORTED,
        /** The gateway answered with an error result code. */
        REFUSED,
        /** The reply did not decode: short, wrong opcode, for another mapping... */
        MALFORMED
    }

    private final Kind kind;

    public PortMapException(Kind kind, String message) {
        super(message);
        this.kind = kind;
    }

    public Kind kind() {
        return kind;
    }

    static PortMapException malformed(String message) {
        return new PortMapException(Kind.MALFORMED, message);
    }
}
