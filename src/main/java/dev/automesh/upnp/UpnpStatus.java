package dev.automesh.upnp;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/**
 * Snapshot of the UPnP forwarder for {@code automesh status}.
 *
 * @param state               where the forwarder is
 * @param router              the gateway in use (friendly name and description URL), if one was found
 * @param localAddress        our LAN address the mapping points to
 * @param externalEndpoint    the router's WAN address with the external port, once mapped
 * @param leaseExpiry         when the current mapping runs out if not renewed (empty: permanent or none)
 * @param ipv6Pinhole         IPv6 pinhole state, e.g. "open 2001:db8::10 id=3" or why there is none
 * @param lastError           the most recent failure, with the UPnP error code when the router gave one
 * @param consecutiveFailures failed attempts since the last success (0 while healthy)
 */
public record UpnpStatus(State state, Optional<String> router, Optional<InetAddress> localAddress,
        Optional<InetSocketAddress> externalEndpoint, Optional<Instant> leaseExpiry, Optional<String> ipv6Pinhole,
        Optional<String> lastError, int consecutiveFailures) {

    public enum State {
        /** Started, first discovery not finished yet. */
        DISCOVERING,
        /** No Internet Gateway Device answered on any LAN interface; retrying with backoff. */
        NO_GATEWAY,
        /** The port mapping is in place and being renewed. */
        MAPPED,
        /** A gateway was found but the mapping failed (refused or unreachable); retrying with backoff. */
        FAILED,
        /** close() ran; the mapping was deleted. */
        CLOSED
    }

    public UpnpStatus {
        Objects.requireNonNull(state);
        Objects.requireNonNull(router);
        Objects.requireNonNull(localAddress);
        Objects.requireNonNull(externalEndpoint);
        Objects.requireNonNull(leaseExpiry);
        Objects.requireNonNull(ipv6Pinhole);
        Objects.requireNonNull(lastError);
    }

    static UpnpStatus initial() {
        return new UpnpStatus(State.DISCOVERING, Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty(),
                Optional.empty(), Optional.empty(), 0);
    }

    /** One line for logs and the status command. */
    public String summary() {
        StringBuilder sb = new StringBuilder(state.name().toLowerCase());
        router.ifPresent(r -> sb.append(" router=").append(r));
        localAddress.ifPresent(a -> sb.append(" local=").append(a.getHostAddress()));
        externalEndpoint.ifPresent(e -> sb.append(" external=").append(e.getAddress().getHostAddress()).append(':').append(e.getPort()));
        leaseExpiry.ifPresent(t -> sb.append(" lease_until=").append(t));
        ipv6Pinhole.ifPresent(p -> sb.append(" ipv6=").append(p));
        lastError.ifPresent(e -> sb.append(" error=\"").append(e).append('"'));
        if (consecutiveFailures > 0) sb.append(" failures=").append(consecutiveFailures);
        return sb.toString();
    }
}
