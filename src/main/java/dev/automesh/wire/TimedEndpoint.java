package dev.automesh.wire;

import java.net.InetSocketAddress;
import java.util.Objects;

/**
 * An endpoint at which some node saw a peer, with the WireGuard latest-handshake time (unix seconds)
 * of that sighting. bincode: SocketAddr then u64. The address is always a resolved IP address.
 */
public record TimedEndpoint(InetSocketAddress address, long unixSeconds) {
    public TimedEndpoint {
        Objects.requireNonNull(address, "address");
        if (address.isUnresolved()) {
            throw new IllegalArgumentException("endpoint must be an IP address: " + address);
        }
    }
}
