package dev.automesh.mesh;

import dev.automesh.config.PeerConfig;
import dev.automesh.crypto.WgKey;
import dev.automesh.mesh.GossipTable.Merged;
import dev.automesh.mesh.MeshStatus.Source;
import dev.automesh.mesh.MeshStatus.SourceKind;
import dev.automesh.wg.WgDevice;
import dev.automesh.wg.WgPeer;
import dev.automesh.wire.Message;
import dev.automesh.wire.TimedEndpoint;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The mesh algorithm as a pure state machine: events in (with the current time), actions out. No
 * sockets, threads or sleeping; one thread owns an instance. This class only routes events: the
 * {@link GossipTable} holds what gossip says, each {@link PeerPath} how we reach one peer.
 *
 * <p>It keeps wgautomesh's gossip semantics (merge rule, 5 newest endpoints per pubkey, fan-out to 10
 * live peers ranked by xxh3, Ping/Request answers, LAN broadcast, keepalive 10 s while probing and
 * 30 s when connected) so mixed meshes work, but reacts to every event instead of a 30-second loop.
 * Only the five wgautomesh message variants are ever emitted.
 */
public final class Mesh {
    static final int GOSSIP_PEERS = 10;
    /** wgautomesh's TIMEOUT: a gossip target must have had a handshake this recently. */
    static final long GOSSIP_LIVE_S = 300;
    /** Re-announce a still-connected peer's endpoint when its handshake is this much newer. */
    static final long REANNOUNCE_S = 300;
    static final long LAN_REPEAT_MS = 3_000;
    static final long LAN_INTERVAL_MS = 60_000;

    private final MeshSettings settings;
    private final String ownB64;
    private final Map<WgKey, PeerPath> peers = new LinkedHashMap<>();
    private final Map<String, PeerPath> peersByB64 = new HashMap<>();
    private final Map<InetAddress, PeerPath> peersByMeshAddress = new HashMap<>();
    private final GossipTable table;

    private boolean deviceSeen;
    private boolean reannouncePending;
    private int listenPort;
    private Optional<InetSocketAddress> external = Optional.empty();
    private long externalAnnouncedS = Long.MIN_VALUE;
    private long lanNextMillis = Long.MIN_VALUE;
    private int lanSent;
    /** Where gossip has seen us: a new address there means our network changed. */
    private final Set<InetSocketAddress> ownSeen = new java.util.LinkedHashSet<>();
    /** A network change or an own new address noticed while handling gossip: acted on at the next drive. */
    private boolean networkDoubt;

    public Mesh(MeshSettings settings) {
        this.settings = settings;
        this.ownB64 = settings.ownKey().toBase64();
        Set<InetAddress> meshAddresses = new HashSet<>();
        for (PeerConfig pc : settings.peers()) {
            meshAddresses.add(pc.address());
            if (pc.pubkey().equals(settings.ownKey()) || peers.containsKey(pc.pubkey())) continue;
            PeerPath p = new PeerPath(pc, ownB64, settings.gossipPort());
            peers.put(pc.pubkey(), p);
            peersByB64.put(p.b64(), p);
            peersByMeshAddress.put(pc.address(), p);
        }
        table = new GossipTable(ownB64, peersByB64.keySet(), meshAddresses);
    }

    /** At start: the saved endpoint table (possibly empty), re-announced on the first device read. */
    public List<Action> start(Map<String, List<TimedEndpoint>> saved, long nowMillis) {
        Out out = new Out();
        for (Merged m : table.restore(saved, nowMillis)) {
            if (learn(m)) reannouncePending = true;
        }
        // Endpoints are chosen on the first device read: only then do we know who is already connected.
        // No keepalive and no Request yet: either would make WireGuard attempt a handshake with a peer that
        // may have no endpoint, and a failed attempt blocks the next one for 5 s (REKEY_TIMEOUT), the
        // very attempt our first candidate needs. Connected peers get a Request when drive() sees them.
        for (PeerPath p : peers.values()) p.configureAllowedIps(out);
        return out.actions();
    }

