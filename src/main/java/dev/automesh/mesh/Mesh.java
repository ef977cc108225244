package dev.automesh.mesh;

import dev.automesh.config.PeerConfig;
import dev.automesh.crypto.WgKey;
import dev.automesh.mesh.GossipTable.Merged;
import dev.automesh.mesh.MeshStatus.Source;
import dev.automesh.mesh.MeshStatus.SourceKind;
import dev.automesh.wg.WgDevice;
import dev.automesh.wg.WgPeer;
import dev.automesh.wire.Extension;
import dev.automesh.wire.Message;
import dev.automesh.wire.TimedEndpoint;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.SplittableRandom;

/**
 * The mesh algorithm as a pure state machine: events in (with the current time), actions out. No
 * sockets, threads or sleeping; one thread owns an instance. This class only routes events: the
 * {@link GossipTable} holds what gossip says, each {@link PeerPath} how we reach one peer.
 *
 * <p>It keeps wgautomesh's gossip semantics (merge rule, 5 newest endpoints per pubkey, fan-out to 10
 * live peers ranked by xxh3, Ping/Request answers, LAN broadcast, keepalive 10 s while probing and
 * 30 s when connected) so mixed meshes work, but reacts to every event instead of a 30-second loop.
 * Only the five wgautomesh message variants are ever emitted; automesh extensions ride after them
 * (Capabilities on every Ping and Pong to a configured peer, relay setup only to automesh peers),
 * where wgautomesh does not look. {@link RelayPaths} and {@link RelayDesk} decide relaying.
 */
public final class Mesh {
    static final int GOSSIP_PEERS = 10;
    /** wgautomesh's TIMEOUT: a gossip target must have had a handshake this recently. */
    static final long GOSSIP_LIVE_S = 300;
    /** Re-announce a still-connected peer's endpoint when its handshake is this much newer. */
    static final long REANNOUNCE_S = 300;
    /**
     * Work that gossip triggers (a fan-out with its save, the reconfiguration of a peer that learned
     * something): this many a second, in bursts of {@link #WORK_BURST}. Beyond it the fan-out waits for
     * a tick and the peer tries its news on the next tick: honest gossip is a few changes a minute.
     */
    static final double WORK_PER_S = 10;
    static final double WORK_BURST = 40;
    /** A Request is answered with every configured key, but with only this many unconfigured ones. */
    static final int ANSWER_MAX_UNKNOWN = Answers.ANSWER_MAX_UNKNOWN;
    /** A device read asked for by a peer's Ping at most this often: Pings must not become a read storm. */
    static final long READ_ASKED_EVERY_MS = 250;

    private final MeshSettings settings;
    private final String ownB64;
    private final Map<WgKey, PeerPath> peers = new LinkedHashMap<>();
    /** The peers in drive order, and where the next drive starts: after one that ran out of its call's Pings. */
    private final List<PeerPath> order;
    private int driveFrom;
    private final Map<String, PeerPath> peersByB64 = new HashMap<>();
    private final Map<InetAddress, PeerPath> peersByMeshAddress = new HashMap<>();
    private final GossipTable table;
    private final Askers askers;
    private final Answers answers;
    private final LanProof lanProof = new LanProof();
    private final Budget work = new Budget(WORK_PER_S, WORK_BURST);
    /** Changed keys whose fan-out the work budget deferred; at most one per table entry. */
    private final Set<String> fanOutPending = new LinkedHashSet<>();
    private long stateFileDropped;
    private final Neighbours neighbours = new Neighbours();
    private final Trailers trailers;
    private final RelayDesk desk;
    private final RelayPaths relays;
    /** The time of the event being handled, for the Ping timing in {@link Trailers#stamp}. */
    private long eventMillis;
    private final Spreading spreading;

    private boolean deviceSeen;
    private boolean reannouncePending;
    private int listenPort;
    private Optional<InetSocketAddress> external = Optional.empty();
    private long externalAnnouncedS = Long.MIN_VALUE;
    private final LanSchedule lan = new LanSchedule();
    /** Where gossip has seen us: a new address there is acted on at the next drive. */
    private final OwnNetwork own = new OwnNetwork();
    private long readAskedMillis = Long.MIN_VALUE / 2;

