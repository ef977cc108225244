package dev.automesh.mesh;

import dev.automesh.crypto.WgKey;
import dev.automesh.mesh.Action.Notice;
import dev.automesh.mesh.Action.Notice.LostWhy;
import dev.automesh.mesh.MeshStatus.State;
import dev.automesh.mesh.RelayEnd.Phase;
import dev.automesh.wg.PeerUpdate;
import dev.automesh.wire.Extension;
import dev.automesh.wire.Extension.Closing;
import dev.automesh.wire.Message;
import java.net.InetSocketAddress;
import java.util.Arrays;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.function.Function;

/**
 * The end side of relaying: when a peer gets no direct handshake, which relay carries it, the switch
 * of its WireGuard endpoint to the daemon's loopback proxy, refresh, failover to another relay, and
 * the background probe that moves it back to direct. Only the end with the smaller public key (raw
 * bytes, unsigned) asks for a relay and starts probes of the direct path; the other end accepts what
 * the relay tells it and sends directly while relayed only in a two-sided probe the initiator asks for
 * (ProbeDirect) after a one-sided one failed, so stale NAT state on its side can expire in between.
 */
final class RelayPaths {
    /** No direct handshake this long after probing began (with a candidate tried): ask a relay. */
    static final long RELAY_AFTER_MS = 8_000;
    /** RelayRequest → RelayReady, and RelayUse → loopback endpoint. */
    static final long SETUP_TIMEOUT_MS = 3_000;
    /** Endpoint switched to the relay → something came back through it. */
    static final long FIRST_TRAFFIC_MS = 6_000;
    /** A relayed path quiet this long gets a Ping through it ... */
    static final long QUIET_PING_MS = 3_000;
    /** ... and is given up when nothing comes back this long after the Ping. */
    static final long PING_ANSWER_MS = 4_000;
    /** No relay available: look again this often. */
    static final long ASK_AGAIN_MS = 5_000;
    /** A relay that failed or refused is skipped this long for that peer. */
    static final long BAD_RELAY_MS = 30_000;
    /** A non-initiating end that lost its relay waits this long for the next one before probing itself. */
    static final long WAIT_NEXT_MS = 10_000;
    /** Probes of the direct path: 30 s, 60 s, 120 s, 240 s, then every 300 s. */
    static final long PROBE_FIRST_MS = 30_000;
    static final long PROBE_MAX_MS = 300_000;
    static final long PROBE_WINDOW_MS = 2_000;
    /** A two-sided probe: the initiator's window from its switch, and the one it asks the other end for
     *  (that end switches on receipt, about a drive earlier, and must still be there at the end). */
    static final long BOTH_WINDOW_MS = 4_000;
    static final long BOTH_ASKED_MS = 7_000;
    /** Direct this long after a relay: the probe backoff starts over. */
    static final long DIRECT_STABLE_MS = 300_000;
    static final int KEEPALIVE_RELAYED = 25;

    private final byte[] ownKey;
    private final SplittableRandom random;
    private final Neighbours neighbours;
    private final Function<String, PeerPath> byB64;
    private final Collection<PeerPath> all;
    private final Map<WgKey, RelayEnd> ends = new HashMap<>();
    /** Per peer: how many probe steps the backoff has taken (kept across relay sessions: no flapping). */
    private final Map<WgKey, Integer> probeLevel = new HashMap<>();
    private final Map<WgKey, Long> directSince = new HashMap<>();
    /** Per peer, the relays that failed or refused for it, until when they are skipped. */
    private final Map<WgKey, Map<WgKey, Long>> badUntil = new HashMap<>();

    RelayPaths(WgKey own, SplittableRandom random, Neighbours neighbours, Function<String, PeerPath> byB64,
            Collection<PeerPath> all) {
        this.ownKey = own.bytes();
        this.random = random;
        this.neighbours = neighbours;
        this.byB64 = byB64;
        this.all = all;
    }