    /** A datagram that decrypted and decoded, from {@code from}. */
    public List<Action> onDatagram(InetSocketAddress from, Message message, long nowMillis) {
        Out out = new Out();
        if (message instanceof Message.Ping) {
            out.send(from, new Message.Pong());
        } else if (message instanceof Message.Request) {
            table.forEach((pk, eps) -> out.send(from, new Message.Announce(pk, eps)));
        } else if (message instanceof Message.Announce a) {
            PeerPath sender = peersByMeshAddress.get(from.getAddress());
            Source src = new Source(SourceKind.GOSSIP, sender != null ? sender.name() : from.getAddress().getHostAddress());
            Merged m = table.announce(a.pubkey(), a.endpoints(), src, nowMillis);
            if (learn(m)) {
                fanOut(m.pubkey(), nowMillis, out);
                drive(nowMillis, out); // a disconnected peer tries what it just learned, now
            }
        } else if (message instanceof Message.LanBroadcast b) {
            onLanBroadcast(from, b, nowMillis, out);
        } // Pong: the handshake it caused shows up in the next device read
        return out.actions();
    }

    /** A fresh read of the WireGuard device (the daemon reads it every poll interval, ~1 s). */
    public List<Action> onDevice(WgDevice device, long nowMillis) {
        Out out = new Out();
        deviceSeen = true;
        if (device.listenPort() != listenPort && lanSent > 0) {
            lanSent = 0; // the interface came back on another port: tell the LAN now (and again soon)
            lanNextMillis = nowMillis;
        }
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
        return out.actions();
    }

    /** Timer, called about once a second: LAN broadcasts, retries. */
    public List<Action> onTick(long nowMillis) {
        Out out = new Out();
        tick(nowMillis, out);
        return out.actions();
    }

    private void tick(long nowMillis, Out out) {
        if (settings.lanDiscovery() && deviceSeen && listenPort > 0 && nowMillis >= lanNextMillis) {
            out.add(new Action.Broadcast(new Message.LanBroadcast(ownB64, listenPort)));
            lanSent++;
            lanNextMillis = nowMillis + (lanSent == 1 ? LAN_REPEAT_MS : LAN_INTERVAL_MS);
        }
        drive(nowMillis, out);
    }

    /** DNS result for a configured peer endpoint (resolved off the mesh thread); empty list = failed. */
    public List<Action> onResolved(WgKey peer, List<InetSocketAddress> addresses, long nowMillis) {
        Out out = new Out();
        PeerPath p = peers.get(peer);
        if (p != null && p.onResolved(addresses.stream().filter(table::usable).distinct().toList())) {
            drive(nowMillis, out);
        }
        return out.actions();
    }

    /** Our own public endpoint as the UPnP router maps it (empty when the mapping is gone). */
    public List<Action> onExternalEndpoint(Optional<InetSocketAddress> endpoint, long nowMillis) {
        Out out = new Out();
        long nowS = nowMillis / 1000;
        if (endpoint.isPresent() && table.usable(endpoint.get())) {
            if (!endpoint.equals(external) || nowS - externalAnnouncedS >= REANNOUNCE_S) {
                externalAnnouncedS = nowS;
                TimedEndpoint mine = new TimedEndpoint(endpoint.get(), nowS);
                if (learn(table.sighting(ownB64, mine, new Source(SourceKind.UPNP, ""), nowMillis))) {
                    fanOut(ownB64, nowMillis, out);
                }
            }
            external = endpoint;
        } else {
            external = Optional.empty(); // the protocol has no retraction: the entry ages out of the top 5
        }
        return out.actions();
    }

    /**
     * Our host's addresses or routes changed (a netlink event, a poll): every path may have changed
     * with them. Connected peers are pinged (their WireGuard roams to our new address at once, and the
     * answer proves each path), disconnected ones retry their candidates now, the LAN hears us at once,
     * and a few connected peers are asked for fresh endpoints.
     */
    public List<Action> onNetworkChanged(long nowMillis) {
        Out out = new Out();
        if (!deviceSeen) return out.actions();
        for (PeerPath p : peers.values()) p.suspect(Doubt.NETWORK_CHANGED);
        if (lanSent > 0) {
            lanSent = 0;
            lanNextMillis = nowMillis;
        }
        tick(nowMillis, out);
        gossipTargets(nowMillis).limit(GOSSIP_PEERS).forEach(p -> out.send(p.gossipAddress(), new Message.Request()));
        return out.actions();
    }

    /** The table to save at persist_file. */
    public Map<String, List<TimedEndpoint>> persistentState() {
        return table.snapshot();
    }

