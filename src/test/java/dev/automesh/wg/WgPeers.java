package dev.automesh.wg;

import dev.automesh.crypto.WgKey;
import java.util.Optional;

/** Finds a peer of a device read, for tests. */
public final class WgPeers {
    private WgPeers() {}

    public static Optional<WgPeer> peer(WgDevice d, WgKey key) {
        return d.peers().stream().filter(p -> p.publicKey().equals(key)).findFirst();
    }
}
