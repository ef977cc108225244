package dev.automesh.mesh;

import dev.automesh.crypto.WgKey;
import dev.automesh.mesh.Action.Notice;
import dev.automesh.wg.PeerUpdate;
import dev.automesh.wire.Extension;
import dev.automesh.wire.Extension.Closing;
import dev.automesh.wire.Message;
import java.net.InetSocketAddress;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The way back to direct while relayed: the scheduled probes of the direct path (one-sided, then
 * two-sided with ProbeDirect), the backoff between them, and a roam WireGuard made on its own. It
 * changes only the probe fields of a {@link RelayEnd}; {@link RelayPaths} owns the records and acts on
 * the {@link Outcome}.
 */
final class RelayProbes {
    /** Probes of the direct path: 30 s, 60 s, 120 s, 240 s, then every 300 s. */
    static final long PROBE_FIRST_MS = 30_000;
    static final long PROBE_MAX_MS = 300_000;
    static final long PROBE_WINDOW_MS = 2_000;
    /** A two-sided probe: the initiator's window from its switch, and the one it asks the other end for
     *  (that end switches on receipt, about a drive earlier, and must still be there at the end). */
    static final long BOTH_WINDOW_MS = 4_000;
    static final long BOTH_ASKED_MS = 7_000;
    /**
     * The first probe after a direct path broke (a NAT re-map, a move) and a relay took over: soon, and
     * from both ends at once, since both NATs may have new mappings that filter until both send.
     */
    static final long PROBE_AFTER_BREAK_MS = 10_000;
    /** Direct this long after a relay: the probe backoff starts over. */
    static final long DIRECT_STABLE_MS = 300_000;

    /** What a drive of a relayed peer's probe part came to. */
    enum Outcome {
        /** No probe going on: the relayed path's own checks follow. */
        NONE,
        /** A probe is going on: nothing else this drive. */
        PROBING,
        /** Direct again: the relay was let go, the peer resumed its direct path. */
        DIRECT,
        /** The relay closed the session during our two-sided probe, which failed: the relay is lost. */
        CLOSED
    }

    /** Per peer: how many probe steps the backoff has taken (kept across relay sessions: no flapping). */
    private final Map<WgKey, Integer> probeLevel = new HashMap<>();
    private final Map<WgKey, Long> directSince = new HashMap<>();

    /** The peer is directly up: after long enough the backoff starts over. */
    void directUp(PeerPath p, long nowMillis) {
        directSince.putIfAbsent(p.key(), nowMillis);
        if (nowMillis - directSince.get(p.key()) >= DIRECT_STABLE_MS) probeLevel.remove(p.key());
    }

    void directDown(PeerPath p) {
        directSince.remove(p.key());
    }

    /** From a relayed start or a failed probe to the next probe. */
    long delay(PeerPath p) {
        int level = probeLevel.getOrDefault(p.key(), 0);
        return Math.min(PROBE_MAX_MS, PROBE_FIRST_MS << Math.min(level, 10));
    }

    /** A relay session began carrying (or is about to): when to probe the direct path first. */
    void schedule(RelayEnd e, long nowMillis) {
        if (probeLevel.getOrDefault(e.peer.key(), 0) == 0 && e.peer.brokeDown()) {
            e.nextProbeMillis = nowMillis + PROBE_AFTER_BREAK_MS;
            e.bothNext = true;
        } else {
            e.nextProbeMillis = nowMillis + delay(e.peer);
        }
    }

    /** The initiator asks for a two-sided probe: start it at the next drive (which knows the candidates). */
    void onProbeDirect(RelayEnd e, Extension.ProbeDirect d) {
        if (e.initiator || e.phase != RelayEnd.Phase.RELAYED || !e.working || e.sessionId != d.sessionId() || e.probe != null) {
            return;
        }
        e.askedWindowMillis = Math.min(d.windowMillis(), BOTH_ASKED_MS);
    }

    /** A drive of a relayed path that carries (or is being set up): a probe under way, one asked for, a roam. */
    Outcome drive(RelayEnd e, List<PathCandidate> cands, long nowMillis, Out out) {
        if (e.probe != null) return step(e, cands, nowMillis, out);
        if (!e.initiator && e.askedWindowMillis > 0) {
            long window = e.askedWindowMillis;
            e.askedWindowMillis = 0;
            if (e.working && !cands.isEmpty()) startBoth(e, cands.get(0).address(), window, nowMillis, out);
            return Outcome.PROBING;
        }
        if (e.working && roamed(e, cands, nowMillis, out)) return Outcome.DIRECT;
        return Outcome.NONE;
    }

    /**
     * A scheduled probe when due (the initiator only): one-sided first (the initiator alone points
     * WireGuard at the direct endpoint, enough when the other end's NAT lets unsolicited input in);
     * after it failed, two-sided: ask the other end through the relay, and switch at the next drive,
     * when the request has crossed it.
     */
    void maybeStart(RelayEnd e, List<PathCandidate> cands, long nowMillis, Out out) {
        if (!e.initiator || !e.working || nowMillis < e.nextProbeMillis || cands.isEmpty()) return;
        InetSocketAddress ep = cands.get(0).address();
        if (e.bothNext) {
            e.bothNext = false;
            e.probe = RelayEnd.Probe.both(ep, nowMillis, false, BOTH_WINDOW_MS);
            out.send(e.peer.gossipAddress(), new Message.Ping(), List.of(new Extension.ProbeDirect(e.sessionId, (int) BOTH_ASKED_MS)));
            return;
        }
        e.probe = RelayEnd.Probe.oneSided(ep, nowMillis, e.peer.link().rx(), PROBE_WINDOW_MS);
        out.update(PeerUpdate.of(e.peer.key()).endpoint(ep).build());
        out.add(new Action.RelayMute(e.peer.key(), e.sessionId, true));
        out.send(e.peer.gossipAddress(), new Message.Ping()); // through the tunnel, now to the direct endpoint
    }

