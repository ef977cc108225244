package dev.automesh.daemon;

import dev.automesh.config.Config;
import dev.automesh.config.HostPort;
import dev.automesh.control.StatusReport;
import dev.automesh.mesh.MeshStatus;
import dev.automesh.net.Counters;
import dev.automesh.net.RelayCounters;
import dev.automesh.net.RelayServer;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Map;
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
            String state = agent.interfacePresent() ? state(p) : INTERFACE_MISSING;
            peers.add(new StatusReport.Peer(p.name(), p.pubkey(), p.meshAddress().getHostAddress(), state,
                    p.endpoint().map(HostPort::format), p.endpointSource().map(MeshStatus.Source::toString),
                    p.handshakeAgeSeconds().isPresent() ? Optional.of(p.handshakeAgeSeconds().getAsLong()) : Optional.empty(),
                    cands, p.rxBytes(), p.txBytes(), relayedVia(p),
                    p.lastLoss().map(l -> NoticeLines.reason(l.reason())),
                    p.lastLoss().map(l -> Math.max(0, now / 1000 - l.atUnixSeconds()))));
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
                        : Optional.of(new StatusReport.Waiting(view.missingReason().orElse("it cannot be read"), true)),
                view.relay(mesh));
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

    /** A relayed peer's WireGuard endpoint is our loopback proxy: the state names the relay instead. */
    private static String state(MeshStatus.Peer p) {
        Optional<String> via = relayedVia(p);
        return via.isPresent() ? "relayed via " + via.get() : p.state().label();
    }

    private static Optional<String> relayedVia(MeshStatus.Peer p) {
        return p.state() == MeshStatus.State.RELAYED ? p.relayedVia() : Optional.empty();
    }

    /**
     * The relay socket's part of the report: the sessions the relay holds, joined by session id with
     * the mesh's names for their ends (the addresses' configured names while the mesh has none).
     */
    static StatusReport.Relay relay(MeshStatus mesh, RelayPlane plane) {
        Map<Long, MeshStatus.RelayServed> byId = new HashMap<>();
        for (MeshStatus.RelayServed s : mesh.relaying()) byId.put(s.sessionId(), s);
        List<StatusReport.Served> serving = new ArrayList<>();
        for (RelayServer.Session s : plane.served()) {
            MeshStatus.RelayServed named = byId.get(s.id());
            String a = plane.name(s.x());
            String b = plane.name(s.y());
            if (named != null && named.a().equals(b) && named.b().equals(a)) {
                a = named.b();
                b = named.a();
            }
            serving.add(new StatusReport.Served(a, b, s.bytesXtoY(), s.bytesYtoX(), s.framesXtoY() + s.framesYtoX(),
                    s.idleMillis() / 1000));
        }
        serving.sort(Comparator.comparing(StatusReport.Served::a).thenComparing(StatusReport.Served::b));
        MeshStatus.RelayDeskCounters d = mesh.relayDesk();
        return new StatusReport.Relay(plane.state(), serving, plane.counters().map(StatusReports::counters),
                new StatusReport.Desk(d.served(), d.refused(), d.rateLimited(), d.noticesPassed(), d.noticesDropped()));
    }

    private static StatusReport.RelayCounters counters(RelayCounters.Snapshot c) {
        return new StatusReport.RelayCounters(c.framesForwarded(), c.bytesForwarded(), c.sessionsOpened(),
                c.sessionsExpired(), c.bytesToRelay(), c.bytesFromRelay(), c.droppedMalformed(),
                c.droppedUnknownSession(), c.droppedWrongSource(), c.droppedRateLimited(), c.droppedBackpressure(),
                c.droppedNotFromWireGuard(), c.sendErrors(), c.droppedWhileProbing());
    }
}