    public Mesh(MeshSettings settings) {
        this.settings = settings;
        this.ownB64 = settings.ownKey().toBase64();
        Set<InetAddress> meshAddresses = new HashSet<>();
        boolean ownEndpoint = settings.peers().stream()
                .anyMatch(pc -> pc.pubkey().equals(settings.ownKey()) && pc.endpoint().isPresent());
        for (PeerConfig pc : settings.peers()) {
            meshAddresses.add(pc.address());
            if (pc.pubkey().equals(settings.ownKey()) || peers.containsKey(pc.pubkey())) continue;
            PeerPath p = new PeerPath(pc, ownB64, settings.gossipPort(), ownEndpoint);
            peers.put(pc.pubkey(), p);
            peersByB64.put(p.b64(), p);
            peersByMeshAddress.put(pc.address(), p);
        }
        order = List.copyOf(peers.values());
        table = new GossipTable(ownB64, peersByB64.keySet(), meshAddresses);
        askers = new Askers(meshAddresses, settings.lanSubnets());
        answers = new Answers(askers, ownB64);
        SplittableRandom random = new SplittableRandom(settings.seed());
        desk = new RelayDesk(settings.relayWilling(), settings.relayPort(), settings.gossipPort(), random.split(),
                neighbours, peersByB64::get);
        relays = new RelayPaths(settings.ownKey(), random.split(), neighbours, peersByB64::get, peers.values());
        spreading = new Spreading(ownB64, peers.values());
        trailers = new Trailers(settings, peersByMeshAddress::get, neighbours, desk, relays);
    }

    /** At start: the saved endpoint table (possibly empty), re-announced on the first device read. */
    public List<Action> start(Map<String, List<TimedEndpoint>> saved, long nowMillis) {
        Out out = out(nowMillis);
        List<Merged> restored = table.restore(saved, nowMillis);
        stateFileDropped += saved.size() - restored.size();
        for (Merged m : restored) {
            if (learn(m, nowMillis)) reannouncePending = true;
        }
        // Endpoints are chosen on the first device read: only then do we know who is already connected.
        // No keepalive and no Request yet: either would make WireGuard attempt a handshake with a peer that
        // may have no endpoint, and a failed attempt blocks the next one for 5 s (REKEY_TIMEOUT), the
        // very attempt our first candidate needs. Connected peers get a Request when drive() sees them.
        for (PeerPath p : peers.values()) p.configureAllowedIps(out);
        return finish(out, nowMillis);
    }

    /** A datagram that decrypted and decoded, from {@code from}. */
    public List<Action> onDatagram(InetSocketAddress from, Message message, long nowMillis) {
        return onDatagram(from, message, List.of(), nowMillis);
    }

    /** A datagram with the automesh extensions that rode on it (none from wgautomesh nodes). */
    public List<Action> onDatagram(InetSocketAddress from, Message message, List<Extension> extensions, long nowMillis) {
        Out out = out(nowMillis);
        PeerPath peer = from.getPort() == settings.gossipPort() ? peersByMeshAddress.get(from.getAddress()) : null;
        if (peer != null) trailers.received(peer, message, extensions, nowMillis, out);
        if (message instanceof Message.Ping) {
            answers.ping(from, nowMillis, out);
            if (peer != null && nowMillis - readAskedMillis >= READ_ASKED_EVERY_MS) {
                readAskedMillis = nowMillis;
                out.add(new Action.ReadDevice());
            }
        } else if (message instanceof Message.Request) {
            answers.request(from, table, peersByB64::containsKey, nowMillis, spreading::answer);
        } else if (message instanceof Message.Announce a) {
            PeerPath sender = peersByMeshAddress.get(from.getAddress());
            Source src = new Source(SourceKind.GOSSIP, sender != null ? sender.name() : from.getAddress().getHostAddress());
            Merged m = table.announce(a.pubkey(), a.endpoints(), src, Optional.ofNullable(sender).map(PeerPath::b64), nowMillis);
            if (learn(m, nowMillis)) {
                if (work.take(nowMillis)) {
                    fanOut(m.pubkey(), nowMillis, out);
                    PeerPath about = peersByB64.get(m.pubkey());
                    if (about != null) drive(about, nowMillis, out); // if disconnected, it tries what it just learned, now
                    if (own.pending()) drive(nowMillis, out); // seen at a new address: our paths prove themselves now
                } else {
                    fanOutPending.add(m.pubkey()); // and the peer tries it on the next tick
                }
            }
        } else if (message instanceof Message.LanBroadcast b) {
            onLanBroadcast(from, b, nowMillis, out);
        } else if (message instanceof Message.Pong) {
            // A Pong through the tunnel: the handshake it caused shows up in the next device read.
            // One from a LAN address we asked to prove itself: that peer really listens there.
            lanProof.onPong(from, nowMillis).ifPresent(proof -> {
                PeerPath p = peersByB64.get(proof.peerB64());
                if (p != null && p.onLanBroadcast(proof.lan(), nowMillis)) drive(p, nowMillis, out);
            });
        }
        return finish(out, nowMillis);
    }

