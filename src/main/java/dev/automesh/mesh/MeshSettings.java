package dev.automesh.mesh;

import dev.automesh.config.PeerConfig;
import dev.automesh.crypto.WgKey;
import java.util.List;
import java.util.Objects;

/**
 * What the mesh logic needs to know about this node. {@code ownKey} comes from the WireGuard device.
 */
public record MeshSettings(WgKey ownKey, int gossipPort, boolean lanDiscovery, List<PeerConfig> peers) {
    public MeshSettings {
        Objects.requireNonNull(ownKey);
        peers = List.copyOf(peers);
    }
}
