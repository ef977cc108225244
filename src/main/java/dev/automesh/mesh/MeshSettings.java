package dev.automesh.mesh;

import dev.automesh.config.PeerConfig;
import dev.automesh.crypto.WgKey;
import java.util.List;
import java.util.Objects;

/**
 * What the mesh logic needs to know about this node. {@code ownKey} comes from the WireGuard device.
 *
 * @param relayWilling whether this node relays for others ({@code relay = true}, the default)
 * @param relayPort    the port of this node's relay socket on its mesh address
 * @param seed         seeds the only randomness in the mesh (relay request and session ids)
 */
public record MeshSettings(WgKey ownKey, int gossipPort, boolean lanDiscovery, List<PeerConfig> peers,
        boolean relayWilling, int relayPort, long seed) {
    public MeshSettings {
        Objects.requireNonNull(ownKey);
        peers = List.copyOf(peers);
        if (relayPort < 0 || relayPort > 65535) throw new IllegalArgumentException("relay port " + relayPort + " out of range");
    }

    /** Willing to relay, relay port = gossip port + 1, seed 0. */
    public MeshSettings(WgKey ownKey, int gossipPort, boolean lanDiscovery, List<PeerConfig> peers) {
        this(ownKey, gossipPort, lanDiscovery, peers, true, gossipPort + 1, 0);
    }
}
