package dev.automesh.mesh;

import dev.automesh.config.HostPort;
import dev.automesh.config.PeerConfig;
import dev.automesh.crypto.WgKey;
import dev.automesh.mesh.MeshStatus.Source;
import dev.automesh.mesh.MeshStatus.SourceKind;
import dev.automesh.mesh.MeshStatus.State;
import dev.automesh.wg.IpPrefix;
import dev.automesh.wg.PeerUpdate;
import dev.automesh.wg.WgDevice;
import dev.automesh.wg.WgPeer;
import dev.automesh.wire.Message;
import dev.automesh.wire.TimedEndpoint;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;

/**
 * The whole mesh algorithm as a pure state machine: events in (with the current time), actions out.
 * No sockets, threads or sleeping; one thread owns an instance.
 *
 * <p>It keeps wgautomesh's gossip semantics (merge rule, 5 newest endpoints per pubkey, fan-out to 10
 * live peers ranked by xxh3, Ping/Request answers, LAN broadcast, keepalive 10 s while probing and
 * 30 s when connected) so mixed meshes work, but reacts to every event instead of a 30-second loop:
 * a new handshake is announced on the next device read, a newly learned endpoint is tried at once, and
 * candidates of a disconnected peer are cycled every few seconds with a per-candidate backoff, and a
 * connected peer whose path goes quiet (or that gossip says was seen elsewhere since) is pinged and,
 * if nothing comes back, probed like a lost one instead of waiting for its handshake to age out.
 *
 * <p>Only the five wgautomesh message variants are ever emitted.
 */
public final class Mesh {
    static final int KEEP_MAX_ADDRESSES = 5;
    static final int GOSSIP_PEERS = 10;
    /** wgautomesh's TIMEOUT: a gossip target must have had a handshake this recently. */
    static final long GOSSIP_LIVE_S = 300;
    /**
     * "Connected" = a handshake within 180 s. WireGuard re-handshakes every 120 s on a session that
     * carries traffic (our keepalives guarantee some) and refuses a session's keys after 180 s
     * (REJECT_AFTER_TIME): an older handshake means nothing can flow, so probing may start then,
     * two minutes before wgautomesh's 300 s would notice.
     */
    static final long CONNECTED_S = 180;
    /** Re-announce a still-connected peer's endpoint when its handshake is this much newer. */
    static final long REANNOUNCE_S = 300;
    /**
     * A live session with nothing received for this long is probed like a lost one: both ends send a
     * keepalive every 30 s, so two missed ones mean the path broke (typically a NAT mapping changed),
     * and new candidates are tried instead of waiting for the handshake to age out at 180 s.
     */
    static final long SILENT_MS = 65_000;
    /**
     * How long a path may stay quiet after we pinged it through the tunnel. A live peer answers at once
     * (Pong, or an ICMP error without an agent), and WireGuard itself answers any data packet with a
     * keepalive within 10 s, so 11 s of nothing after a Ping means the path is dead.
     */
    static final long PING_ANSWER_MS = 11_000;
    static final long LAN_FRESH_MS = 300_000;
    /** WireGuard retries a handshake every 5 s: give each candidate one retry's worth, plus slack. */
    static final long TRY_WINDOW_MS = 6_000;
    static final long BACKOFF_BASE_MS = 5_000;
    static final long BACKOFF_MAX_MS = 120_000;
    static final int KEEPALIVE_PROBING = 10;
    static final int KEEPALIVE_CONNECTED = 30;
    static final long LAN_REPEAT_MS = 3_000;
    static final long LAN_INTERVAL_MS = 60_000;
    /** Endpoints dated further ahead are dropped: they would outrank every honest sighting for that long. */
    static final long MAX_FUTURE_S = 600;
    /** wgautomesh keeps and forwards gossip about any pubkey; we do too, but bound it. */
    static final int MAX_UNKNOWN_PUBKEYS = 64;

    private final MeshSettings settings;
    private final String ownB64;
    private final Map<WgKey, Peer> peers = new LinkedHashMap<>();
    private final Map<String, Peer> peersByB64 = new HashMap<>();
    private final Map<InetAddress, Peer> peersByMeshAddress = new HashMap<>();
    private final Set<InetAddress> meshAddresses = new HashSet<>();
    /** The gossip table, as wgautomesh's: pubkey → up to 5 endpoints, newest first. */
    private final Map<String, List<TimedEndpoint>> gossip = new LinkedHashMap<>();
    /** Where each gossip endpoint came from and when we learned it (not on the wire). */
    private final Map<String, Map<InetSocketAddress, Learned>> learned = new HashMap<>();

