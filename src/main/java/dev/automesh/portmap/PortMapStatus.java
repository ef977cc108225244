package dev.automesh.portmap;

import java.net.InetSocketAddress;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/**
 * Snapshot of one port-mapping client (or of the chooser) for {@code automesh status}.
 *
 * @param protocol         the protocol in use
 * @param state            where the client is
 * @param gateway          the router asked, once known
 * @param externalEndpoint the public address and granted port, once mapped
 * @param leaseExpiry      when the mapping runs out if not renewed (empty: permanent or none)
 * @param lastError        the most recent failure
 * @param failures         failed attempts since the last success
 */
public record PortMapStatus(Protocol protocol, State state, Optional<String> gateway, Optional<InetSocketAddress> externalEndpoint,
        Optional<Instant> leaseExpiry, Optional<String> lastError, int failures) {

    public enum State { DISCOVERING, NO_GATEWAY, MAPPED, FAILED, CLOSED }

    public PortMapStatus {
        Objects.requireNonNull(protocol);
        Objects.requireNonNull(state);
        Objects.requireNonNull(gateway);
        Objects.requireNonNull(externalEndpoint);
        Objects.requireNonNull(leaseExpiry);
        Objects.requireNonNull(lastError);
    }

    static PortMapStatus initial(Protocol p) {
        return new PortMapStatus(p, State.DISCOVERING, Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty(), 0);
    }

    /** One line for logs and the status command, e.g. "natpmp mapped gateway=192.168.1.1 external=...". */
    public String summary() {
        StringBuilder sb = new StringBuilder(protocol.label()).append(' ').append(state.name().toLowerCase());
        gateway.ifPresent(g -> sb.append(" gateway=").append(g));
        externalEndpoint.ifPresent(e -> sb.append(" external=").append(hostPort(e.getAddress(), e.getPort())));
        leaseExpiry.ifPresent(t -> sb.append(" lease_until=").append(t));
        lastError.ifPresent(e -> sb.append(" error=\"").append(e).append('"'));
        if (failures > 0) sb.append(" failures=").append(failures);
        return sb.toString();
    }

    /** "192.0.2.1:51820", or "[2001:db8::1]:51820" for IPv6. */
    static String hostPort(java.net.InetAddress a, int port) {
        return (a instanceof java.net.Inet6Address ? "[" + a.getHostAddress() + "]" : a.getHostAddress()) + ":" + port;
    }
}
