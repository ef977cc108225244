package dev.automesh.wire;

import java.util.Base64;
import java.util.Objects;

/**
 * automesh-only gossip extensions. They travel in a {@link Trailer} after a complete standard message,
 * where wgautomesh (bincode 1.x, trailing bytes ignored) never looks. Public keys are carried as 32
 * raw bytes on the wire and kept here as canonical base64, like the pubkeys of {@link Message}.
 */
public sealed interface Extension {
    /** Item type byte on the wire. */
    int type();

    /** Extension protocol version spoken by this build. */
    int VERSION = 1;

    /**
     * "I am automesh": the extension version, what the node offers ({@link #FLAG_RELAY}: willing to
     * relay) and the port of its relay socket on its mesh address. Software is a short label
     * (at most {@link #MAX_SOFTWARE} UTF-8 bytes) for status output only.
     */
    record Capabilities(int version, int flags, int relayPort, String software) implements Extension {
        public static final int FLAG_RELAY = 1;
        public static final int MAX_SOFTWARE = 64;

        public Capabilities {
            Objects.requireNonNull(software, "software");
            u16(version, "version");
            u16(flags, "flags");
            u16(relayPort, "relayPort");
            if (software.getBytes(java.nio.charset.StandardCharsets.UTF_8).length > MAX_SOFTWARE) {
                throw new IllegalArgumentException("software label longer than " + MAX_SOFTWARE + " bytes");
            }
        }

        public boolean relays() {
            return (flags & FLAG_RELAY) != 0;
        }

        public int type() { return 0x01; }
    }

    /** To a would-be relay: "relay between me and {@code peer}"; the answer echoes {@code requestId}. */
    record RelayRequest(long requestId, String peer) implements Extension {
        public RelayRequest {
            key(peer);
        }

        public int type() { return 0x10; }
    }

    /**
     * From the relay to both ends: frames for the session {@code sessionId} between the receiver and
     * {@code peer} go to the relay's mesh address at {@code relayPort}; the relay ends the session after
     * {@code idleTimeoutSeconds} without a frame.
     */
    record RelayReady(long requestId, long sessionId, String peer, int relayPort, int idleTimeoutSeconds)
            implements Extension {
        public RelayReady {
            key(peer);
            u16(relayPort, "relayPort");
            u16(idleTimeoutSeconds, "idleTimeoutSeconds");
        }

        public int type() { return 0x11; }
    }

    /** From the would-be relay: no session with {@code peer}; {@code reason} is one of {@link Refusal}. */
    record RelayRefused(long requestId, String peer, int reason) implements Extension {
        public RelayRefused {
            key(peer);
            u8(reason, "reason");
        }

        public int type() { return 0x12; }
    }

    /** Either way: the session is over; {@code reason} is one of {@link Closing}. */
    record RelayClose(long sessionId, int reason) implements Extension {
        public RelayClose {
            u8(reason, "reason");
        }

        public int type() { return 0x13; }
    }

    /**
     * Between the two ends of the relayed session {@code sessionId}, through it: "point WireGuard at
     * my best direct candidate for {@code windowMillis}, and send" (a probe both ends send in, so that
     * two filtering NATs let each other's packets in).
     */
    record ProbeDirect(long sessionId, int windowMillis) implements Extension {
        public ProbeDirect {
            u16(windowMillis, "windowMillis");
        }

        public int type() { return 0x14; }
    }

    /**
     * To a would-be relay, from an end that does not ask for relays itself: "I have been sending
     * WireGuard initiations to {@code peer} at {@code endpoint} for {@code triedMillis} and got no
     * handshake". The relay passes it on as a {@link PunchNotice}; with it the asking end knows that both
     * sides tried, which it cannot see on its own, and asks for a relay seconds earlier.
     */
    record PunchReport(String peer, java.net.InetSocketAddress endpoint, int triedMillis) implements Extension {
        public PunchReport {
            punch(peer, endpoint, triedMillis);
        }

        public int type() { return 0x15; }
    }

    /** From the relay to the asking end: a {@link PunchReport} of {@code peer}'s about us, passed on unchanged. */
    record PunchNotice(String peer, java.net.InetSocketAddress endpoint, int triedMillis) implements Extension {
        public PunchNotice {
            punch(peer, endpoint, triedMillis);
        }

        public int type() { return 0x16; }
    }

    /** Reason codes of {@link RelayRefused}; a receiver keeps codes it does not know as numbers. */
    final class Refusal {
        public static final int OPTED_OUT = 1;
        public static final int NOT_A_PEER = 2;
        public static final int NO_TUNNEL_TO_PEER = 3;
        public static final int PEER_NOT_AUTOMESH = 4;
        public static final int TOO_MANY_SESSIONS = 5;

        private Refusal() {}
    }

    /** Reason codes of {@link RelayClose}. */
    final class Closing {
        public static final int NOT_NEEDED = 0;
        public static final int IDLE = 1;
        public static final int TUNNEL_GONE = 2;
        public static final int SHUTDOWN = 3;

        private Closing() {}
    }

    /** A canonical base64 WireGuard key, or IllegalArgumentException. */
    static byte[] key(String base64) {
        Objects.requireNonNull(base64, "peer");
        byte[] raw;
        try {
            raw = Base64.getDecoder().decode(base64);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("peer key is not base64: " + e.getMessage());
        }
        if (raw.length != 32 || !Base64.getEncoder().encodeToString(raw).equals(base64)) {
            throw new IllegalArgumentException("peer key is not a canonical 32-byte base64 key");
        }
        return raw;
    }

    /** The fields PunchReport and PunchNotice share: a key, an IPv4 or IPv6 address with a port, a u16. */
    private static void punch(String peer, java.net.InetSocketAddress e, int triedMillis) {
        key(peer);
        u16(triedMillis, "triedMillis");
        Objects.requireNonNull(e, "endpoint");
        if (e.isUnresolved() || e.getPort() == 0) throw new IllegalArgumentException("endpoint is not an address with a port: " + e);
    }

    private static void u16(int v, String field) {
        if (v < 0 || v > 0xFFFF) throw new IllegalArgumentException(field + " is not a u16: " + v);
    }

    private static void u8(int v, String field) {
        if (v < 0 || v > 0xFF) throw new IllegalArgumentException(field + " is not a u8: " + v);
    }
}
