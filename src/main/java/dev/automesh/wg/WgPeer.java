package dev.automesh.wg;

import dev.automesh.crypto.WgKey;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * One peer as read from the device.
 *
 * @param lastHandshakeEpochSeconds 0 when there was never a handshake (as the kernel and UAPI report)
 * @param persistentKeepalive seconds, 0 = off
 */
public record WgPeer(
        WgKey publicKey,
        Optional<InetSocketAddress> endpoint,
        long lastHandshakeEpochSeconds,
        int persistentKeepalive,
        List<IpPrefix> allowedIps,
        long rxBytes,
        long txBytes) {
    public WgPeer {
        Objects.requireNonNull(publicKey);
        Objects.requireNonNull(endpoint);
        allowedIps = List.copyOf(allowedIps);
    }
}