    /** The daemon opened the loopback proxy asked for by {@link Action.RelayUse}: WireGuard's endpoint for the peer. */
    public List<Action> onRelayEndpoint(WgKey peer, long sessionId, InetSocketAddress loopback, long nowMillis) {
        Out out = out(nowMillis);
        PeerPath p = peers.get(peer);
        if (p != null) relays.onEndpoint(p, sessionId, loopback, nowMillis, out);
        else out.add(new Action.RelayDrop(peer, sessionId));
        return finish(out, nowMillis);
    }

    /** A fresh read of the WireGuard device (the daemon reads it every poll interval, ~1 s). */
    public List<Action> onDevice(WgDevice device, long nowMillis) {
        Out out = out(nowMillis);
        deviceSeen = true;
        if (device.listenPort() != listenPort) lan.restart(nowMillis); // the interface came back on another port
        listenPort = device.listenPort();
        // One pass over the device's peers, not one per configured peer: this runs every second.
        Map<WgKey, WgPeer> byKey = new HashMap<>();
        for (WgPeer w : device.peers()) byKey.put(w.publicKey(), w);
        for (var e : peers.entrySet()) e.getValue().observe(Optional.ofNullable(byKey.get(e.getKey())), nowMillis, out);
        if (reannouncePending) {
            reannouncePending = false;
            table.forEach((pk, eps) -> fanOut(pk, nowMillis, out));
        }
        for (PeerPath p : peers.values()) announceSighting(p, nowMillis, out);
        drive(nowMillis, out);
        return finish(out, nowMillis);
    }

    /** Timer, called about once a second: LAN broadcasts, retries. */
    public List<Action> onTick(long nowMillis) {
        Out out = out(nowMillis);
        tick(nowMillis, out);
        return finish(out, nowMillis);
    }

    private void tick(long nowMillis, Out out) {
        if (settings.lanDiscovery() && deviceSeen && listenPort > 0 && lan.due(nowMillis)) {
            out.add(new Action.Broadcast(new Message.LanBroadcast(ownB64, listenPort)));
            lan.sent(nowMillis);
        }
        // Deferred fan-outs as the budget allows (has() first: waiting here is not another refusal).
        for (var it = fanOutPending.iterator(); it.hasNext() && work.has(1, nowMillis) && work.take(nowMillis); ) {
            fanOut(it.next(), nowMillis, out);
            it.remove();
        }
        // Every tick, even right after a device read: a relayed path's probe windows are timed by it.
        drive(nowMillis, out);
    }

    /** DNS result for a configured peer endpoint (resolved off the mesh thread); empty list = failed. */
    public List<Action> onResolved(WgKey peer, List<InetSocketAddress> addresses, long nowMillis) {
        Out out = out(nowMillis);
        PeerPath p = peers.get(peer);
        if (p != null && p.onResolved(addresses.stream().filter(table::usableConfigured).distinct().toList())) {
            drive(p, nowMillis, out);
        }
        return finish(out, nowMillis);
    }

    /** Our own public endpoint as the UPnP router maps it (empty when the mapping is gone). */
    public List<Action> onExternalEndpoint(Optional<InetSocketAddress> endpoint, long nowMillis) {
        Out out = out(nowMillis);
        long nowS = nowMillis / 1000;
        if (endpoint.isPresent() && table.usable(endpoint.get())) {
            if (!endpoint.equals(external) || nowS - externalAnnouncedS >= REANNOUNCE_S) {
                externalAnnouncedS = nowS;
                TimedEndpoint mine = new TimedEndpoint(endpoint.get(), nowS);
                if (learn(table.sighting(ownB64, mine, new Source(SourceKind.UPNP, ""), nowMillis), nowMillis)) {
                    fanOut(ownB64, nowMillis, out);
                }
            }
            external = endpoint;
        } else {
            external = Optional.empty(); // the protocol has no retraction: the entry ages out of the top 5
        }
        return finish(out, nowMillis);
    }