    private boolean deviceSeen;
    private boolean reannouncePending;
    private int listenPort;
    private Optional<InetSocketAddress> external = Optional.empty();
    private long externalAnnouncedS = Long.MIN_VALUE;
    private long lanNextMillis = Long.MIN_VALUE;
    private int lanSent;
    private long badPubkeys, badEndpoints, futureTimestamps, unknownPeersFull, foreignBroadcasts;

    private record Learned(Source source, long atMillis) {}

    private record Cand(InetSocketAddress address, Source source, long unixSeconds) {}

    private static final class Attempt {
        int tries;
        int failures;
        long lastTriedMillis;
        long eligibleAtMillis;
    }

    /** Mutable per-peer state; only the owning Mesh touches it. */
    private static final class Peer {
        final PeerConfig config;
        final String b64;
        final String name;
        final long rank;
        final List<IpPrefix> allowedIps;
        boolean present;
        Optional<InetSocketAddress> deviceEndpoint = Optional.empty();
        long handshakeS;
        long rx;
        long tx;
        long rxChangedMillis;
        /** When WireGuard moved to the current endpoint without a new handshake (0: it did not). */
        long roamedAtS;
        /** When we last pinged a live peer to make its path prove itself. */
        long probePingMillis;
        /** Gossip says the peer was seen elsewhere after our last handshake with it: it may have moved. */
        boolean maybeMoved;
        int keepalive = -1;
        State state;
        InetSocketAddress current;
        Source currentSource;
        long currentSinceMillis;
        boolean currentJudged = true;
        InetSocketAddress lan;
        long lanSeenMillis;
        List<InetSocketAddress> resolved = List.of();
        final Map<InetSocketAddress, Attempt> attempts = new HashMap<>();
        InetSocketAddress upgradeFrom;
        long upgradeRx;

        Peer(PeerConfig config, String ownB64) {
            this.config = config;
            this.b64 = config.pubkey().toBase64();
            this.name = config.displayName();
            this.rank = Xxh3.hash64((ownB64 + "-" + b64).getBytes(StandardCharsets.UTF_8));
            this.allowedIps = List.of(IpPrefix.host(config.address()));
        }

        /** A session WireGuard still accepts. */
        boolean live(long nowMillis) {
            return handshakeS > 0 && nowMillis / 1000 - handshakeS < CONNECTED_S;
        }

        /** Nothing received for a while although both sides send keepalives: the path is dead (a NAT remap). */
        boolean silent(long nowMillis) {
            boolean pingUnanswered = probePingMillis > rxChangedMillis && nowMillis - probePingMillis >= PING_ANSWER_MS;
            return pingUnanswered || nowMillis - rxChangedMillis >= SILENT_MS;
        }

        boolean connected(long nowMillis) {
            return live(nowMillis) && !silent(nowMillis);
        }

        boolean lanFresh(long nowMillis) {
            return lan != null && nowMillis - lanSeenMillis < LAN_FRESH_MS;
        }
    }

    public Mesh(MeshSettings settings) {
        this.settings = settings;
        this.ownB64 = settings.ownKey().toBase64();
        for (PeerConfig pc : settings.peers()) {
            meshAddresses.add(pc.address());
            if (pc.pubkey().equals(settings.ownKey()) || peers.containsKey(pc.pubkey())) continue;
            Peer p = new Peer(pc, ownB64);
            peers.put(pc.pubkey(), p);
            peersByB64.put(p.b64, p);
            peersByMeshAddress.put(pc.address(), p);
        }
    }

    /** At start: the saved endpoint table (possibly empty). Re-announces it, Requests every peer. */
    public List<Action> start(Map<String, List<TimedEndpoint>> saved, long nowMillis) {
        Out out = new Out();
        for (var e : saved.entrySet()) {
            Optional<String> key = canonicalKey(e.getKey());
            if (key.isEmpty()) continue;
            if (merge(key.get(), sanitize(e.getValue(), nowMillis), new Source(SourceKind.STATE_FILE, ""), nowMillis)) {
                reannouncePending = true;
            }
        }
        for (Peer p : peers.values()) {
            out.update(PeerUpdate.of(p.config.pubkey()).allowedIps(p.allowedIps).build());
        }
        // Endpoints are chosen on the first device read: only then do we know who is already connected.
        // No keepalive and no Request yet: either would make WireGuard attempt a handshake with a peer that
        // may have no endpoint, and a failed attempt blocks the next one for 5 s (REKEY_TIMEOUT) — the
        // very attempt our first candidate needs. Connected peers get a Request when drive() sees them.
        return out.actions();
    }

