package dev.automesh.daemon;

import dev.automesh.config.HostPort;
import dev.automesh.control.StatusReport;
import dev.automesh.mesh.MeshStatus;
import dev.automesh.net.Counters;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** Builds the status report from the live agent; runs on the mesh thread (inside AgentHandle.inspect). */
final class StatusReports {
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
            peers.add(new StatusReport.Peer(p.name(), p.pubkey(), p.meshAddress().getHostAddress(), p.state().label(),
                    p.endpoint().map(HostPort::format), p.endpointSource().map(MeshStatus.Source::toString),
                    p.handshakeAgeSeconds().isPresent() ? Optional.of(p.handshakeAgeSeconds().getAsLong()) : Optional.empty(),
                    cands, p.rxBytes(), p.txBytes(), p.lastLoss().map(l -> NoticeLines.reason(l.reason())),
                    p.lastLoss().map(l -> Math.max(0, now / 1000 - l.atUnixSeconds()))));
        }
        Counters.Snapshot c = agent.counters();
        MeshStatus.Counters m = mesh.counters();
        String backend = agent.backendKind() + (agent.interfacePresent() ? "" : " (interface missing, waiting)");
        return new StatusReport(agent.interfaceName(), backend, agent.ownKey().toString(), agent.listenPort(),
                agent.gossipPort(), upnp,
                new StatusReport.Counters(c.datagramsIn(), c.datagramsOut(), c.droppedUndecryptable(),
                        c.droppedUndecodable(), c.sendErrors(), m.badPubkeys(), m.badEndpoints(), m.futureTimestamps(),
                        m.unknownPeersFull(), m.foreignBroadcasts(), c.receiveErrors()),
                peers, readLate(agent));
    }
}