    boolean initiator(PeerPath p) {
        return Arrays.compareUnsigned(ownKey, p.key().bytes()) < 0;
    }

    /** A peer not held by a relay, after its direct judge and move: ask for a relay, or cancel one. */
    void afterDirect(PeerPath p, List<PathCandidate> cands, long nowMillis, Out out) {
        RelayEnd e = ends.get(p.key());
        if (p.up()) {
            directSince.putIfAbsent(p.key(), nowMillis);
            if (nowMillis - directSince.get(p.key()) >= DIRECT_STABLE_MS) probeLevel.remove(p.key());
            if (e != null) cancel(e, out);
            return;
        }
        directSince.remove(p.key());
        if (!initiator(p)) {
            if (e != null) setupTimeouts(e, nowMillis, out);
            return;
        }
        boolean waitedEnough = nowMillis - p.downSinceMillis() >= RELAY_AFTER_MS && (p.tried(cands) > 0 || cands.isEmpty());
        if (e == null && !(waitedEnough || p.allFailed(cands))) return;
        if (e == null) {
            e = new RelayEnd(p, true);
            e.noDirectSeconds = (nowMillis - p.downSinceMillis()) / 1000;
            e.triedCandidates = p.tried(cands);
            ends.put(p.key(), e);
        }
        if (e.phase == Phase.IDLE && nowMillis >= e.nextAskMillis) ask(e, nowMillis, out);
        setupTimeouts(e, nowMillis, out);
    }

    /**
     * A peer held by a relay (its endpoint is the loopback proxy): traffic check, refresh, failover,
     * the direct probe.
     *
     * @return whether traffic just came back through the relay (the router then swaps tables with it)
     */
    boolean drive(PeerPath p, List<PathCandidate> cands, long nowMillis, Out out) {
        RelayEnd e = ends.get(p.key());
        if (e == null) { // cannot happen: a held peer has its record; hand it back rather than strand it
            p.resumeProbing(nowMillis);
            return false;
        }
        if (e.phase != Phase.RELAYED) {
            setupTimeouts(e, nowMillis, out);
            return false;
        }
        Link link = p.link();
        if (!relayLive(e.via, nowMillis)) return lost(e, LostWhy.RELAY_UNREACHABLE, nowMillis, out);
        boolean justWorking = false;
        if (!e.working) {
            if (link.live(nowMillis) && link.rx() > e.rxAtSwitch) {
                e.working = true;
                justWorking = true;
                out.update(PeerUpdate.of(p.key()).keepalive(KEEPALIVE_RELAYED).build());
                out.add(new Notice.Relayed(p.name(), p.b64(), e.via.name(), e.noDirectSeconds, e.triedCandidates));
            } else if (nowMillis - e.phaseSinceMillis >= FIRST_TRAFFIC_MS) {
                return lost(e, LostWhy.STALLED, nowMillis, out);
            }
        }
        if (e.probe != null) {
            probeStep(e, cands, nowMillis, out);
            return justWorking;
        }
        if (!e.initiator && e.askedWindowMillis > 0) {
            long window = e.askedWindowMillis;
            e.askedWindowMillis = 0;
            if (e.working && !cands.isEmpty()) startBoth(e, cands.get(0).address(), window, nowMillis, out);
            return justWorking;
        }
        if (e.working && roamed(e, cands, nowMillis, out)) return false;
        if (e.working) {
            long rxAt = link.rxChangedMillis();
            if (e.pingMillis > rxAt && nowMillis - e.pingMillis >= PING_ANSWER_MS) {
                return lost(e, LostWhy.STALLED, nowMillis, out);
            }
            if (nowMillis - rxAt >= QUIET_PING_MS && e.pingMillis <= rxAt) {
                e.pingMillis = nowMillis;
                out.send(p.gossipAddress(), new Message.Ping());
            }
        }
        if (e.initiator && nowMillis - e.refreshedMillis >= refreshMs(e)) {
            e.refreshedMillis = nowMillis;
            e.requestId = random.nextLong();
            out.send(e.via.gossipAddress(), new Message.Ping(), List.of(new Extension.RelayRequest(e.requestId, p.b64())));
        }
        if (e.initiator && e.working && nowMillis >= e.nextProbeMillis && !cands.isEmpty()) startProbe(e, cands, nowMillis, out);
        return justWorking;
    }

