package dev.automesh.wg;

/**
 * A failure talking to WireGuard, with a message that names the interface and says what to do.
 * {@link Reason} lets the daemon react (wait for a missing interface, give up on missing permission).
 */
public final class WireGuardException extends Exception {
    public enum Reason {
        /** The interface does not exist (yet). */
        NO_SUCH_DEVICE,
        /** Missing CAP_NET_ADMIN, or socket permissions. */
        NOT_PERMITTED,
        /** The kernel has no wireguard generic-netlink family. */
        NO_WIREGUARD,
        /** The peer/value was rejected (EINVAL, errno=-22...). */
        INVALID,
        /** Anything else: I/O error, protocol error. */
        IO
    }

    private final Reason reason;

    public WireGuardException(Reason reason, String message) {
        super(message);
        this.reason = reason;
    }

    public WireGuardException(Reason reason, String message, Throwable cause) {
        super(message, cause);
        this.reason = reason;
    }

    public Reason reason() {
        return reason;
    }
}
