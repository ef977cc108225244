package dev.automesh.wg;

import dev.automesh.crypto.WgKey;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/** A snapshot of a WireGuard interface. publicKey is empty when no private key is set yet. */
public record WgDevice(String name, Optional<WgKey> publicKey, int listenPort, List<WgPeer> peers) {
    public WgDevice {
        Objects.requireNonNull(name);
        Objects.requireNonNull(publicKey);
        peers = List.copyOf(peers);
    }
}
