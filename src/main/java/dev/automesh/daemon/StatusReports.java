package dev.automesh.daemon;

import dev.automesh.config.Config;
import dev.automesh.config.HostPort;
import dev.automesh.control.StatusReport;
import dev.automesh.mesh.MeshStatus;
import dev.automesh.net.Counters;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * Builds the status report: from the live agent, on the mesh thread (inside AgentHandle.inspect), or
 * from the config while the agent waits for its interface.
 */
final class StatusReports {
    /** Peer state while the interface is missing. */
    static final String INTERFACE_MISSING = "interface missing";
    private static final String WAITING = " (interface missing, waiting)";

    private StatusReports() {}

    /** Seconds the WireGuard read in flight has taken, once that is late. */
    private static Optional<Long> readLate(AgentStatus agent) {
        if (agent.wireguardReadMillis().isEmpty()) return Optional.empty();
        long s = agent.wireguardReadMillis().getAsLong() / 1000;
        return s >= StatusReport.READ_LATE_SECONDS ? Optional.of(s) : Optional.empty();
    }

    static StatusReport build(AgentView view, String upnp) {
        long now = view.nowMillis();
        MeshStatus mesh = view.mesh().status(now);
        AgentStatus agent = view.snapshot();
        List<StatusReport.Peer> peers = new ArrayList<>();
        for (MeshStatus.Peer p : mesh.peers()) {
            List<StatusReport.Candidate> cands = new ArrayList<>();
            for (MeshStatus.Candidate c : p.candidates()) {
                Optional<Long> ago = c.lastTriedAgoMillis().isPresent()
                        ? Optional.of(c.lastTriedAgoMillis().getAsLong() / 1000) : Optional.empty();
                cands.add(new StatusReport.Candidate(HostPort.format(c.address()), c.source().toString(), ago));
            }
            // Without the interface no tunnel works, whatever the last read said about handshakes.
            String state = agent.interfacePresent() ? p.state().label() : INTERFACE_MISSING;
            peers.add(new StatusReport.Peer(p.name(), p.pubkey(), p.meshAddress().getHostAddress(), state,
                    p.endpoint().map(HostPort::format), p.endpointSource().map(MeshStatus.Source::toString),
                    p.handshakeAgeSeconds().isPresent() ? Optional.of(p.handshakeAgeSeconds().getAsLong()) : Optional.empty(),
                    cands, p.rxBytes(), p.txBytes()));
        }
        Counters.Snapshot c = agent.counters();
        MeshStatus.Counters m = mesh.counters();
        String backend = agent.backendKind() + (agent.interfacePresent() ? "" : WAITING);
        return new StatusReport(agent.interfaceName(), backend, agent.ownKey().toString(), agent.listenPort(),
                agent.gossipPort(), upnp,
                new StatusReport.Counters(c.datagramsIn(), c.datagramsOut(), c.droppedUndecryptable(),
                        c.droppedUndecodable(), c.sendErrors(), m.badPubkeys(), m.badEndpoints(), m.futureTimestamps(),
                        m.unknownPeersFull(), m.foreignBroadcasts(), c.receiveErrors(), hostile(c, m)),
                peers, readLate(agent), agent.interfacePresent() ? Optional.empty()
                        : Optional.of(new StatusReport.Waiting(view.missingReason().orElse("it cannot be read"), true)));
    }

    /** Before the interface ever appeared: what the config says, and why the last attempt failed. */
    static StatusReport waiting(Config config, String reason, String upnp) {
        String backend = config.wireguardBackend().name().toLowerCase(Locale.ROOT) + WAITING;
        // Port mapping starts with the mesh; its own summary would say "starting" all along.
        String mapping = config.upnpForwardExternalPort().isPresent() ? "not started: waiting for the interface" : upnp;
        return new StatusReport(config.interfaceName(), backend, "", 0, config.gossipPort(), mapping,
                new StatusReport.Counters(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0), List.of(), Optional.empty(),
                Optional.of(new StatusReport.Waiting(reason, false)));
    }

    private static java.util.Map<String, Long> hostile(Counters.Snapshot c, MeshStatus.Counters m) {
        java.util.Map<String, Long> h = new java.util.LinkedHashMap<>();
        h.put("dropped_replayed", c.droppedReplayed());
        h.putAll(m.extra());
        return h;
    }
}
