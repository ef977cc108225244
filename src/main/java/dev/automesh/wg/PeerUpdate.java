package dev.automesh.wg;

import dev.automesh.crypto.WgKey;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * A change to one peer, in the spirit of `wg set IF peer ...`: absent fields are left as they are; a
 * peer that does not exist is created. Peers are never removed for good.
 *
 * <p>A {@code fresh} update replaces the peer by a new peer object (removed, then added again in the
 * same request where the backend allows it): WireGuard rate-limits handshake initiations to one per
 * REKEY_TIMEOUT (5 s) per peer object, and a new object may initiate at once. Its session, counters
 * and latest handshake start from zero, so it is meant for peers without a working session. Nothing of
 * the old peer survives, so a fresh update carries the whole state the agent sets: allowed IPs and
 * keepalive (the agent sets no preshared keys); without an endpoint the new peer has none until the
 * other side's handshake arrives.
 *
 * @param replaceAllowedIps when present, the peer's allowed IPs become exactly this list
 * @param fresh             re-create the peer (see above) instead of changing it in place
 */
public record PeerUpdate(
        WgKey publicKey,
        Optional<InetSocketAddress> endpoint,
        Optional<Integer> persistentKeepalive,
        Optional<List<IpPrefix>> replaceAllowedIps,
        boolean fresh) {
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
        if (fresh && (replaceAllowedIps.isEmpty() || persistentKeepalive.isEmpty())) {
            throw new IllegalArgumentException("fresh update of peer " + publicKey + " lacks its "
                    + (replaceAllowedIps.isEmpty() ? "allowed IPs" : "keepalive")
                    + ": re-creating a peer drops everything not given, so give allowed IPs and keepalive");
        }
    }

    /** An in-place change (not fresh). */
    public PeerUpdate(WgKey publicKey, Optional<InetSocketAddress> endpoint, Optional<Integer> persistentKeepalive,
                      Optional<List<IpPrefix>> replaceAllowedIps) {
        this(publicKey, endpoint, persistentKeepalive, replaceAllowedIps, false);
    }

    /** The same fields as a fresh update; throws as the constructor does if they are not complete. */
    public PeerUpdate asFresh() {
        return fresh ? this : new PeerUpdate(publicKey, endpoint, persistentKeepalive, replaceAllowedIps, true);
    }

    public static Builder of(WgKey key) {
        return new Builder(key);
    }

    public static final class Builder {
        private final WgKey key;
        private InetSocketAddress endpoint;
        private Integer keepalive;
        private List<IpPrefix> allowed;
        private boolean fresh;

        private Builder(WgKey key) { this.key = key; }
        public Builder endpoint(InetSocketAddress e) { this.endpoint = e; return this; }
        public Builder keepalive(int seconds) { this.keepalive = seconds; return this; }
        public Builder allowedIps(List<IpPrefix> ips) { this.allowed = ips; return this; }
        /** Re-create the peer; allowed IPs and keepalive must then be given. */
        public Builder fresh() { this.fresh = true; return this; }
        public PeerUpdate build() {
            return new PeerUpdate(key, Optional.ofNullable(endpoint), Optional.ofNullable(keepalive),
                    Optional.ofNullable(allowed), fresh);
        }
    }
}
