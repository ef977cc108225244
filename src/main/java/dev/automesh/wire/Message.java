package dev.automesh.wire;

import java.util.List;
import java.util.Objects;

/**
 * The wgautomesh gossip messages (bincode enum; the variant index is the wire tag). The pubkey of
 * Announce and LanBroadcast is kept as the string received: it is untrusted input, validated by the
 * mesh logic against the configured peers.
 */
public sealed interface Message {
    /** bincode variant index. */
    int variant();

    record Ping() implements Message {
        public int variant() { return 0; }
    }

    record Pong() implements Message {
        public int variant() { return 1; }
    }

    /** The endpoints at which the sender knows the peer {@code pubkey} (base64). */
    record Announce(String pubkey, List<TimedEndpoint> endpoints) implements Message {
        public Announce {
            Objects.requireNonNull(pubkey, "pubkey");
            endpoints = List.copyOf(endpoints);
        }
        public int variant() { return 2; }
    }

    record Request() implements Message {
        public int variant() { return 3; }
    }

    /** Sent by broadcast on the LAN: "the peer {@code pubkey} listens for WireGuard on {@code listenPort}". */
    record LanBroadcast(String pubkey, int listenPort) implements Message {
        public LanBroadcast {
            Objects.requireNonNull(pubkey, "pubkey");
            if (listenPort < 0 || listenPort > 65535) throw new IllegalArgumentException("port " + listenPort);
        }
        public int variant() { return 4; }
    }
}