    /** Points WireGuard at {@code ep} for a two-sided probe and sends through it. */
    private void startBoth(RelayEnd e, InetSocketAddress ep, long windowMillis, long nowMillis, Out out) {
        e.probe = RelayEnd.Probe.both(ep, nowMillis, true, windowMillis);
        out.update(PeerUpdate.of(e.peer.key()).endpoint(ep).build());
        out.add(new Action.RelayMute(e.peer.key(), e.sessionId, true));
        out.send(e.peer.gossipAddress(), new Message.Ping());
    }

    /**
     * A drive during a probe. In a two-sided one both ends Ping through the tunnel at every drive: the
     * first packets each way open the sender's NAT for the answers, the later ones pass both.
     */
    private Outcome step(RelayEnd e, List<PathCandidate> cands, long nowMillis, Out out) {
        RelayEnd.Probe pr = e.probe;
        if (!pr.switched()) {
            startBoth(e, pr.endpoint(), pr.windowMillis(), nowMillis, out);
            return Outcome.PROBING;
        }
        if (e.closed || nowMillis - pr.startMillis() >= pr.windowMillis()) return finish(e, cands, nowMillis, out);
        if (pr.both()) {
            Link link = e.peer.link();
            if (pr.rxAtStart() < 0 && link.at(pr.endpoint())) e.probe = pr.counting(link.rx());
            out.send(e.peer.gossipAddress(), new Message.Ping());
        }
        return Outcome.PROBING;
    }

    /** Worked if WireGuard still sends to the direct endpoint and something came back there. */
    private Outcome finish(RelayEnd e, List<PathCandidate> cands, long nowMillis, Out out) {
        RelayEnd.Probe pr = e.probe;
        e.probe = null;
        if (pr.worked(e.peer.link())) {
            directAgain(e, pr.endpoint(), cands, nowMillis, out);
            return Outcome.DIRECT;
        }
        if (e.closed) return Outcome.CLOSED;
        out.update(PeerUpdate.of(e.peer.key()).endpoint(e.loopback).keepalive(RelayPaths.KEEPALIVE_RELAYED).build());
        out.add(new Action.RelayMute(e.peer.key(), e.sessionId, false));
        // reads may still show our own probe's endpoint for a while: that is no roam of the peer's
        e.roam = null;
        e.settledMillis = nowMillis + PROBE_WINDOW_MS;
        if (!e.initiator) return Outcome.PROBING;
        if (!pr.both()) {
            e.bothNext = true; // at the next drive, once WireGuard is back on the relay for the request
            return Outcome.PROBING;
        }
        probeLevel.merge(e.peer.key(), 1, Integer::sum);
        e.nextProbeMillis = nowMillis + delay(e.peer);
        return Outcome.PROBING;
    }

    /**
     * WireGuard followed the peer to a direct address on its own. Direct again once traffic keeps
     * arriving there for a probe window; back to the loopback if it stops.
     *
     * @return whether the peer left the relay
     */
    private boolean roamed(RelayEnd e, List<PathCandidate> cands, long nowMillis, Out out) {
        Link link = e.peer.link();
        Optional<InetSocketAddress> ep = link.endpoint();
        if (nowMillis < e.settledMillis) return false;
        if (ep.isEmpty() || ep.get().equals(e.loopback)) {
            e.roam = null;
            if (ep.isEmpty()) out.update(PeerUpdate.of(e.peer.key()).endpoint(e.loopback).keepalive(RelayPaths.KEEPALIVE_RELAYED).build());
            return false;
        }
        if (e.roam == null || !e.roam.endpoint().equals(ep.get())) {
            e.roam = new RelayEnd.Roam(ep.get(), nowMillis, link.rx());
            return false;
        }
        if (nowMillis - e.roam.sinceMillis() < PROBE_WINDOW_MS) return false;
        if (link.rx() > e.roam.rxAtStart()) {
            directAgain(e, ep.get(), cands, nowMillis, out);
            return true;
        }
        e.roam = null;
        out.update(PeerUpdate.of(e.peer.key()).endpoint(e.loopback).build());
        return false;
    }

    /** Direct works again: WireGuard stays at {@code endpoint}, the relay is let go (the caller forgets the record). */
    private void directAgain(RelayEnd e, InetSocketAddress endpoint, List<PathCandidate> cands, long nowMillis, Out out) {
        out.add(new Notice.DirectAgain(e.peer.name(), e.peer.b64(), endpoint, e.via.name()));
        out.add(new Action.RelayDrop(e.peer.key(), e.sessionId));
        out.send(e.via.gossipAddress(), new Message.Ping(), List.of(new Extension.RelayClose(e.sessionId, Closing.NOT_NEEDED)));
        probeLevel.merge(e.peer.key(), 1, Integer::sum); // should it fail again soon, the next probe waits longer
        directSince.put(e.peer.key(), nowMillis);
        e.peer.resumeDirect(endpoint, cands, nowMillis);
    }
}
