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

    /** Accumulates one peer while a backend decodes a device read (fields arrive one at a time). */
    public static final class Builder {
        public final WgKey key;
        public Optional<InetSocketAddress> endpoint = Optional.empty();
        public long handshake;
        public int keepalive;
        public long rx;
        public long tx;
        public final List<IpPrefix> allowed = new java.util.ArrayList<>();

        public Builder(WgKey key) {
            this.key = Objects.requireNonNull(key);
        }

        public WgPeer build() {
            return new WgPeer(key, endpoint, handshake, keepalive, allowed, rx, tx);
        }
    }
}
