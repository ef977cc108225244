package dev.automesh.mesh;

import dev.automesh.wg.WgPeer;
import java.net.InetSocketAddress;
import java.util.Objects;
import java.util.Optional;

/**
 * What the device reads say about one peer's WireGuard session. Each read gives a new Link.
 *
 * @param present         the device has the peer
 * @param endpoint        where WireGuard sends to it
 * @param handshakeS      its last handshake, unix seconds (0: none)
 * @param rxChangedMillis when received bytes last grew (or the first read)
 * @param roamedAtS       when WireGuard moved to the current endpoint without a new handshake (0: it did not)
 */
record Link(boolean present, Optional<InetSocketAddress> endpoint, long handshakeS, long rx, long tx,
        long rxChangedMillis, long roamedAtS) {
    static final Link NONE = new Link(false, Optional.empty(), 0, 0, 0, 0, 0);

    Link {
        Objects.requireNonNull(endpoint);
    }

    Link read(WgPeer w, long nowMillis) {
        long rxChanged = w.rxBytes() != rx || rxChangedMillis == 0 ? nowMillis : rxChangedMillis;
        long roamed = roamedAtS;
        if (w.lastHandshakeEpochSeconds() != handshakeS) {
            roamed = 0;
        } else if (endpoint.isPresent() && !w.endpoint().equals(endpoint)) {
            roamed = nowMillis / 1000; // WireGuard followed the peer to a new address, just now
        }
        return new Link(true, w.endpoint(), w.lastHandshakeEpochSeconds(), w.rxBytes(), w.txBytes(), rxChanged, roamed);
    }

    /** Removed behind our back (or the interface was recreated): no session, no endpoint. */
    Link gone() {
        return new Link(false, Optional.empty(), 0, rx, tx, rxChangedMillis, roamedAtS);
    }

    /** A session WireGuard still accepts. */
    boolean live(long nowMillis) {
        return handshakeS > 0 && nowMillis / 1000 - handshakeS < PeerPath.CONNECTED_S;
    }

    boolean at(InetSocketAddress a) {
        return endpoint.isPresent() && endpoint.get().equals(a);
    }
}