    /**
     * Our host's addresses or routes changed (a netlink event, a poll): every path may have changed
     * with them. Connected peers are pinged (their WireGuard roams to our new address at once, and the
     * answer proves each path), disconnected ones retry their candidates now, the LAN hears us at once,
     * and a few connected peers are asked for fresh endpoints.
     */
    public List<Action> onNetworkChanged(long nowMillis) {
        Out out = out(nowMillis);
        if (!deviceSeen) return finish(out, nowMillis);
        // A few, as at a start: each answer is a whole table. First: the Pings that follow fill the call's budget.
        gossipTargets(nowMillis).limit(Spreading.REQUEST_PEERS).forEach(p -> out.send(p.gossipAddress(), new Message.Request()));
        for (PeerPath p : peers.values()) {
            p.suspect(Doubt.NETWORK_CHANGED);
            p.resetSource(out);
        }
        lan.restart(nowMillis);
        tick(nowMillis, out);
        return finish(out, nowMillis);
    }

    /** The table to save at persist_file. */
    public Map<String, List<TimedEndpoint>> persistentState() {
        return table.snapshot();
    }

    /** Everything `automesh status` shows about the mesh, as of {@code nowMillis}. */
    public MeshStatus status(long nowMillis) {
        List<MeshStatus.Peer> list = new ArrayList<>();
        for (PeerPath p : peers.values()) {
            list.add(relays.status(p, p.status(p.candidates(table, nowMillis), nowMillis), nowMillis));
        }
        MeshStatus.Counters c = table.counters().with(askers.refusedAskers(), askers.refusedAnswers(),
                askers.refusedBytes(), work.refused(), lanProof.sent(), lanProof.proven(), stateFileDropped);
        return new MeshStatus(ownB64, listenPort, external, list, c, desk.status(), desk.counters());
    }

    /** How big everything input can grow is (each bounded): for tests and benchmarks. */
    record Sizes(int table, int learned, int attempts, int askers, int lanProofs, int fanOutPending) {}

    Sizes sizes() {
        int attempts = peers.values().stream().mapToInt(PeerPath::attemptRecords).sum();
        return new Sizes(table.size(), table.learnedSize(), attempts, askers.sources(), lanProof.size(), fanOutPending.size());
    }

    // ---------------------------------------------------------------- reactions

    private Out out(long nowMillis) {
        eventMillis = nowMillis;
        return new Out(send -> trailers.stamp(send, eventMillis));
    }

    /**
     * Passes a merge's fresher sightings to the peer they are about (backoff reset, maybe moved).
     *
     * @return whether the table changed: then it was fanned out, or is re-announced at start
     */
    private boolean learn(Merged m, long nowMillis) {
        PeerPath p = peersByB64.get(m.pubkey());
        if (p != null) m.fresher().forEach(e -> p.onGossiped(e, nowMillis));
        if (m.changed()) spreading.changed(m.pubkey(), nowMillis);
        if (m.pubkey().equals(ownB64)) m.fresher().forEach(e -> own.seenAt(e.address(), nowMillis));
        return m.changed();
    }

    private void onLanBroadcast(InetSocketAddress from, Message.LanBroadcast b, long nowMillis, Out out) {
        Optional<String> key = table.canonicalKey(b.pubkey());
        if (key.isEmpty() || key.get().equals(ownB64)) return; // our own broadcast, looped back
        PeerPath p = peersByB64.get(key.get());
        if (!settings.lanDiscovery() || p == null) {
            table.countForeignBroadcast();
            return;
        }
        InetSocketAddress lan = new InetSocketAddress(from.getAddress(), b.listenPort());
        if (!table.usable(lan)) {
            table.countBadEndpoint();
        } else if (p.lanAt(lan)) {
            if (p.onLanBroadcast(lan, nowMillis)) drive(p, nowMillis, out); // where it was proven: a refresh
        } else if (lanProof.start(p.b64(), lan, nowMillis)) {
            out.send(new InetSocketAddress(from.getAddress(), settings.gossipPort()), new Message.Ping());
        }
    }