    /** Everything `automesh status` shows about the mesh, as of {@code nowMillis}. */
    public MeshStatus status(long nowMillis) {
        List<MeshStatus.Peer> list = new ArrayList<>();
        for (PeerPath p : peers.values()) list.add(p.status(p.candidates(table, nowMillis), nowMillis));
        return new MeshStatus(ownB64, listenPort, external, list, table.counters());
    }

    // ---------------------------------------------------------------- reactions

    /**
     * Passes a merge's fresher sightings to the peer they are about (backoff reset, maybe moved).
     *
     * @return whether the table changed: then it was fanned out, or is re-announced at start
     */
    private boolean learn(Merged m) {
        PeerPath p = peersByB64.get(m.pubkey());
        if (p != null) m.fresher().forEach(p::onGossiped);
        if (m.pubkey().equals(ownB64)) m.fresher().forEach(e -> seenOurselves(e.address()));
        return m.changed();
    }

    /** A peer saw us at an address it had not before: our NAT re-mapped us, or we moved. */
    private void seenOurselves(InetSocketAddress at) {
        if (ownSeen.contains(at)) return;
        if (!ownSeen.isEmpty()) networkDoubt = true;
        ownSeen.add(at);
        if (ownSeen.size() > 16) ownSeen.remove(ownSeen.iterator().next());
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
        } else if (p.onLanBroadcast(lan, nowMillis)) {
            drive(nowMillis, out);
        }
    }

    /** Announces where WireGuard sees a connected peer, when new or 300 s newer than what we know. */
    private void announceSighting(PeerPath p, long nowMillis, Out out) {
        Optional<TimedEndpoint> seen = p.sighting(nowMillis);
        if (seen.isEmpty() || !table.usable(seen.get().address())) return;
        TimedEndpoint e = seen.get();
        if (table.listedAfter(p.b64(), e.address(), e.unixSeconds() - REANNOUNCE_S)) return;
        if (learn(table.sighting(p.b64(), e, new Source(SourceKind.WIREGUARD, ""), nowMillis))) {
            fanOut(p.b64(), nowMillis, out);
        }
    }

    /** Sends a changed list to up to 10 peers with a handshake in the last 300 s, by xxh3 rank; asks for a save. */
    private void fanOut(String pk, long nowMillis, Out out) {
        List<TimedEndpoint> eps = table.endpoints(pk);
        gossipTargets(nowMillis)
                .limit(GOSSIP_PEERS)
                .forEach(p -> out.send(p.gossipAddress(), new Message.Announce(pk, eps)));
        out.persist();
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
     * A path just died while nothing else was received lately either: perhaps all our paths did (our
     * NAT re-mapped us). Up to 10 other connected peers are pinged, those with a configured endpoint
     * (stable hosts) first: their WireGuard roams to our new address and gossips it, and a dead path
     * among them is found within seconds instead of at its next keepalive.
     */
    private void doubtOthers(long nowMillis, Out out) {
        if (peers.values().stream().anyMatch(p -> p.isUp() && p.receivedWithin(Liveness.PING_ANSWER_MS * 2, nowMillis))) return;
        peers.values().stream()
                .filter(PeerPath::isUp)
                .sorted(java.util.Comparator.comparing((PeerPath p) -> !p.hasConfigEndpoint())
                        .thenComparing(PeerPath::rank, Long::compareUnsigned))
                .limit(GOSSIP_PEERS)
                .forEach(p -> {
                    p.suspect(Doubt.OTHER_PATH_LOST);
                    p.pingIfInDoubt(nowMillis, out);
                });
    }

    /**
     * Moves every peer along, with its candidates computed once: its state and notice, a table swap
     * when it just connected, then its next step. Nothing happens before the first device read.
     */
    private void drive(long nowMillis, Out out) {
        if (!deviceSeen) return;
        if (networkDoubt) {
            networkDoubt = false;
            for (PeerPath p : peers.values()) p.suspect(Doubt.NETWORK_CHANGED);
        }
        boolean lost = false;
        for (PeerPath p : peers.values()) {
            if (!p.link().present()) continue;
            List<PathCandidate> cands = p.candidates(table, nowMillis);
            if (p.judge(cands, nowMillis, out)) {
                // Swap tables with it at once rather than waiting for the next change.
                out.send(p.gossipAddress(), new Message.Request());
                table.forEach((pk, eps) -> out.send(p.gossipAddress(), new Message.Announce(pk, eps)));
            }
            lost |= p.justLost();
            p.move(cands, nowMillis, out);
        }
        if (lost) doubtOthers(nowMillis, out);
    }
}
