package dev.automesh.wg;

import dev.automesh.crypto.WgKey;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * A change to one peer, in the spirit of `wg set IF peer ...`: absent fields are left as they are; a
 * peer that does not exist is created. (The mesh never removes a peer, so there is no removal.)
 *
 * @param replaceAllowedIps when present, the peer's allowed IPs become exactly this list
 */
public record PeerUpdate(
        WgKey publicKey,
        Optional<InetSocketAddress> endpoint,
        Optional<Integer> persistentKeepalive,
        Optional<List<IpPrefix>> replaceAllowedIps) {
    public PeerUpdate {
        Objects.requireNonNull(publicKey);
        Objects.requireNonNull(endpoint);
        Objects.requireNonNull(persistentKeepalive);
        replaceAllowedIps = replaceAllowedIps.map(List::copyOf);
        endpoint.ifPresent(e -> {
            if (e.isUnresolved()) throw new IllegalArgumentException("endpoint must be resolved: " + e);
        });
        persistentKeepalive.ifPresent(k -> {
            if (k < 0 || k > 65535) throw new IllegalArgumentException("keepalive " + k + " out of range 0-65535");
        });
    }

    public static Builder of(WgKey key) {
        return new Builder(key);
    }

    public static final class Builder {
        private final WgKey key;
        private InetSocketAddress endpoint;
        private Integer keepalive;
        private List<IpPrefix> allowed;

        private Builder(WgKey key) { this.key = key; }
        public Builder endpoint(InetSocketAddress e) { this.endpoint = e; return this; }
        public Builder keepalive(int seconds) { this.keepalive = seconds; return this; }
        public Builder allowedIps(List<IpPrefix> ips) { this.allowed = ips; return this; }
        public PeerUpdate build() {
            return new PeerUpdate(key, Optional.ofNullable(endpoint), Optional.ofNullable(keepalive),
                    Optional.ofNullable(allowed));
        }
    }
}
