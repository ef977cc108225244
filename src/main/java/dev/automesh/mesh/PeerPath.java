package dev.automesh.mesh;

import dev.automesh.config.PeerConfig;
import dev.automesh.crypto.WgKey;
import dev.automesh.mesh.Action.Notice;
import dev.automesh.mesh.MeshStatus.Source;
import dev.automesh.mesh.MeshStatus.SourceKind;
import dev.automesh.mesh.MeshStatus.State;
import dev.automesh.wg.IpPrefix;
import dev.automesh.wg.PeerUpdate;
import dev.automesh.wg.WgPeer;
import dev.automesh.wire.Message;
import dev.automesh.wire.TimedEndpoint;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * How we reach one configured peer: what WireGuard says about its session ({@link Link}), whether that
 * path is live or went silent, the endpoint we set and why, the candidates' tries and backoff
 * ({@link Attempts}), and a move to a fresh LAN endpoint. Each event, the router computes the
 * candidates once and hands them to {@link #judge} (state change and its notice) and then to
 * {@link #move} (the next endpoint, keepalive, a Ping). Only the owning Mesh touches it.
 */
final class PeerPath {
    /**
     * "Connected" = a handshake within 215 s. WireGuard refuses a session's keys after 180 s
     * (REJECT_AFTER_TIME) and re-keys on the next packet; on an idle link that packet is the next
     * keepalive (30 s) and the handshake takes up to REKEY_TIMEOUT (5 s). An older handshake means
     * nothing can flow, so probing may start then, well before wgautomesh's 300 s would notice. Paths
     * that die sooner are found by {@link Liveness}.
     */
    static final long CONNECTED_S = 180 + 30 + 5;
    /** WireGuard retries a handshake every 5 s: give each candidate one retry's worth, plus slack. */
    static final long TRY_WINDOW_MS = 6_000;
    /** An idle link's broken keepalive rhythm is checked in one second out of this many. */
    static final int IDLE_SLOTS = 4;
    static final int KEEPALIVE_PROBING = 10;
    static final int KEEPALIVE_CONNECTED = 30;

    /** The endpoint we last set (or adopted on connecting), where it came from, and whether its try was judged. */
    private record Current(InetSocketAddress endpoint, Source source, long sinceMillis, boolean judged) {
        Current at(InetSocketAddress e, Source s) {
            return new Current(e, s, sinceMillis, judged);
        }

        Current judgedNow() {
            return new Current(endpoint, source, sinceMillis, true);
        }
    }

    /** A connected peer tries its LAN endpoint; if nothing arrives there, {@code from} is put back. */
    private record LanUpgrade(InetSocketAddress from, InetSocketAddress lan, long rxAtStart) {}

    private final PeerConfig config;
    private final String b64;
    private final String name;
    private final long rank;
    private final List<IpPrefix> allowedIps;
    private final InetSocketAddress gossipAddress;

    private Link link = Link.NONE;
    /** Whether the path proves itself: Pings when in doubt, and the verdict. */
    private final Liveness liveness = new Liveness();
    /** The last judge() turned a connected path into a lost one. */
    private boolean justLost;
    /**
     * The last move pinged because this busy path went quiet: the first sign that our NAT may have
     * re-mapped us. (Not data unanswered, which a one-way stream shows every second, nor a keepalive
     * rhythm, which a re-key can break on a healthy idle link.)
     */
    private boolean justDoubted;
    private MeshStatus.Loss lastLoss;
    /** When the device was last read: silence is judged by what was read, so a stuck read is no silence. */
    private long readMillis;
    private int keepalive = -1;
    private State state;
    private Current current;
    private final Whereabouts where;
    private final Attempts attempts = new Attempts();
    private LanUpgrade upgrade;
    /** When it last went from up (or from the start) to not connected directly. */
    private long downSinceMillis;
    private boolean brokeDown;
    /** RelayPaths drives it while a relay holds it: judge and move are not called then. */
    private final RelayHandback relay = new RelayHandback();
    private final Initiations initiations = new Initiations();
    /** Whether this end re-creates the peer to initiate at once (see the constructor). */
    private final boolean recreates;

    PeerPath(PeerConfig config, String ownB64, int gossipPort) {
        this(config, ownB64, gossipPort, false);
    }

    /** @param ownEndpointConfigured whether the config gives this node an endpoint (others can reach it first) */
    PeerPath(PeerConfig config, String ownB64, int gossipPort, boolean ownEndpointConfigured) {
        this.config = config;
        this.b64 = config.pubkey().toBase64();
        this.name = config.displayName();
        this.rank = Xxh3.hash64((ownB64 + "-" + b64).getBytes(StandardCharsets.UTF_8));
        this.allowedIps = List.of(IpPrefix.host(config.address()));
        this.gossipAddress = new InetSocketAddress(config.address(), gossipPort);
        this.where = new Whereabouts(b64);
        // One end of a pair re-creates, never both: the other's re-creation could drop the session it
        // just answered. The end that knows the other's configured endpoint, else the smaller key.
        boolean peerHasEndpoint = config.endpoint().isPresent();
        this.recreates = peerHasEndpoint != ownEndpointConfigured ? peerHasEndpoint : ownB64.compareTo(b64) < 0;
    }

    String b64() { return b64; }

    String name() { return name; }

    WgKey key() { return config.pubkey(); }

    /** Unsigned xxh3 of "our key-its key": the fan-out order. */
    long rank() { return rank; }

    Link link() { return link; }

    /** Its mesh address at the gossip port: gossip to it goes through its tunnel. */
    InetSocketAddress gossipAddress() { return gossipAddress; }

    // ---------------------------------------------------------------- what we learn

    /** At start: only the allowed IPs; see Mesh.start for why no endpoint or keepalive yet. */
    void configureAllowedIps(Out out) {
        out.update(PeerUpdate.of(config.pubkey()).allowedIps(allowedIps).build());
    }

    /** A device read: its view of the peer, or empty when the device lacks it (configured again in full). */
    void observe(Optional<WgPeer> seen, long nowMillis, Out out) {
        if (seen.isEmpty()) {
            keepalive = -1;
            link = link.gone();
            out.update(fullUpdate(current == null ? null : current.endpoint()));
            return;
        }
        WgPeer w = seen.get();
        link = link.read(w, nowMillis);
        relay.observed(link);
        readMillis = nowMillis;
        if (!w.allowedIps().equals(allowedIps)) configureAllowedIps(out);
    }

    /** The gossip table took a fresher sighting of this peer. */
    void onGossiped(TimedEndpoint e, long nowMillis) {
        attempts.forget(e.address()); // a fresher sighting resets its backoff
        // Seen elsewhere after our last handshake: it may have moved (its NAT mapping changed?). Not
        // before the first device read: every saved sighting would then doubt every connected peer.
        if (link.handshakeS() > 0 && e.unixSeconds() > link.handshakeS() && !link.at(e.address())) {
            liveness.seenElsewhere(nowMillis);
        }
    }

    /** @return whether it is news (a new address, or the old one had gone stale) */
    boolean onLanBroadcast(InetSocketAddress address, long nowMillis) {
        return where.onLanBroadcast(address, nowMillis, attempts);
    }

    int attemptRecords() {
        return attempts.size();
    }

    /** Whether its LAN endpoint was seen (and proven) at {@code address}. */
    boolean lanAt(InetSocketAddress address) {
        return where.lanAt(address);
    }

    /** @return whether the config endpoint's addresses changed */
    boolean onResolved(List<InetSocketAddress> usable) {
        return where.onResolved(usable, attempts);
    }

    /** Where WireGuard sees a live peer, dated, unless it is only our own guess or a LAN address. */
    Optional<TimedEndpoint> sighting(long nowMillis) {
        if (!link.live(nowMillis) || link.endpoint().isEmpty()) return Optional.empty();
        InetSocketAddress ep = link.endpoint().get();
        // An endpoint we set after the latest handshake is only a guess, not a sighting.
        if (current != null && ep.equals(current.endpoint()) && link.handshakeS() < current.sinceMillis() / 1000) {
            return Optional.empty();
        }
        // A LAN address means nothing off the LAN, and the nodes on it hear the broadcast themselves.
        if (where.freshLan(nowMillis).equals(Optional.of(ep))) return Optional.empty();
        // Seen there at the handshake, or later if WireGuard roamed there since: a roamed-to address
        // dated at the old handshake would rank below the address the peer just left.
        return Optional.of(new TimedEndpoint(ep, Math.max(link.handshakeS(), link.roamedAtS())));
    }

    /** In trying order: a fresh LAN endpoint, then gossiped and saved endpoints newest first, then the config's. */
    List<PathCandidate> candidates(GossipTable table, long nowMillis) {
        return where.candidates(table, attempts, nowMillis);
    }

    // ---------------------------------------------------------------- what we do

    /**
     * Updates the state and emits a notice when it changed.
     *
     * @return whether the peer just connected (the router then swaps gossip tables with it)
     */
    boolean judge(List<PathCandidate> cands, long nowMillis, Out out) {
        State before = state;
        justLost = false;
        justDoubted = false;
        state = stateOf(cands, nowMillis);
        if (!up(state) && (before == null || up(before))) {
            downSinceMillis = nowMillis;
            brokeDown = before != null;
        }
        if (up(state)) {
            if (up(before)) return false;
            connected(before, cands, nowMillis, out);
            return true;
        }
        if (up(before)) {
            justLost = true;
            attempts.resetBackoff();
            if (current != null) current = current.judgedNow();
            Notice.Lost.Reason why = lossReason(nowMillis);
            lastLoss = new MeshStatus.Loss(why, nowMillis / 1000);
            out.add(new Notice.Lost(name, b64, before, state, why, cands.size()));
        } else if (state != before && state == State.NO_CANDIDATES) {
            out.add(new Notice.NoCandidates(name, b64, Optional.ofNullable(before)));
        }
        return false;
    }

    /** After {@link #judge}: keeps a connected path (keepalive, a Ping when in doubt, the LAN upgrade) or probes. */
    void move(List<PathCandidate> cands, long nowMillis, Out out) {
        attempts.retain(cands); // records only for what can be tried: bounded by the candidates
        if (up(state)) {
            moveConnected(cands, nowMillis, out);
        } else {
            probe(cands, nowMillis, out);
        }
    }

    private void connected(State before, List<PathCandidate> cands, long nowMillis, Out out) {
        InetSocketAddress ep = link.endpoint().orElse(current == null ? null : current.endpoint());
        Optional<Source> source = Optional.empty();
        OptionalLong announcedAgo = OptionalLong.empty();
        OptionalLong triedAgo = OptionalLong.empty();
        if (ep != null) {
            Source s = sourceOf(ep, cands);
            OptionalLong learnedAt = find(cands, ep).map(PathCandidate::learnedAtMillis).orElse(OptionalLong.empty());
            if (s.kind() == SourceKind.GOSSIP && learnedAt.isPresent()) {
                announcedAgo = OptionalLong.of(nowMillis - learnedAt.getAsLong());
            } else if (current != null && current.endpoint().equals(ep) && before != null) {
                triedAgo = OptionalLong.of(nowMillis - current.sinceMillis());
            }
            // Status keeps naming the source the notice named, even if others gossip the address later.
            current = current == null ? new Current(ep, s, 0, true) : current.at(ep, s);
            source = Optional.of(s);
        }
        out.add(new Notice.Connected(name, b64, Optional.ofNullable(before), state, Optional.ofNullable(ep), source,
                announcedAgo, triedAgo));
        attempts.resetBackoff();
        upgrade = null;
    }

    private Notice.Lost.Reason lossReason(long nowMillis) {
        long quietS = (nowMillis - link.rxChangedMillis()) / 1000;
        if (link.live(nowMillis)) {
            return liveness.judgedDead(link, readMillis, nowMillis)
                    .<Notice.Lost.Reason>map(v -> new Notice.Lost.Unanswered(v.why(), quietS, (nowMillis - v.pingedAtMillis()) / 1000))
                    .orElse(new Notice.Lost.Silent(quietS));
        }
        if (link.handshakeS() == 0) return new Notice.Lost.NoSession();
        return new Notice.Lost.Expired(nowMillis / 1000 - link.handshakeS());
    }

    private void moveConnected(List<PathCandidate> cands, long nowMillis, Out out) {
        if (upgrade != null) {
            if (nowMillis - current.sinceMillis() >= TRY_WINDOW_MS) finishLanUpgrade(cands, nowMillis, out);
            return;
        }
        pingIfInDoubt(nowMillis, out);
        // WireGuard roams a live session on its own; the only move we make is to a fresh LAN endpoint.
        Optional<InetSocketAddress> lan = where.freshLan(nowMillis);
        if (lan.isPresent() && link.endpoint().isPresent() && !link.at(lan.get()) && attempts.eligible(lan.get(), nowMillis)
                && out.mayPing(Out.Ping.TRY)) {
            upgrade = new LanUpgrade(link.endpoint().get(), lan.get(), link.rx());
            tryEndpoint(where.lanCandidate(OptionalLong.empty()), nowMillis, out);
            return;
        }
        if (keepalive != KEEPALIVE_CONNECTED) {
            keepalive = KEEPALIVE_CONNECTED;
            out.update(PeerUpdate.of(config.pubkey()).keepalive(KEEPALIVE_CONNECTED).build());
        }
    }

    /** A connected path in doubt gets one Ping through the tunnel; its answer (or none) decides. */
    void pingIfInDoubt(long nowMillis, Out out) {
        if (!out.mayPing(Out.Ping.CHECK)) return; // the doubt stays, for a later drive
        Optional<Doubt> why = liveness.doubt(link, nowMillis);
        if (why.isEmpty()) return;
        Out.Ping kind = why.get() == Doubt.KEEPALIVES_STOPPED ? Out.Ping.IDLE_CHECK : Out.Ping.CHECK;
        // The link's silence still says so at a later drive. Each pair checks in its own second of a
        // few (by rank, which differs per node): a cold start's swaps would otherwise make every node
        // ping the same first peers of the config in the same second.
        if (kind == Out.Ping.IDLE_CHECK && (Long.remainderUnsigned(rank, IDLE_SLOTS) != (nowMillis / 1000) % IDLE_SLOTS
                || !out.mayPing(kind))) {
            return;
        }
        liveness.pinged(why.get(), nowMillis);
        justDoubted |= why.get() == Doubt.WENT_QUIET;
        out.ping(gossipAddress, kind);
    }

    /** Something outside this path casts doubt on it; a disconnected one retries its candidates now. */
    void suspect(Doubt why) {
        liveness.suspect(why);
        if (!up(state)) attempts.resetBackoff();
    }

    /**
     * Our host's addresses or routes changed: its endpoint is set again, unchanged, so WireGuard
     * forgets the source address it kept for it (wireguard-go's sticky sockets went on sending from
     * a removed address until the endpoint was set). A relayed peer's loopback endpoint needs nothing.
     */
    void resetSource(Out out) {
        if (link.endpoint().isPresent() && !relayed()) {
            out.update(PeerUpdate.of(config.pubkey()).endpoint(link.endpoint().get()).build());
        }
    }

    /** The last judge() found the path dead. */
    boolean justLost() {
        return justLost;
    }

    /** The last move pinged it because it went quiet after being busy. */
    boolean justDoubted() {
        return justDoubted;
    }

    /** A Ping is out on it and nothing came back yet: what it received says nothing now. */
    boolean awaitingPong() {
        return liveness.outstanding(link).isPresent();
    }

    /**
     * Received something after {@code millis} over a path that leaves our LAN. A path to a private
     * address (a neighbour on our LAN) stays alive when our NAT re-maps us, so it says nothing about
     * our other paths.
     */
    boolean receivedAfter(long millis) {
        return link.present() && link.rxChangedMillis() > millis
                && link.endpoint().map(e -> !isPrivate(e.getAddress())).orElse(false);
    }

    /** 10/8, 172.16/12, 192.168/16, link-local, fc00::/7: where a neighbour is reached without our NAT. */
    static boolean isPrivate(java.net.InetAddress a) {
        byte[] b = a.getAddress();
        return a.isSiteLocalAddress() || a.isLinkLocalAddress() || (b.length == 16 && (b[0] & 0xfe) == 0xfc);
    }

    boolean hasConfigEndpoint() {
        return config.endpoint().isPresent();
    }

    /** The LAN try window is over: it worked if traffic came back from the LAN address. */
    private void finishLanUpgrade(List<PathCandidate> cands, long nowMillis, Out out) {
        boolean worked = link.at(upgrade.lan()) && link.rx() > upgrade.rxAtStart();
        if (!worked) {
            attempts.failed(upgrade.lan(), nowMillis);
            out.update(PeerUpdate.of(config.pubkey()).endpoint(upgrade.from()).keepalive(KEEPALIVE_CONNECTED).build());
            current = current.at(upgrade.from(), sourceOf(upgrade.from(), cands));
        } else {
            out.add(new Notice.MovedToLan(name, b64, upgrade.from(), upgrade.lan()));
            out.update(PeerUpdate.of(config.pubkey()).keepalive(KEEPALIVE_CONNECTED).build());
        }
        keepalive = KEEPALIVE_CONNECTED;
        upgrade = null;
    }

    /**
     * Cycles candidates: an untried one goes first (even mid-window: it is news); otherwise the current
     * one keeps its window, then counts as failed and the first candidate whose backoff is over follows.
     */
    private void probe(List<PathCandidate> cands, long nowMillis, Out out) {
        if (cands.isEmpty()) return;
        PathCandidate untried = cands.stream().filter(c -> attempts.untried(c.address())).findFirst().orElse(null);
        int currentAt = current == null ? -1 : cands.stream().map(PathCandidate::address).toList().indexOf(current.endpoint());
        boolean pending = currentAt >= 0 && !current.judged();
        boolean inWindow = pending && nowMillis - current.sinceMillis() < TRY_WINDOW_MS;
        // Mid-window, only news that ranks ahead (fresher, or LAN) interrupts the current try.
        if (inWindow && (untried == null || cands.indexOf(untried) > currentAt)) {
            retryFresh(nowMillis, out);
            return;
        }
        if (pending && !inWindow) attempts.failed(current.endpoint(), nowMillis);
        // An interrupted window is not a failure: the candidate stays eligible.
        if (current != null) current = current.judgedNow();
        PathCandidate next = untried != null ? untried
                : cands.stream().filter(c -> attempts.eligible(c.address(), nowMillis)).findFirst().orElse(null);
        if (next != null && out.mayPing(Out.Ping.TRY)) tryEndpoint(next, nowMillis, out); // else at a later drive
    }

    private void tryEndpoint(PathCandidate c, long nowMillis, Out out) {
        attempts.tried(c.address(), nowMillis);
        current = new Current(c.address(), c.source(), nowMillis, false);
        keepalive = KEEPALIVE_PROBING;
        // Without keys, WireGuard would wait out the 5 s since its initiation to the last candidate.
        PeerUpdate u = fullUpdate(c.address());
        out.update(initiations.setNow(link, nowMillis) && recreates ? u.asFresh() : u);
        out.ping(gossipAddress, Out.Ping.TRY); // traffic makes WireGuard handshake now
    }

    /** Mid-window and still no handshake: initiate again now rather than at WireGuard's 5 s. */
    private void retryFresh(long nowMillis, Out out) {
        if (!recreates || !out.mayPing(Out.Ping.TRY)) return; // refused: at a later read, if still due
        if (!initiations.retryNow(link, current.sinceMillis(), readMillis, nowMillis)) return;
        out.update(fullUpdate(current.endpoint()).asFresh());
        out.ping(gossipAddress, Out.Ping.TRY);
    }

    /** Keepalive only together with an endpoint: see Mesh.start for why a peer without one gets none. */
    private PeerUpdate fullUpdate(InetSocketAddress endpoint) {
        var b = PeerUpdate.of(config.pubkey()).allowedIps(allowedIps);
        if (endpoint != null) {
            if (keepalive <= 0) keepalive = KEEPALIVE_PROBING;
            b.endpoint(endpoint).keepalive(keepalive);
        }
        return b.build();
    }

    // ---------------------------------------------------------------- relayed paths (RelayPaths drives these)

    boolean relayed() { return relay.held(); }

    /** Directly up, as last judged. */
    boolean up() { return up(state); }

    /** When it was last judged not connected after being up (or at its first judgement). */
    long downSinceMillis() { return downSinceMillis; }

    /** Whether it is down because a direct path that worked broke (not because none has worked yet). */
    boolean brokeDown() { return brokeDown; }

    /** The endpoint WireGuard was last pointed at to try, and since when, while not up nor relayed; else null. */
    Trying trying() {
        return current == null || up() || relayed() ? null : new Trying(current.endpoint(), current.source(), current.sinceMillis());
    }

    /** @param source who told us of the endpoint (a gossiping peer has a tunnel to it, most likely) */
    record Trying(InetSocketAddress endpoint, Source source, long sinceMillis) {}

    /** How many of these candidates were set as its endpoint at least once. */
    int tried(List<PathCandidate> cands) {
        return (int) cands.stream().filter(c -> !attempts.untried(c.address())).count();
    }

    /** Every candidate had its window and failed at least once. */
    boolean allFailed(List<PathCandidate> cands) {
        return !cands.isEmpty() && cands.stream().allMatch(c -> attempts.of(c.address()).map(a -> a.failures() > 0).orElse(false));
    }

    /** A relay takes the path over: no direct tries, no LAN upgrade until it hands it back. */
    void handOver() {
        relay.hold();
        upgrade = null;
        current = null;
    }

    /** Back from the relay, connected directly at {@code endpoint} (no Connected notice: DirectAgain said it). */
    void resumeDirect(InetSocketAddress endpoint, List<PathCandidate> cands, long nowMillis) {
        relay.backDirect();
        state = State.CONNECTED;
        current = new Current(endpoint, find(cands, endpoint).map(PathCandidate::source)
                .orElse(new Source(SourceKind.WIREGUARD, "")), nowMillis, true);
        keepalive = -1; // the next move sets the connected keepalive
        liveness.reset();
        attempts.resetBackoff();
    }

    /** Back from the relay, not connected: probe direct candidates again. */
    void resumeProbing(long nowMillis) {
        relay.backProbing(link);
        state = State.PROBING;
        current = null;
        keepalive = -1;
        liveness.reset();
        attempts.resetBackoff();
    }

    // ---------------------------------------------------------------- what we know

    /** Everything status shows about this peer. */
    MeshStatus.Peer status(List<PathCandidate> cands, long nowMillis) {
        List<MeshStatus.Candidate> list = new ArrayList<>();
        for (PathCandidate c : cands) {
            Optional<Attempts.Attempt> a = attempts.of(c.address());
            int tries = a.map(Attempts.Attempt::tries).orElse(0);
            list.add(new MeshStatus.Candidate(c.address(), c.source(), c.unixSeconds(), tries,
                    tries == 0 ? OptionalLong.empty() : OptionalLong.of(nowMillis - a.get().lastTriedMillis()),
                    a.map(x -> Math.max(0, x.eligibleAtMillis() - nowMillis)).orElse(0L)));
        }
        Optional<InetSocketAddress> ep = link.endpoint().isPresent() ? link.endpoint()
                : Optional.ofNullable(current).map(Current::endpoint);
        long hs = link.handshakeS();
        return new MeshStatus.Peer(name, b64, config.address(), stateOf(cands, nowMillis), ep,
                ep.map(e -> sourceOf(e, cands)),
                hs > 0 ? OptionalLong.of(Math.max(0, nowMillis / 1000 - hs)) : OptionalLong.empty(),
                list, link.rx(), link.tx(), Optional.empty(), Optional.empty(), Optional.ofNullable(lastLoss),
                liveness.outstanding(link).map(Liveness.Probe::why));
    }

    /** A live session from which something was received lately (or that answered our Ping). */
    boolean connected(long nowMillis) {
        return link.live(nowMillis) && !silent(nowMillis) && relay.counts(link);
    }

    /** A Ping made in doubt went unanswered: the path is dead (a NAT remap), whatever the session's age. */
    private boolean silent(long nowMillis) {
        return liveness.silent(link, Math.min(nowMillis, readMillis));
    }

    private State stateOf(List<PathCandidate> cands, long nowMillis) {
        if (connected(nowMillis)) return where.freshLan(nowMillis).map(link::at).orElse(false) ? State.LAN : State.CONNECTED;
        return cands.isEmpty() ? State.NO_CANDIDATES : State.PROBING;
    }

    private static boolean up(State s) {
        return s == State.CONNECTED || s == State.LAN;
    }

    private Source sourceOf(InetSocketAddress ep, List<PathCandidate> cands) {
        if (current != null && ep.equals(current.endpoint())) return current.source();
        return find(cands, ep).map(PathCandidate::source).orElse(new Source(SourceKind.WIREGUARD, ""));
    }

    private static Optional<PathCandidate> find(List<PathCandidate> cands, InetSocketAddress ep) {
        return cands.stream().filter(c -> c.address().equals(ep)).findFirst();
    }
}