    // ---------------------------------------------------------------- what the relay and the daemon say

    void onReady(PeerPath relay, Extension.RelayReady r, long nowMillis, Out out) {
        PeerPath p = byB64.apply(r.peer());
        if (p == null || p == relay) return;
        RelayEnd e = ends.get(p.key());
        if (e != null && e.via == relay && e.sessionId == r.sessionId()
                && (e.phase == Phase.RELAYED || e.phase == Phase.OPENING)) {
            return; // a refresh of the session we use
        }
        boolean wanted;
        if (initiator(p)) {
            wanted = e != null && e.phase == Phase.ASKING && e.via == relay && e.requestId == r.requestId();
        } else {
            // The initiator decided; we follow unless we reach it directly (then it will see that soon).
            wanted = !(p.up() && !p.relayed()) && relayLive(relay, nowMillis);
        }
        if (!wanted) {
            out.send(relay.gossipAddress(), new Message.Ping(), List.of(new Extension.RelayClose(r.sessionId(), Closing.NOT_NEEDED)));
            return;
        }
        if (e == null) {
            e = new RelayEnd(p, false);
            e.noDirectSeconds = Math.max(0, (nowMillis - p.downSinceMillis()) / 1000);
            ends.put(p.key(), e);
        } else if (e.phase == Phase.RELAYED || e.phase == Phase.OPENING) {
            out.add(new Action.RelayDrop(p.key(), e.sessionId)); // the initiator moved to another relay
        }
        e.via = relay;
        e.sessionId = r.sessionId();
        e.idleTimeoutS = Math.max(15, r.idleTimeoutSeconds());
        e.to(Phase.OPENING, nowMillis);
        out.add(new Action.RelayUse(p.key(), r.sessionId(),
                new InetSocketAddress(relay.gossipAddress().getAddress(), r.relayPort())));
    }

    void onRefused(PeerPath relay, Extension.RelayRefused r, long nowMillis, Out out) {
        PeerPath p = byB64.apply(r.peer());
        RelayEnd e = p == null ? null : ends.get(p.key());
        if (e == null || e.phase != Phase.ASKING || e.via != relay || e.requestId != r.requestId()) return;
        bad(e, relay.key(), nowMillis + BAD_RELAY_MS);
        ask(e, nowMillis, out);
    }

    /** The initiator asks for a two-sided probe: start it at the next drive (which knows the candidates). */
    void onProbeDirect(PeerPath from, Extension.ProbeDirect d) {
        RelayEnd e = ends.get(from.key());
        if (e == null || e.initiator || e.phase != Phase.RELAYED || !e.working || e.sessionId != d.sessionId()
                || e.probe != null) {
            return;
        }
        e.askedWindowMillis = Math.min(d.windowMillis(), BOTH_ASKED_MS);
    }

    void onClose(PeerPath from, Extension.RelayClose c, long nowMillis, Out out) {
        for (RelayEnd e : List.copyOf(ends.values())) {
            if (e.via == from && e.sessionId == c.sessionId() && e.phase != Phase.ASKING && e.phase != Phase.IDLE) {
                // the initiator let the relay go after a two-sided probe: ours decides at the next drive
                if (e.probe != null && e.probe.both() && e.probe.switched()) e.closed = true;
                else lost(e, LostWhy.CLOSED, nowMillis, out);
            }
        }
    }

