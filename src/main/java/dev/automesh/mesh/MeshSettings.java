package dev.automesh.mesh;

import dev.automesh.config.PeerConfig;
import dev.automesh.crypto.WgKey;
import java.util.List;
import java.util.Objects;

/**
 * What the mesh logic needs to know about this node. {@code ownKey} comes from the WireGuard device.
 * {@code relayWilling}: this node may relay for others; {@code relayPort}: its relay socket's port;
 * {@code seed}: for request and session ids (the daemon passes a SecureRandom one, tests fixed ones).
 */
public record MeshSettings(WgKey ownKey, int gossipPort, boolean lanDiscovery, List<PeerConfig> peers,
                           boolean relayWilling, int relayPort, long seed) {
    public MeshSettings {
        Objects.requireNonNull(ownKey);
        peers = List.copyOf(peers);
    }

    /** Relay willing, relay port gossipPort + 1, seed 0. */
    public MeshSettings(WgKey ownKey, int gossipPort, boolean lanDiscovery, List<PeerConfig> peers) {
        this(ownKey, gossipPort, lanDiscovery, peers, true, gossipPort + 1, 0L);
    }
}
