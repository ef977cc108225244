package dev.automesh.mesh;

import dev.automesh.crypto.WgKey;
import dev.automesh.mesh.Action.Notice;
import dev.automesh.mesh.Action.Notice.LostWhy;
import dev.automesh.mesh.MeshStatus.State;
import dev.automesh.mesh.RelayEnd.Phase;
import dev.automesh.wg.IpPrefix;
import dev.automesh.wg.PeerUpdate;
import dev.automesh.wire.Extension;
import dev.automesh.wire.Extension.Closing;
import dev.automesh.wire.Message;
import java.net.InetSocketAddress;
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
    /** No direct handshake this long after probing began (with a candidate tried a window ago): ask a relay. */
    static final long RELAY_AFTER_MS = 8_000;
    /** The same after a direct path that worked broke: a re-mapped pair needs a gossip round and a punch first. */
    static final long RELAY_AFTER_LOSS_MS = 15_000;
    /** RelayRequest → RelayReady, and RelayUse → loopback endpoint. */
    static final long SETUP_TIMEOUT_MS = 3_000;
    /** A fresh switch with no handshake yet this long after it: once more (a handshake takes one round trip). */
    static final long FRESH_RETRY_MS = 2_000;
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
    /** A relay whose agent left a Ping of ours this long unanswered is not asked (its tunnel may still be up). */
    static final long AGENT_ANSWER_MS = 10_000;
    /** A non-initiating end that lost its relay waits this long for the next one before probing itself. */
    static final long WAIT_NEXT_MS = 10_000;
    static final int KEEPALIVE_RELAYED = 25;

    private final WgKey ownKey;
    private final SplittableRandom random;
    private final Neighbours neighbours;
    private final Function<String, PeerPath> byB64;
    private final Collection<PeerPath> all;
    private final Map<WgKey, RelayEnd> ends = new HashMap<>();
    private final RelayProbes probes = new RelayProbes();
    private final PunchEvidence evidence;
    /** Per peer not directly up: when we first saw one of its candidates tried. */
    private final Map<WgKey, Long> firstTriedMillis = new HashMap<>();
    /** Per peer, the relays that failed or refused for it, until when they are skipped. */
    private final Map<WgKey, Map<WgKey, Long>> badUntil = new HashMap<>();

    RelayPaths(WgKey own, SplittableRandom random, Neighbours neighbours, Function<String, PeerPath> byB64,
            Collection<PeerPath> all) {
        this.ownKey = own;
        this.random = random;
        this.neighbours = neighbours;
        this.byB64 = byB64;
        this.all = all;
        this.evidence = new PunchEvidence(all, this::mayRelay, nearestFirst());
    }

    boolean initiator(PeerPath p) {
        return ownKey.compareUnsigned(p.key()) < 0; // no copy of the key: this runs per peer on every drive
    }

    /** A peer not held by a relay, after its direct judge and move: ask for a relay, or cancel one. */
    void afterDirect(PeerPath p, List<PathCandidate> cands, long nowMillis, Out out) {
        RelayEnd e = ends.get(p.key());
        if (p.up()) {
            firstTriedMillis.remove(p.key());
            evidence.forget(p);
            probes.directUp(p, nowMillis);
            if (e != null) cancel(e, out);
            return;
        }
        probes.directDown(p);
        if (!initiator(p)) {
            if (e != null) setupTimeouts(e, nowMillis, out);
            else evidence.report(p, nowMillis, out);
            return;
        }
        int tried = p.tried(cands);
        if (tried > 0) firstTriedMillis.putIfAbsent(p.key(), nowMillis);
        // A candidate learnt late (our tunnel to the gossiping node came up late) still gets one window:
        // a pair that can punch is never relayed for want of time to try.
        boolean triedLongEnough = tried > 0 && nowMillis - firstTriedMillis.get(p.key()) >= PeerPath.TRY_WINDOW_MS;
        // A direct path that broke (a NAT re-map) comes back directly once gossip brings both ends' new
        // addresses: it gets longer, and its old candidates failing says nothing yet.
        long after = p.brokeDown() ? RELAY_AFTER_LOSS_MS : RELAY_AFTER_MS;
        boolean waitedEnough = nowMillis - p.downSinceMillis() >= after && (triedLongEnough || cands.isEmpty());
        // Both ends tried each other's public address without a handshake: the punch failed.
        boolean bothTried = evidence.bothTried(p, nowMillis);
        if (e == null && !(waitedEnough || bothTried || (!p.brokeDown() && p.allFailed(cands)))) return;
        if (e == null) {
            e = new RelayEnd(p, true);
            e.noDirectSeconds = (nowMillis - p.downSinceMillis()) / 1000;
            e.triedCandidates = p.tried(cands);
            if (bothTried && !waitedEnough) e.theirTryMillis = evidence.theirTryMillis(p, nowMillis);
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
            // The first initiation through the relay was lost (the other end's proxy not open yet, say):
            // one more fresh start rather than WireGuard's own retry 5 s later.
            if (e.initiator && e.fresh && !e.freshRetried && link.handshakeS() == 0
                    && nowMillis - e.switchedMillis >= FRESH_RETRY_MS) {
                e.freshRetried = true;
                switchTo(e, nowMillis, out);
            }
            if (link.live(nowMillis) && link.rx() > e.rxAtSwitch) {
                e.working = true;
                justWorking = true;
                out.update(PeerUpdate.of(p.key()).keepalive(KEEPALIVE_RELAYED).build());
                out.add(new Notice.Relayed(p.name(), p.b64(), e.via.name(), e.noDirectSeconds, e.triedCandidates,
                        e.theirTryMillis));
            } else if (nowMillis - e.phaseSinceMillis >= FIRST_TRAFFIC_MS) {
                return lost(e, LostWhy.STALLED, nowMillis, out);
            }
        }
        switch (probes.drive(e, cands, nowMillis, out)) {
            case PROBING: return justWorking;
            case DIRECT: ends.remove(p.key()); return false;
            case CLOSED: return lost(e, LostWhy.CLOSED, nowMillis, out);
            case NONE: break;
        }
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
        probes.maybeStart(e, cands, nowMillis, out);
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
        declined(e, true, nowMillis, out);
    }

    /** A relay passed on the peer's PunchReport: evidence for the asking end, nothing for the other. */
    void onPunchNotice(PeerPath relay, Extension.PunchNotice n, long nowMillis) {
        PeerPath p = byB64.apply(n.peer());
        if (p != null && initiator(p) && !ends.containsKey(p.key())) evidence.onNotice(relay, p, n, nowMillis);
    }

    /** The initiator asks for a two-sided probe: start it at the next drive (which knows the candidates). */
    void onProbeDirect(PeerPath from, Extension.ProbeDirect d) {
        RelayEnd e = ends.get(from.key());
        if (e != null) probes.onProbeDirect(e, d);
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
        e.refreshedMillis = nowMillis;
        e.pingMillis = 0;
        e.resetProbe();
        probes.schedule(e, nowMillis);
        boolean live = p.link().live(nowMillis);
        // A session that still holds keys (a relay lost, the next one) carries on through the new endpoint;
        // without one the initiator re-creates the peer: see switchTo. Never the other end: its switch
        // races the initiator's first handshake through the relay, and re-created after answering it,
        // it would drop the session the initiator then uses (seen in the test bed under load).
        e.fresh = !live && e.initiator;
        e.freshRetried = false;
        e.rxAtSwitch = live ? p.link().rx() : 0;
        switchTo(e, nowMillis, out);
        if (live && !e.initiator) out.send(p.gossipAddress(), new Message.Ping());
    }

    /**
     * Points WireGuard at the loopback proxy. Only the initiator keeps the session warm before it works:
     * two initiating ends drop each other's responses. A fresh switch re-creates the peer: WireGuard lets
     * a peer object initiate once per 5 s, and its last initiation went to a direct candidate moments
     * ago, so the first one through the relay would wait for up to 5 s. The new peer's counters start at 0.
     */
    private void switchTo(RelayEnd e, long nowMillis, Out out) {
        PeerUpdate.Builder u = PeerUpdate.of(e.peer.key()).endpoint(e.loopback)
                .keepalive(e.initiator ? PeerPath.KEEPALIVE_PROBING : 0);
        if (e.fresh) u.allowedIps(List.of(IpPrefix.host(e.peer.gossipAddress().getAddress()))).fresh();
        e.switchedMillis = nowMillis;
        out.update(u.build());
        if (e.initiator) out.send(e.peer.gossipAddress(), new Message.Ping());
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
                .filter(c -> mayRelay(c, e.peer, nowMillis) && !skipped(e, c, nowMillis))
                .min(Comparator.<PeerPath, Boolean>comparing(c -> !evidence.vouched(e.peer, c, nowMillis))
                        .thenComparing(nearestFirst()));
    }

    /** Could relay for {@code target}, as far as we know: automesh, willing, its agent answering, a live direct tunnel. */
    boolean mayRelay(PeerPath c, PeerPath target, long nowMillis) {
        return c != target && relayLive(c, nowMillis) && neighbours.relays(c.key())
                && neighbours.answering(c.key(), nowMillis, AGENT_ANSWER_MS);
    }

    /** Lowest smoothed round trip first (unknown last), then by key. */
    Comparator<PeerPath> nearestFirst() {
        return Comparator.<PeerPath>comparingLong(c -> neighbours.rttMillis(c.key()).orElse(Long.MAX_VALUE))
                .thenComparing(PeerPath::b64);
    }

    private static boolean relayLive(PeerPath c, long nowMillis) {
        return c != null && c.link().present() && !c.relayed() && c.connected(nowMillis);
    }

    private void setupTimeouts(RelayEnd e, long nowMillis, Out out) {
        long in = nowMillis - e.phaseSinceMillis;
        if (e.phase == Phase.ASKING && in >= SETUP_TIMEOUT_MS) {
            declined(e, false, nowMillis, out);
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

    /** The relay asked refused or did not answer: the next one, and say so (the last word on a chain of asks). */
    private void declined(RelayEnd e, boolean refused, long nowMillis, Out out) {
        PeerPath asked = e.via;
        bad(e, asked.key(), nowMillis + BAD_RELAY_MS);
        ask(e, nowMillis, out);
        Optional<String> next = e.phase == Phase.ASKING ? Optional.of(e.via.name()) : Optional.empty();
        out.add(new Notice.RelayDeclined(e.peer.name(), e.peer.b64(), asked.name(), refused, next));
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
        e.resetProbe();
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

    private void cancel(RelayEnd e, Out out) {
        if (e.phase == Phase.OPENING || e.phase == Phase.RELAYED) out.add(new Action.RelayDrop(e.peer.key(), e.sessionId));
        if (e.via != null && e.sessionId != 0) {
            out.send(e.via.gossipAddress(), new Message.Ping(), List.of(new Extension.RelayClose(e.sessionId, Closing.NOT_NEEDED)));
        }
        ends.remove(e.peer.key());
    }

    private void bad(RelayEnd e, WgKey relay, long untilMillis) {
        badUntil.computeIfAbsent(e.peer.key(), k -> new HashMap<>()).put(relay, untilMillis);
    }

    private boolean skipped(RelayEnd e, PeerPath relay, long nowMillis) {
        Long until = badUntil.getOrDefault(e.peer.key(), Map.of()).get(relay.key());
        return until != null && until > nowMillis;
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
