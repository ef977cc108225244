package dev.automesh.daemon;

import dev.automesh.control.StatusReport;
import dev.automesh.crypto.WgKey;
import dev.automesh.mesh.Mesh;
import dev.automesh.mesh.MeshStatus;
import dev.automesh.wg.WgDevice;
import java.net.InetSocketAddress;
import java.util.Optional;
import java.util.OptionalLong;

/** The agent's live state, valid only inside {@link AgentHandle#inspect} (on the mesh thread). */
public interface AgentView {
    Mesh mesh();

    WgKey ownKey();

    /** "kernel" or "userspace". */
    String backendKind();

    /** The last successful read of the interface. */
    WgDevice lastDevice();

    /** False while the interface is gone (the agent keeps its state and waits for it). */
    boolean interfacePresent();

    /** Why the interface cannot be read, while it is missing. */
    Optional<String> missingReason();

    Optional<InetSocketAddress> externalEndpoint();

    /** How long the WireGuard read in flight has taken so far; empty when none is. */
    OptionalLong wireguardReadMillis();

    AgentStatus snapshot();

    /** The relay socket's state, the pairs it relays for (named from {@code mesh}) and its counters. */
    default StatusReport.Relay relay(MeshStatus mesh) {
        return StatusReport.Relay.NONE;
    }

    /** The agent's clock (epoch milliseconds), for asking the mesh about ages. */
    long nowMillis();
}
