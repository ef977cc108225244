package dev.automesh.mesh;

import dev.automesh.config.PeerConfig;
import dev.automesh.crypto.WgKey;
import dev.automesh.wg.IpPrefix;
import java.util.List;
import java.util.Objects;

/**
 * What the mesh logic needs to know about this node. {@code ownKey} comes from the WireGuard device.
 * {@code lanSubnets} are the directly connected subnets: Pings and Requests from them are answered
 * (besides mesh addresses and loopback), so LAN discovery can prove a LAN endpoint.
 */
public record MeshSettings(WgKey ownKey, int gossipPort, boolean lanDiscovery, List<PeerConfig> peers,
        List<IpPrefix> lanSubnets) {
    public MeshSettings {
        Objects.requireNonNull(ownKey);
        peers = List.copyOf(peers);
        lanSubnets = List.copyOf(lanSubnets);
    }

    /** Without LAN subnets: only mesh addresses and loopback get answers. */
    public MeshSettings(WgKey ownKey, int gossipPort, boolean lanDiscovery, List<PeerConfig> peers) {
        this(ownKey, gossipPort, lanDiscovery, peers, List.of());
    }
}
