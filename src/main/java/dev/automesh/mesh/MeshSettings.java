package dev.automesh.mesh;

import dev.automesh.config.PeerConfig;
import dev.automesh.crypto.WgKey;
import dev.automesh.wg.IpPrefix;
import java.util.List;
import java.util.Objects;

/**
 * What the mesh logic needs to know about this node. {@code ownKey} comes from the WireGuard device.
 *
 * @param lanSubnets   the directly connected subnets: Pings and Requests from them are answered
 *                     (besides mesh addresses and loopback), so LAN discovery can prove a LAN endpoint
 * @param relayWilling whether this node relays for others ({@code relay = true}, the default)
 * @param relayPort    the port of this node's relay socket on its mesh address
 * @param seed         seeds the only randomness in the mesh (relay request and session ids)
 */
public record MeshSettings(WgKey ownKey, int gossipPort, boolean lanDiscovery, List<PeerConfig> peers,
        List<IpPrefix> lanSubnets, boolean relayWilling, int relayPort, long seed) {
    public MeshSettings {
        Objects.requireNonNull(ownKey);
        peers = List.copyOf(peers);
        lanSubnets = List.copyOf(lanSubnets);
        if (relayPort < 0 || relayPort > 65535) throw new IllegalArgumentException("relay port " + relayPort + " out of range");
    }

    /** Without LAN subnets (only mesh addresses and loopback get answers); willing to relay on gossip port + 1, seed 0. */
    public MeshSettings(WgKey ownKey, int gossipPort, boolean lanDiscovery, List<PeerConfig> peers) {
        this(ownKey, gossipPort, lanDiscovery, peers, List.of());
    }

    /** Willing to relay, relay port = gossip port + 1, seed 0. */
    public MeshSettings(WgKey ownKey, int gossipPort, boolean lanDiscovery, List<PeerConfig> peers,
                        List<IpPrefix> lanSubnets) {
        this(ownKey, gossipPort, lanDiscovery, peers, lanSubnets, true, gossipPort < 65535 ? gossipPort + 1 : gossipPort - 1, 0);
    }

    /** Without LAN subnets. */
    public MeshSettings(WgKey ownKey, int gossipPort, boolean lanDiscovery, List<PeerConfig> peers,
                        boolean relayWilling, int relayPort, long seed) {
        this(ownKey, gossipPort, lanDiscovery, peers, List.of(), relayWilling, relayPort, seed);
    }
}