    /** The daemon opened the loopback proxy: WireGuard talks to the peer through it from now on. */
    void onEndpoint(PeerPath p, long sessionId, InetSocketAddress loopback, long nowMillis, Out out) {
        RelayEnd e = ends.get(p.key());
        if (e == null || e.phase != Phase.OPENING || e.sessionId != sessionId) {
            out.add(new Action.RelayDrop(p.key(), sessionId)); // stale: we moved on meanwhile
            return;
        }
        p.handOver();
        e.loopback = loopback;
        e.to(Phase.RELAYED, nowMillis);
        e.working = false;
        e.rxAtSwitch = p.link().rx();
        e.refreshedMillis = nowMillis;
        e.pingMillis = 0;
        e.probe = null;
        e.bothNext = false;
        e.askedWindowMillis = 0;
        e.roam = null;
        e.nextProbeMillis = nowMillis + probeDelay(p);
        // Only the initiator keeps the session warm before it works: two initiating ends drop each other's responses.
        out.update(PeerUpdate.of(p.key()).endpoint(loopback).keepalive(e.initiator ? PeerPath.KEEPALIVE_PROBING : 0).build());
        if (e.initiator || p.link().live(nowMillis)) out.send(p.gossipAddress(), new Message.Ping());
    }

    // ---------------------------------------------------------------- status

    MeshStatus.Peer status(PeerPath p, MeshStatus.Peer base, long nowMillis) {
        RelayEnd e = ends.get(p.key());
        if (e == null) return base;
        if (e.phase == Phase.RELAYED && e.working) {
            return base.withRelay(State.RELAYED, Optional.ofNullable(e.loopback), Optional.of(e.via.name()), Optional.empty());
        }
        String note = switch (e.phase) {
            case IDLE -> "no relay available";
            case ASKING -> "asking " + e.via.name() + " to relay";
            case OPENING, RELAYED -> "setting up the relay via " + e.via.name();
            case WAITING -> "waiting for the next relay";
        };
        return base.withRelay(base.state(), base.endpoint(), Optional.empty(), Optional.of(note));
    }

    // ---------------------------------------------------------------- inside

    /** Asks the best relay not yet failed for this peer, or records that none is left. */
    private void ask(RelayEnd e, long nowMillis, Out out) {
        Optional<PeerPath> c = best(e, nowMillis);
        if (c.isEmpty()) {
            e.via = null;
            e.to(Phase.IDLE, nowMillis);
            e.nextAskMillis = nowMillis + ASK_AGAIN_MS;
            if (e.peer.relayed()) e.peer.resumeProbing(nowMillis); // nothing carries it: try direct meanwhile
            return;
        }
        e.via = c.get();
        e.requestId = random.nextLong();
        e.to(Phase.ASKING, nowMillis);
        out.send(e.via.gossipAddress(), new Message.Ping(), List.of(new Extension.RelayRequest(e.requestId, e.peer.b64())));
    }

    /** Connected automesh peers that offer to relay, other than the target, lowest round trip first. */
    private Optional<PeerPath> best(RelayEnd e, long nowMillis) {
        return all.stream()
                .filter(c -> c != e.peer && relayLive(c, nowMillis) && neighbours.relays(c.key()) && !skipped(e, c, nowMillis))
                .min(Comparator.<PeerPath>comparingLong(c -> neighbours.rttMillis(c.key()).orElse(Long.MAX_VALUE))
                        .thenComparing(PeerPath::b64));
    }

    private static boolean relayLive(PeerPath c, long nowMillis) {
        return c != null && c.link().present() && !c.relayed() && c.connected(nowMillis);
    }

    private void setupTimeouts(RelayEnd e, long nowMillis, Out out) {
        long in = nowMillis - e.phaseSinceMillis;
        if (e.phase == Phase.ASKING && in >= SETUP_TIMEOUT_MS) {
            bad(e, e.via.key(), nowMillis + BAD_RELAY_MS);
            ask(e, nowMillis, out);
        } else if (e.phase == Phase.OPENING && in >= SETUP_TIMEOUT_MS) {
            lost(e, LostWhy.SETUP_FAILED, nowMillis, out);
        } else if (e.phase == Phase.WAITING && in >= WAIT_NEXT_MS) {
            ends.remove(e.peer.key());
            e.peer.resumeProbing(nowMillis);
        } else if (e.phase == Phase.IDLE && !e.initiator) {
            ends.remove(e.peer.key());
            if (e.peer.relayed()) e.peer.resumeProbing(nowMillis);
        }
    }