    /** Announces where WireGuard sees a connected peer, when new or 300 s newer than what we know. */
    private void announceSighting(PeerPath p, long nowMillis, Out out) {
        Optional<TimedEndpoint> seen = p.sighting(nowMillis);
        if (seen.isEmpty() || !table.usable(seen.get().address())) return;
        TimedEndpoint e = seen.get();
        // A relayed peer's endpoint is our own loopback proxy: nothing anyone else could use.
        if (p.relayed() || e.address().getAddress().isLoopbackAddress()) return;
        if (table.listedAfter(p.b64(), e.address(), e.unixSeconds() - REANNOUNCE_S)) return;
        boolean moved = p.up() && table.endpoints(p.b64()).stream().noneMatch(x -> x.address().equals(e.address()));
        if (learn(table.sighting(p.b64(), e, new Source(SourceKind.WIREGUARD, ""), nowMillis), nowMillis)) {
            fanOut(p.b64(), nowMillis, out);
        }
        if (moved) spreading.onMoved(p, p.link().heardBeforeMillis(), nowMillis);
    }

    /** A changed list goes to our best-ranked live peers unless only its dates moved; a save either way. */
    private void fanOut(String pk, long nowMillis, Out out) {
        out.persist();
        spreading.fanOut(pk, table, nowMillis);
    }

    /** Ends an event: what the outbox's budgets allow goes out with the event's own actions. */
    private List<Action> finish(Out out, long nowMillis) {
        spreading.drain(table, nowMillis, out);
        return out.actions();
    }

    /** Peers with a handshake in the last 300 s and an endpoint, by xxh3 rank. */
    private java.util.stream.Stream<PeerPath> gossipTargets(long nowMillis) {
        long nowS = nowMillis / 1000;
        return peers.values().stream()
                .filter(p -> p.link().handshakeS() > 0 && nowS < p.link().handshakeS() + GOSSIP_LIVE_S
                        && p.link().endpoint().isPresent())
                .sorted((x, y) -> Long.compareUnsigned(x.rank(), y.rank()));
    }

    /**
     * Moves every peer along, with its candidates computed once: its state and notice, a Request when
     * it just connected, then its next step; then the relay sessions we serve. Nothing happens before
     * the first device read.
     */
    private void drive(long nowMillis, Out out) {
        if (!deviceSeen) return;
        if (own.takeDoubt()) for (PeerPath p : peers.values()) p.suspect(Doubt.NETWORK_CHANGED);
        boolean anyUp = false;
        long brokeOff = Long.MAX_VALUE; // when the earliest path that just died or broke off last received
        int n = order.size(), from = driveFrom, refused = out.refused();
        boolean turned = false;
        for (int i = 0; i < n; i++) {
            PeerPath p = order.get((from + i) % n);
            drive(p, nowMillis, out);
            // The first one refused a Ping goes first next time: in a burst every peer gets its turn.
            if (!turned && out.refused() > refused) {
                turned = true;
                driveFrom = (from + i) % n;
            }
            if (p.connected(nowMillis)) {
                anyUp = true;
                spreading.sawUp(p, nowMillis);
            }
            if (p.justLost() || p.justDoubted()) brokeOff = Math.min(brokeOff, p.link().rxChangedMillis());
        }
        if (!anyUp) spreading.noneUp();
        if (brokeOff != Long.MAX_VALUE) own.doubtOthers(peers.values(), GOSSIP_PEERS, brokeOff, nowMillis, out);
        desk.drive(nowMillis, out);
    }

    /** One peer's step (an event about that peer only); a relayed peer is moved by its relay path. */
    private void drive(PeerPath p, long nowMillis, Out out) {
        if (!deviceSeen || !p.link().present()) return;
        List<PathCandidate> cands = p.candidates(table, nowMillis);
        if (p.relayed()) {
            if (relays.drive(p, cands, nowMillis, out)) onConnected(p, nowMillis, out);
            return;
        }
        if (p.judge(cands, nowMillis, out)) onConnected(p, nowMillis, out);
        p.move(cands, nowMillis, out);
        relays.afterDirect(p, cands, nowMillis, out);
    }

    /** A peer just connected: a greeting Ping (its Pong tells whether it is automesh, and times the round trip), then gossip. */
    private void onConnected(PeerPath p, long nowMillis, Out out) {
        spreading.onConnected(p, nowMillis, out);
    }
}
