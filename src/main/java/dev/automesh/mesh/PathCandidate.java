package dev.automesh.mesh;

import dev.automesh.mesh.MeshStatus.Source;
import java.net.InetSocketAddress;
import java.util.Objects;
import java.util.OptionalLong;

/**
 * One endpoint a peer may be reached at, as computed for one event.
 *
 * @param unixSeconds     when it was seen (0 for a config endpoint)
 * @param learnedAtMillis when the gossip table learned this address, if it lists it
 */
record PathCandidate(InetSocketAddress address, Source source, long unixSeconds, OptionalLong learnedAtMillis) {
    PathCandidate {
        Objects.requireNonNull(address);
        Objects.requireNonNull(source);
        Objects.requireNonNull(learnedAtMillis);
    }
}