    /** The relay stopped carrying the peer: drop it, and ask the next one (the initiator) or wait for it. */
    private boolean lost(RelayEnd e, LostWhy why, long nowMillis, Out out) {
        PeerPath old = e.via;
        out.add(new Action.RelayDrop(e.peer.key(), e.sessionId));
        if (why != LostWhy.CLOSED && relayLive(old, nowMillis)) {
            out.send(old.gossipAddress(), new Message.Ping(), List.of(new Extension.RelayClose(e.sessionId, Closing.NOT_NEEDED)));
        }
        if (old != null) bad(e, old.key(), nowMillis + BAD_RELAY_MS);
        boolean wasWorking = e.phase == Phase.RELAYED && e.working;
        e.working = false;
        e.probe = null;
        e.closed = false;
        e.bothNext = false;
        e.askedWindowMillis = 0;
        e.roam = null;
        e.sessionId = 0;
        if (e.initiator) {
            ask(e, nowMillis, out);
        } else {
            e.via = null;
            e.to(Phase.WAITING, nowMillis);
        }
        if (wasWorking || why == LostWhy.SETUP_FAILED) {
            Optional<String> next = e.phase == Phase.ASKING ? Optional.of(e.via.name()) : Optional.empty();
            out.add(new Notice.RelayLost(e.peer.name(), e.peer.b64(), old == null ? "?" : old.name(), why, next));
        }
        return false;
    }

    /** Direct works again: WireGuard stays at {@code endpoint}, the relay is let go. */
    private void directAgain(RelayEnd e, InetSocketAddress endpoint, List<PathCandidate> cands, long nowMillis, Out out) {
        out.add(new Notice.DirectAgain(e.peer.name(), e.peer.b64(), endpoint, e.via.name()));
        out.add(new Action.RelayDrop(e.peer.key(), e.sessionId));
        out.send(e.via.gossipAddress(), new Message.Ping(), List.of(new Extension.RelayClose(e.sessionId, Closing.NOT_NEEDED)));
        ends.remove(e.peer.key());
        probeLevel.merge(e.peer.key(), 1, Integer::sum); // should it fail again soon, the next probe waits longer
        directSince.put(e.peer.key(), nowMillis);
        e.peer.resumeDirect(endpoint, cands, nowMillis);
    }

    private void cancel(RelayEnd e, Out out) {
        if (e.phase == Phase.OPENING || e.phase == Phase.RELAYED) out.add(new Action.RelayDrop(e.peer.key(), e.sessionId));
        if (e.via != null && e.sessionId != 0) {
            out.send(e.via.gossipAddress(), new Message.Ping(), List.of(new Extension.RelayClose(e.sessionId, Closing.NOT_NEEDED)));
        }
        ends.remove(e.peer.key());
    }

    /**
     * A scheduled probe: one-sided first (the initiator alone points WireGuard at the direct endpoint,
     * enough when the other end's NAT lets unsolicited input in); after it failed, two-sided: ask the
     * other end through the relay, and switch at the next drive, when the request has crossed it.
     */
    private void startProbe(RelayEnd e, List<PathCandidate> cands, long nowMillis, Out out) {
        InetSocketAddress ep = cands.get(0).address();
        if (e.bothNext) {
            e.bothNext = false;
            e.probe = RelayEnd.Probe.both(ep, nowMillis, false, BOTH_WINDOW_MS);
            out.send(e.peer.gossipAddress(), new Message.Ping(), List.of(new Extension.ProbeDirect(e.sessionId, (int) BOTH_ASKED_MS)));
            return;
        }
        e.probe = RelayEnd.Probe.oneSided(ep, nowMillis, e.peer.link().rx(), PROBE_WINDOW_MS);
        out.update(PeerUpdate.of(e.peer.key()).endpoint(ep).build());
        out.send(e.peer.gossipAddress(), new Message.Ping()); // through the tunnel, now to the direct endpoint
    }

