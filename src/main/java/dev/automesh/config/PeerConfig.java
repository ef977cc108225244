package dev.automesh.config;

import dev.automesh.crypto.WgKey;
import java.net.InetAddress;
import java.util.Objects;
import java.util.Optional;

/**
 * One `[[peers]]` entry: the peer's WireGuard public key, its single mesh address (allowed-ips is
 * that address as /32 or /128), an optional static endpoint and an optional human name (automesh
 * extension, ignored by wgautomesh).
 */
public record PeerConfig(WgKey pubkey, InetAddress address, Optional<HostPort> endpoint, Optional<String> name) {
    public PeerConfig {
        Objects.requireNonNull(pubkey, "pubkey");
        Objects.requireNonNull(address, "address");
        Objects.requireNonNull(endpoint, "endpoint");
        Objects.requireNonNull(name, "name");
    }

    /** Name for logs and status: the configured name, else the first characters of the key. */
    public String displayName() {
        return name.orElseGet(pubkey::shortName);
    }
}