    /** A datagram that decrypted and decoded, from {@code from}. */
    public List<Action> onDatagram(InetSocketAddress from, Message message, long nowMillis) {
        Out out = new Out();
        if (message instanceof Message.Ping) {
            out.send(from, new Message.Pong());
        } else if (message instanceof Message.Request) {
            gossip.forEach((pk, eps) -> out.send(from, new Message.Announce(pk, eps)));
        } else if (message instanceof Message.Announce a) {
            onAnnounce(from, a, nowMillis, out);
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
        for (Peer p : peers.values()) {
            Optional<WgPeer> wp = Optional.ofNullable(byKey.get(p.config.pubkey()));
            p.present = wp.isPresent();
            if (wp.isEmpty()) {
                // Removed behind our back (or the interface was recreated): configure it again in full.
                p.keepalive = -1;
                p.deviceEndpoint = Optional.empty();
                p.handshakeS = 0;
                out.update(fullUpdate(p, p.current));
                continue;
            }
            WgPeer w = wp.get();
            if (w.rxBytes() != p.rx || p.rxChangedMillis == 0) p.rxChangedMillis = nowMillis;
            if (w.lastHandshakeEpochSeconds() != p.handshakeS) {
                p.roamedAtS = 0;
            } else if (p.deviceEndpoint.isPresent() && !w.endpoint().equals(p.deviceEndpoint)) {
                p.roamedAtS = nowMillis / 1000; // WireGuard followed the peer to a new address, just now
            }
            p.deviceEndpoint = w.endpoint();
            p.handshakeS = w.lastHandshakeEpochSeconds();
            p.rx = w.rxBytes();
            p.tx = w.txBytes();
            if (!w.allowedIps().equals(p.allowedIps)) {
                out.update(PeerUpdate.of(p.config.pubkey()).allowedIps(p.allowedIps).build());
            }
        }
        if (reannouncePending) {
            reannouncePending = false;
            gossip.forEach((pk, eps) -> fanOut(pk, eps, nowMillis, out));
        }
        for (Peer p : peers.values()) {
            if (p.live(nowMillis) && p.deviceEndpoint.isPresent()) announceSighting(p, nowMillis, out);
        }
        drive(nowMillis, out);
        return out.actions();
    }

    /** Timer, called about once a second: LAN broadcasts, retries, periodic re-announce. */
    public List<Action> onTick(long nowMillis) {
        Out out = new Out();
        if (settings.lanDiscovery() && deviceSeen && listenPort > 0 && nowMillis >= lanNextMillis) {
            out.add(new Action.Broadcast(new Message.LanBroadcast(ownB64, listenPort)));
            lanSent++;
            lanNextMillis = nowMillis + (lanSent == 1 ? LAN_REPEAT_MS : LAN_INTERVAL_MS);
        }
        drive(nowMillis, out);
        return out.actions();
    }

    /** DNS result for a configured peer endpoint (resolved off the mesh thread); empty list = failed. */
    public List<Action> onResolved(WgKey peer, List<InetSocketAddress> addresses, long nowMillis) {
        Out out = new Out();
        Peer p = peers.get(peer);
        if (p == null) return out.actions();
        List<InetSocketAddress> ok = addresses.stream().filter(this::usableEndpoint).distinct().toList();
        if (!ok.equals(p.resolved)) {
            for (InetSocketAddress a : ok) if (!p.resolved.contains(a)) p.attempts.remove(a);
            p.resolved = ok;
            drive(nowMillis, out);
        }
        return out.actions();
    }

    /** Our own public endpoint as the UPnP router maps it (empty when the mapping is gone). */
    public List<Action> onExternalEndpoint(Optional<InetSocketAddress> endpoint, long nowMillis) {
        Out out = new Out();
        long nowS = nowMillis / 1000;
        if (endpoint.isPresent() && usableEndpoint(endpoint.get())) {
            if (!endpoint.equals(external) || nowS - externalAnnouncedS >= REANNOUNCE_S) {
                externalAnnouncedS = nowS;
                List<TimedEndpoint> mine = List.of(new TimedEndpoint(endpoint.get(), nowS));
                if (merge(ownB64, mine, new Source(SourceKind.UPNP, ""), nowMillis)) {
                    fanOut(ownB64, gossip.get(ownB64), nowMillis, out);
                }
            }
            external = endpoint;
        } else {
            external = Optional.empty(); // the protocol has no retraction: the entry ages out of the top 5
        }
        return out.actions();
    }

    /** The table to save at persist_file. */
    public Map<String, List<TimedEndpoint>> persistentState() {
        Map<String, List<TimedEndpoint>> copy = new LinkedHashMap<>();
        gossip.forEach((k, v) -> copy.put(k, List.copyOf(v)));
        return copy;
    }

    /** Everything `automesh status` shows about the mesh, as of {@code nowMillis}. */
    public MeshStatus status(long nowMillis) {
        List<MeshStatus.Peer> list = new ArrayList<>();
        for (Peer p : peers.values()) {
            List<MeshStatus.Candidate> cands = new ArrayList<>();
            for (Cand c : candidates(p, nowMillis)) {
                Attempt a = p.attempts.get(c.address());
                cands.add(new MeshStatus.Candidate(c.address(), c.source(), c.unixSeconds(),
                        a == null ? 0 : a.tries,
                        a == null || a.tries == 0 ? OptionalLong.empty() : OptionalLong.of(nowMillis - a.lastTriedMillis),
                        a == null ? 0 : Math.max(0, a.eligibleAtMillis - nowMillis)));
            }
            Optional<InetSocketAddress> ep = p.deviceEndpoint.isPresent() ? p.deviceEndpoint : Optional.ofNullable(p.current);
            list.add(new MeshStatus.Peer(p.name, p.b64, p.config.address(), stateOf(p, nowMillis), ep,
                    ep.map(e -> sourceOf(p, e, nowMillis)),
                    p.handshakeS > 0 ? OptionalLong.of(Math.max(0, nowMillis / 1000 - p.handshakeS)) : OptionalLong.empty(),
                    cands, p.rx, p.tx));
        }
        return new MeshStatus(ownB64, listenPort, external, list, new MeshStatus.Counters(
                badPubkeys, badEndpoints, futureTimestamps, unknownPeersFull, foreignBroadcasts));
    }

    // ---------------------------------------------------------------- gossip

    private void onAnnounce(InetSocketAddress from, Message.Announce a, long nowMillis, Out out) {
        Optional<String> key = canonicalKey(a.pubkey());
        if (key.isEmpty()) return;
        String pk = key.get();
        if (!gossip.containsKey(pk) && !peersByB64.containsKey(pk) && !pk.equals(ownB64)
                && gossip.keySet().stream().filter(k -> !peersByB64.containsKey(k) && !k.equals(ownB64)).count()
                        >= MAX_UNKNOWN_PUBKEYS) {
            unknownPeersFull++;
            return;
        }
        Peer sender = peersByMeshAddress.get(from.getAddress());
        Source src = new Source(SourceKind.GOSSIP, sender != null ? sender.name : from.getAddress().getHostAddress());
        if (merge(pk, sanitize(a.endpoints(), nowMillis), src, nowMillis)) {
            fanOut(pk, gossip.get(pk), nowMillis, out);
            drive(nowMillis, out); // a disconnected peer tries what it just learned, now
        }
    }

    private void onLanBroadcast(InetSocketAddress from, Message.LanBroadcast b, long nowMillis, Out out) {
        Optional<String> key = canonicalKey(b.pubkey());
        if (key.isEmpty() || key.get().equals(ownB64)) return; // our own broadcast, looped back
        Peer p = peersByB64.get(key.get());
        if (!settings.lanDiscovery() || p == null) {
            foreignBroadcasts++;
            return;
        }
        InetSocketAddress lan = new InetSocketAddress(from.getAddress(), b.listenPort());
        if (!usableEndpoint(lan)) {
            badEndpoints++;
            return;
        }
        boolean news = !lan.equals(p.lan) || !p.lanFresh(nowMillis);
        p.lan = lan;
        p.lanSeenMillis = nowMillis;
        if (news) {
            p.attempts.remove(lan);
            drive(nowMillis, out);
        }
    }

    /**
     * wgautomesh's merge rule: an endpoint is new unless one with the same address and a timestamp at
     * least as recent is known; new ones replace same-address entries; newest first, 5 kept.
     *
     * @return whether the list changed (and so must be announced and persisted)
     */
    private boolean merge(String pk, List<TimedEndpoint> incoming, Source src, long nowMillis) {
        List<TimedEndpoint> list = new ArrayList<>(gossip.getOrDefault(pk, List.of()));
        List<TimedEndpoint> before = List.copyOf(list);
        Map<InetSocketAddress, Learned> origin = learned.computeIfAbsent(pk, k -> new HashMap<>());
        Peer peer = peersByB64.get(pk);
        for (TimedEndpoint e : incoming) {
            if (list.stream().anyMatch(x -> x.address().equals(e.address()) && x.unixSeconds() >= e.unixSeconds())) continue;
            list.removeIf(x -> x.address().equals(e.address()));
            list.add(e);
            origin.put(e.address(), new Learned(src, nowMillis));
            if (peer != null) {
                peer.attempts.remove(e.address()); // a fresher sighting resets its backoff
                if (e.unixSeconds() > peer.handshakeS && !peer.deviceEndpoint.equals(Optional.of(e.address()))) {
                    peer.maybeMoved = true;
                }
            }
        }
        list.sort(Comparator.comparingLong(TimedEndpoint::unixSeconds).reversed());
        if (list.size() > KEEP_MAX_ADDRESSES) list = new ArrayList<>(list.subList(0, KEEP_MAX_ADDRESSES));
        List<InetSocketAddress> kept = list.stream().map(TimedEndpoint::address).toList();
        origin.keySet().retainAll(kept);
        if (list.equals(before)) return false;
        gossip.put(pk, List.copyOf(list));
        return true;
    }

    /** Sends the list to up to 10 peers with a handshake in the last 300 s, by xxh3 rank; asks for a save. */
    private void fanOut(String pk, List<TimedEndpoint> eps, long nowMillis, Out out) {
        long nowS = nowMillis / 1000;
        peers.values().stream()
                .filter(p -> p.handshakeS > 0 && nowS < p.handshakeS + GOSSIP_LIVE_S && p.deviceEndpoint.isPresent())
                .sorted((x, y) -> Long.compareUnsigned(x.rank, y.rank))
                .limit(GOSSIP_PEERS)
                .forEach(p -> out.send(gossipAddress(p), new Message.Announce(pk, eps)));
        out.persist();
    }

    /** Announces where WireGuard sees a connected peer, when new or 300 s newer than what we know. */
    private void announceSighting(Peer p, long nowMillis, Out out) {
        InetSocketAddress ep = p.deviceEndpoint.get();
        if (!usableEndpoint(ep)) return;
        // An endpoint we set after the latest handshake is only a guess, not a sighting.
        if (ep.equals(p.current) && p.handshakeS < p.currentSinceMillis / 1000) return;
        // A LAN address means nothing off the LAN, and the nodes on it hear the broadcast themselves.
        if (p.lanFresh(nowMillis) && ep.equals(p.lan)) return;
        // Seen there at the handshake, or later if WireGuard roamed there since: a roamed-to address
        // dated at the old handshake would rank below the address the peer just left.
        long seenS = Math.max(p.handshakeS, p.roamedAtS);
        boolean known = gossip.getOrDefault(p.b64, List.of()).stream()
                .anyMatch(x -> x.address().equals(ep) && x.unixSeconds() + REANNOUNCE_S > seenS);
        if (known) return;
        if (merge(p.b64, List.of(new TimedEndpoint(ep, seenS)), new Source(SourceKind.WIREGUARD, ""), nowMillis)) {
            fanOut(p.b64, gossip.get(p.b64), nowMillis, out);
        }
    }

    /** Drops endpoints no honest node announces; keeps the 5 newest of what is left. */
    private List<TimedEndpoint> sanitize(List<TimedEndpoint> eps, long nowMillis) {
        long limit = nowMillis / 1000 + MAX_FUTURE_S;
        Map<InetSocketAddress, TimedEndpoint> best = new LinkedHashMap<>();
        for (TimedEndpoint e : eps) {
            if (!usableEndpoint(e.address())) {
                badEndpoints++;
            } else if (e.unixSeconds() < 0 || e.unixSeconds() > limit) { // u64 above 2^63 decodes negative
                futureTimestamps++;
            } else {
                best.merge(e.address(), e, (x, y) -> x.unixSeconds() >= y.unixSeconds() ? x : y);
            }
        }
        return best.values().stream()
                .sorted(Comparator.comparingLong(TimedEndpoint::unixSeconds).reversed())
                .limit(KEEP_MAX_ADDRESSES)
                .toList();
    }

    private boolean usableEndpoint(InetSocketAddress a) {
        InetAddress ip = a.getAddress();
        if (ip == null || a.getPort() == 0) return false;
        if (ip.isAnyLocalAddress() || ip.isMulticastAddress() || meshAddresses.contains(ip)) return false;
        return !(ip instanceof Inet4Address && ip.getAddress()[0] == (byte) 255 && ip.getAddress()[1] == (byte) 255
                && ip.getAddress()[2] == (byte) 255 && ip.getAddress()[3] == (byte) 255);
    }

    private Optional<String> canonicalKey(String b64) {
        try {
            return Optional.of(WgKey.fromBase64(b64).toBase64());
        } catch (IllegalArgumentException e) {
            badPubkeys++;
            return Optional.empty();
        }
    }

    // ---------------------------------------------------------------- endpoints

    /**
     * Moves every peer along: notices on state changes, keepalive 30 s for connected peers, a LAN
     * upgrade when a connected peer has a fresh LAN endpoint, and the next candidate for a disconnected
     * one. Nothing happens before the first device read.
     */
    private void drive(long nowMillis, Out out) {
        if (!deviceSeen) return;
        for (Peer p : peers.values()) {
            if (!p.present) continue;
            State before = p.state;
            p.state = stateOf(p, nowMillis);
            boolean connected = p.state == State.CONNECTED || p.state == State.LAN;
            if (connected) {
                if (before != State.CONNECTED && before != State.LAN) onConnected(p, before, nowMillis, out);
                driveConnected(p, nowMillis, out);
            } else {
                if (before == State.CONNECTED || before == State.LAN) {
                    resetBackoff(p);
                    p.currentJudged = true;
                    out.notice(p.name + (p.live(nowMillis)
                            ? " went silent: nothing received for " + (nowMillis - p.rxChangedMillis) / 1000 + " s"
                            : p.handshakeS == 0 ? " disconnected: WireGuard has no session with it (interface recreated?)"
                            : " disconnected: last handshake " + (nowMillis / 1000 - p.handshakeS) + " s ago")
                            + "; probing " + candidates(p, nowMillis).size() + " candidate endpoints");
                } else if (p.state != before && p.state == State.NO_CANDIDATES) {
                    out.notice(p.name + " has no endpoint to try: none in the config, none gossiped or broadcast yet");
                }
                driveDisconnected(p, nowMillis, out);
            }
        }
    }

    private void onConnected(Peer p, State before, long nowMillis, Out out) {
        InetSocketAddress ep = p.deviceEndpoint.orElse(p.current);
        String line = p.name + " connected " + (p.state == State.LAN ? "on the LAN" : "directly") + " at "
                + (ep == null ? "?" : HostPort.format(ep));
        if (ep != null) {
            Source s = sourceOf(p, ep, nowMillis);
            line += ", " + s.describe();
            Learned l = learned.getOrDefault(p.b64, Map.of()).get(ep);
            if (s.kind() == SourceKind.GOSSIP && l != null) {
                line += String.format(" %.1f s after it was announced", (nowMillis - l.atMillis()) / 1000.0);
            } else if (p.current != null && p.current.equals(ep) && before != null) {
                line += String.format(", %.1f s after we tried it", (nowMillis - p.currentSinceMillis) / 1000.0);
            }
            // Status keeps naming the source the log line named, even if others gossip the address later.
            p.current = ep;
            p.currentSource = s;
        }
        out.notice(line);
        resetBackoff(p);
        p.upgradeFrom = null;
        // Swap tables with it at once rather than waiting for the next change.
        out.send(gossipAddress(p), new Message.Request());
        gossip.forEach((pk, eps) -> out.send(gossipAddress(p), new Message.Announce(pk, eps)));
    }

    private void driveConnected(Peer p, long nowMillis, Out out) {
        if (p.upgradeFrom != null) {
            if (nowMillis - p.currentSinceMillis < TRY_WINDOW_MS) return;
            boolean worked = p.deviceEndpoint.equals(Optional.of(p.lan)) && p.rx > p.upgradeRx;
            if (!worked) {
                fail(p.attempts.get(p.lan), nowMillis);
                out.update(PeerUpdate.of(p.config.pubkey()).endpoint(p.upgradeFrom).keepalive(KEEPALIVE_CONNECTED).build());
                p.current = p.upgradeFrom;
                p.currentSource = sourceOf(p, p.upgradeFrom, nowMillis);
            } else {
                out.notice(p.name + " moved to its LAN endpoint " + HostPort.format(p.lan));
                out.update(PeerUpdate.of(p.config.pubkey()).keepalive(KEEPALIVE_CONNECTED).build());
            }
            p.keepalive = KEEPALIVE_CONNECTED;
            p.upgradeFrom = null;
            return;
        }
        // Half-way to "silent": a Ping makes a live path prove itself (the Pong, or even an ICMP error
        // from a node without an agent, comes back through the tunnel and moves rx).
        // Same when gossip says it was seen elsewhere since our last handshake (its NAT mapping changed?):
        // if our path still works nothing changes; if not, it is probed within seconds.
        if ((p.maybeMoved || nowMillis - p.rxChangedMillis >= SILENT_MS / 2) && p.probePingMillis <= p.rxChangedMillis) {
            p.probePingMillis = nowMillis;
            out.send(gossipAddress(p), new Message.Ping());
        }
        p.maybeMoved = false;
        // WireGuard roams a live session on its own; the only move we make is to a fresh LAN endpoint.
        if (p.lanFresh(nowMillis) && p.deviceEndpoint.isPresent() && !p.deviceEndpoint.get().equals(p.lan)) {
            Attempt a = p.attempts.get(p.lan);
            if (a == null || a.eligibleAtMillis <= nowMillis) {
                p.upgradeFrom = p.deviceEndpoint.get();
                p.upgradeRx = p.rx;
                tryEndpoint(p, new Cand(p.lan, new Source(SourceKind.LAN, p.lan.getAddress().getHostAddress()),
                        p.lanSeenMillis / 1000), nowMillis, out);
                return;
            }
        }
        if (p.keepalive != KEEPALIVE_CONNECTED) {
            p.keepalive = KEEPALIVE_CONNECTED;
            out.update(PeerUpdate.of(p.config.pubkey()).keepalive(KEEPALIVE_CONNECTED).build());
        }
    }

    /**
     * Cycles candidates: an untried one goes first (even mid-window: it is news); otherwise the current
     * one keeps its window, then counts as failed and the first candidate whose backoff is over follows.
     */
    private void driveDisconnected(Peer p, long nowMillis, Out out) {
        List<Cand> cands = candidates(p, nowMillis);
        if (cands.isEmpty()) return;
        Cand untried = cands.stream().filter(c -> !p.attempts.containsKey(c.address())).findFirst().orElse(null);
        int currentAt = p.current == null ? -1
                : cands.stream().map(Cand::address).toList().indexOf(p.current);
        boolean currentListed = currentAt >= 0;
        boolean inWindow = currentListed && !p.currentJudged && nowMillis - p.currentSinceMillis < TRY_WINDOW_MS;
        // Mid-window, only news that ranks ahead (fresher, or LAN) interrupts the current try.
        if (inWindow && (untried == null || cands.indexOf(untried) > currentAt)) return;
        if (currentListed && !p.currentJudged && !inWindow) fail(p.attempts.get(p.current), nowMillis);
        p.currentJudged = true; // an interrupted window is not a failure: the candidate stays eligible
        Cand next = untried != null ? untried
                : cands.stream().filter(c -> p.attempts.get(c.address()).eligibleAtMillis <= nowMillis).findFirst().orElse(null);
        if (next != null) tryEndpoint(p, next, nowMillis, out);
    }

    private void tryEndpoint(Peer p, Cand c, long nowMillis, Out out) {
        Attempt a = p.attempts.computeIfAbsent(c.address(), k -> new Attempt());
        a.tries++;
        a.lastTriedMillis = nowMillis;
        p.current = c.address();
        p.currentSource = c.source();
        p.currentSinceMillis = nowMillis;
        p.currentJudged = false;
        p.keepalive = KEEPALIVE_PROBING;
        out.update(fullUpdate(p, c.address()));
        out.send(gossipAddress(p), new Message.Ping()); // traffic makes WireGuard handshake now
    }

    /** Connection state changed: old failures say nothing about the new situation (tries stay, for status). */
    private static void resetBackoff(Peer p) {
        for (Attempt a : p.attempts.values()) {
            a.failures = 0;
            a.eligibleAtMillis = 0;
        }
    }

    private static void fail(Attempt a, long nowMillis) {
        if (a == null) return;
        a.failures++;
        a.eligibleAtMillis = nowMillis + Math.min(BACKOFF_MAX_MS, BACKOFF_BASE_MS << Math.min(a.failures - 1, 20));
    }

    /** In trying order: a fresh LAN endpoint, then gossiped and saved endpoints newest first, then the config's. */
    private List<Cand> candidates(Peer p, long nowMillis) {
        Map<InetSocketAddress, Cand> out = new LinkedHashMap<>();
        if (p.lanFresh(nowMillis)) {
            out.put(p.lan, new Cand(p.lan, new Source(SourceKind.LAN, p.lan.getAddress().getHostAddress()),
                    p.lanSeenMillis / 1000));
        }
        Map<InetSocketAddress, Learned> origin = learned.getOrDefault(p.b64, Map.of());
        for (TimedEndpoint e : gossip.getOrDefault(p.b64, List.of())) {
            Learned l = origin.get(e.address());
            // Gossip ranks it (newest first), but an address the config names is shown as the config's.
            Source src = p.resolved.contains(e.address()) ? new Source(SourceKind.CONFIG, "")
                    : l != null ? l.source() : new Source(SourceKind.GOSSIP, "");
            out.putIfAbsent(e.address(), new Cand(e.address(), src, e.unixSeconds()));
        }
        for (InetSocketAddress a : p.resolved) out.putIfAbsent(a, new Cand(a, new Source(SourceKind.CONFIG, ""), 0));
        return List.copyOf(out.values());
    }

    private State stateOf(Peer p, long nowMillis) {
        if (p.connected(nowMillis)) {
            return p.lanFresh(nowMillis) && p.deviceEndpoint.equals(Optional.of(p.lan)) ? State.LAN : State.CONNECTED;
        }
        return candidates(p, nowMillis).isEmpty() ? State.NO_CANDIDATES : State.PROBING;
    }

    private Source sourceOf(Peer p, InetSocketAddress ep, long nowMillis) {
        if (ep.equals(p.current) && p.currentSource != null) return p.currentSource;
        return candidates(p, nowMillis).stream().filter(c -> c.address().equals(ep)).map(Cand::source).findFirst()
                .orElse(new Source(SourceKind.WIREGUARD, ""));
    }

    /** Keepalive only together with an endpoint: see start() for why a peer without one gets none. */
    private PeerUpdate fullUpdate(Peer p, InetSocketAddress endpoint) {
        var b = PeerUpdate.of(p.config.pubkey()).allowedIps(p.allowedIps);
        if (endpoint != null) {
            if (p.keepalive <= 0) p.keepalive = KEEPALIVE_PROBING;
            b.endpoint(endpoint).keepalive(p.keepalive);
        }
        return b.build();
    }

    private InetSocketAddress gossipAddress(Peer p) {
        return new InetSocketAddress(p.config.address(), settings.gossipPort());
    }


    /** Collects the actions of one event: peer changes first, in one batch, so a Ping follows its endpoint. */
    private static final class Out {
        private final List<PeerUpdate> updates = new ArrayList<>();
        private final List<Action> rest = new ArrayList<>();
        private boolean persist;

        void update(PeerUpdate u) { updates.add(u); }
        void send(InetSocketAddress to, Message m) { rest.add(new Action.Send(to, m)); }
        void add(Action a) { rest.add(a); }
        void notice(String line) { rest.add(new Action.Notice(line)); }
        void persist() { persist = true; }

        List<Action> actions() {
            List<Action> all = new ArrayList<>();
            if (!updates.isEmpty()) all.add(new Action.Configure(updates));
            all.addAll(rest);
            if (persist) all.add(new Action.Persist());
            return all;
        }
    }
}
