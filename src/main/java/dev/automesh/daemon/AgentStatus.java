package dev.automesh.daemon;

import dev.automesh.crypto.WgKey;
import dev.automesh.net.Counters;
import dev.automesh.wg.WgDevice;
import java.net.InetSocketAddress;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * An immutable snapshot of a running agent, for `automesh status` and metrics.
 *
 * @param wireguardReadMillis how long the WireGuard read in flight has taken so far; empty when none is
 */
public record AgentStatus(
        String interfaceName,
        String backendKind,
        WgKey ownKey,
        int listenPort,
        int gossipPort,
        boolean interfacePresent,
        WgDevice lastDevice,
        Optional<InetSocketAddress> externalEndpoint,
        Counters.Snapshot counters,
        OptionalLong wireguardReadMillis) {
    public AgentStatus {
        Objects.requireNonNull(interfaceName);
        Objects.requireNonNull(ownKey);
        Objects.requireNonNull(lastDevice);
        Objects.requireNonNull(externalEndpoint);
        Objects.requireNonNull(counters);
        Objects.requireNonNull(wireguardReadMillis);
    }
}
