package dev.automesh.net;

import java.time.Duration;

/**
 * Limits of the relay data plane. {@code port}: the relay socket's UDP port on the node's mesh
 * address. {@code bytesPerSecond} / {@code burstBytes}: the token bucket of each relayed pair (both
 * directions together). {@code idleTimeout}: a session without a frame for this long ends.
 * {@code maxSessions}: pairs this node relays for at most.
 */
public record RelaySettings(int port, long bytesPerSecond, long burstBytes, Duration idleTimeout, int maxSessions) {
    /** 100 Mbit/s per pair: plenty for a fallback path, and a cap on what a metered relay can lose. */
    public static final long DEFAULT_BYTES_PER_SECOND = 100_000_000L / 8;
    public static final long DEFAULT_BURST_BYTES = 1 << 20;
    public static final Duration DEFAULT_IDLE_TIMEOUT = Duration.ofSeconds(60);
    public static final int DEFAULT_MAX_SESSIONS = 64;

    /** Largest frame read: a WireGuard datagram of an interface MTU up to 16 KiB minus the headers. */
    public static final int MAX_FRAME = 16 * 1024;

    public RelaySettings {
        if (port < 0 || port > 65535) throw new IllegalArgumentException("relay port " + port + " is not 0-65535");
        if (bytesPerSecond < 1) throw new IllegalArgumentException("relay rate must be positive: " + bytesPerSecond);
        if (burstBytes < MAX_FRAME) throw new IllegalArgumentException("relay burst must hold one frame (" + MAX_FRAME + " bytes)");
        if (idleTimeout.isNegative() || idleTimeout.isZero()) throw new IllegalArgumentException("idle timeout " + idleTimeout);
        if (maxSessions < 1) throw new IllegalArgumentException("max sessions " + maxSessions);
    }

    /** The defaults, on {@code port} (the proposed default is gossip_port + 1). */
    public static RelaySettings defaults(int port) {
        return new RelaySettings(port, DEFAULT_BYTES_PER_SECOND, DEFAULT_BURST_BYTES, DEFAULT_IDLE_TIMEOUT,
                DEFAULT_MAX_SESSIONS);
    }

    public RelaySettings withRate(long bytesPerSecond, long burstBytes) {
        return new RelaySettings(port, bytesPerSecond, burstBytes, idleTimeout, maxSessions);
    }
}