    /** Points WireGuard at {@code ep} for a two-sided probe and sends through it. */
    private void startBoth(RelayEnd e, InetSocketAddress ep, long windowMillis, long nowMillis, Out out) {
        e.probe = RelayEnd.Probe.both(ep, nowMillis, true, windowMillis);
        out.update(PeerUpdate.of(e.peer.key()).endpoint(ep).build());
        out.send(e.peer.gossipAddress(), new Message.Ping());
    }

    /**
     * A drive during a probe. In a two-sided one both ends Ping through the tunnel at every drive: the
     * first packets each way open the sender's NAT for the answers, the later ones pass both.
     */
    private void probeStep(RelayEnd e, List<PathCandidate> cands, long nowMillis, Out out) {
        RelayEnd.Probe pr = e.probe;
        if (!pr.switched()) {
            startBoth(e, pr.endpoint(), pr.windowMillis(), nowMillis, out);
            return;
        }
        if (e.closed || nowMillis - pr.startMillis() >= pr.windowMillis()) {
            finishProbe(e, cands, nowMillis, out);
            return;
        }
        if (pr.both()) {
            Link link = e.peer.link();
            if (pr.rxAtStart() < 0 && link.at(pr.endpoint())) e.probe = pr.counting(link.rx());
            out.send(e.peer.gossipAddress(), new Message.Ping());
        }
    }

    /** Worked if WireGuard still sends to the direct endpoint and something came back there. */
    private void finishProbe(RelayEnd e, List<PathCandidate> cands, long nowMillis, Out out) {
        RelayEnd.Probe pr = e.probe;
        e.probe = null;
        if (pr.worked(e.peer.link())) {
            directAgain(e, pr.endpoint(), cands, nowMillis, out);
            return;
        }
        if (e.closed) {
            lost(e, LostWhy.CLOSED, nowMillis, out);
            return;
        }
        out.update(PeerUpdate.of(e.peer.key()).endpoint(e.loopback).keepalive(KEEPALIVE_RELAYED).build());
        // reads may still show our own probe's endpoint for a while: that is no roam of the peer's
        e.roam = null;
        e.settledMillis = nowMillis + PROBE_WINDOW_MS;
        if (!e.initiator) return;
        if (!pr.both()) {
            e.bothNext = true; // at the next drive, once WireGuard is back on the relay for the request
            return;
        }
        probeLevel.merge(e.peer.key(), 1, Integer::sum);
        e.nextProbeMillis = nowMillis + probeDelay(e.peer);
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
            if (ep.isEmpty()) out.update(PeerUpdate.of(e.peer.key()).endpoint(e.loopback).keepalive(KEEPALIVE_RELAYED).build());
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

    private void bad(RelayEnd e, WgKey relay, long untilMillis) {
        badUntil.computeIfAbsent(e.peer.key(), k -> new HashMap<>()).put(relay, untilMillis);
    }

    private boolean skipped(RelayEnd e, PeerPath relay, long nowMillis) {
        Long until = badUntil.getOrDefault(e.peer.key(), Map.of()).get(relay.key());
        return until != null && until > nowMillis;
    }

    private long probeDelay(PeerPath p) {
        int level = probeLevel.getOrDefault(p.key(), 0);
        return Math.min(PROBE_MAX_MS, PROBE_FIRST_MS << Math.min(level, 10));
    }

    /** Well within the relay's idle timeout: a third of it. */
    private static long refreshMs(RelayEnd e) {
        return e.idleTimeoutS * 1000L / 3;
    }

    /** For tests: the phase of the peer's relay record, empty when it has none. */
    Optional<Phase> phase(WgKey peer) {
        return Optional.ofNullable(ends.get(peer)).map(e -> e.phase);
    }
}
