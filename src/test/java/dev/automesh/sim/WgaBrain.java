package dev.automesh.sim;

import dev.automesh.config.PeerConfig;
import dev.automesh.crypto.WgKey;
import dev.automesh.mesh.Action;
import dev.automesh.wg.IpPrefix;
import dev.automesh.wg.PeerUpdate;
import dev.automesh.wg.WgDevice;
import dev.automesh.wg.WgPeer;
import dev.automesh.wire.Message;
import dev.automesh.wire.TimedEndpoint;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A model of wgautomesh (src/main.rs), the other implementation in a mixed mesh, not the code under
 * test. A 30-second loop reads the device, announces (and merges) every peer's endpoint whose
 * handshake is not 300 s older than the known entry, then configures each disconnected peer (no
 * handshake for 300 s) with the next of its known endpoints (i mod n, sorted), keepalive 10, and
 * sets keepalive 30 on connected ones. An Announce that brings any newer timestamp is forwarded to
 * the 10 lowest-ranked peers with a handshake in the last 300 s. Request gets the whole table, Ping a
 * Pong. At start it Requests every peer. No LAN discovery in this model.
 */
final class WgaBrain implements Brain {
    static final int KEEP = 5, GOSSIP_PEERS = 10;
    static final long TRY_INTERVAL_MS = 30_000, TIMEOUT_S = 300, GOSSIP_INTERVAL_S = 300;

    private final String own;
    private final int gossipPort;
    private final List<PeerConfig> peers;
    private final Map<String, PeerConfig> byKey = new HashMap<>();
    private final Map<InetAddress, PeerConfig> byAddress = new HashMap<>();
    private final Map<String, List<InetSocketAddress>> resolved = new HashMap<>();
    private final Map<String, Info> info = new LinkedHashMap<>();
    private final Map<String, List<TimedEndpoint>> gossip = new LinkedHashMap<>();
    private WgDevice device;
    private long nextLoopMs = Long.MIN_VALUE;
    private int i;

    private record Info(InetSocketAddress endpoint, long lastSeen, long prio) {}

    WgaBrain(WgKey own, int gossipPort, List<PeerConfig> peers) {
        this.own = own.toBase64();
        this.gossipPort = gossipPort;
        this.peers = peers.stream().filter(p -> !p.pubkey().equals(own)).toList();
        for (PeerConfig p : this.peers) {
            byKey.put(p.pubkey().toBase64(), p);
            byAddress.put(p.address(), p);
        }
    }

    /** wgautomesh ranks with xxh3-64 of "own-their"; any fixed pseudo-random order per pair behaves the same. */
    private long prio(String theirs) {
        long h = (own + "-" + theirs).hashCode() * 0x9E3779B97F4A7C15L;
        h ^= h >>> 31;
        return h * 0xBF58476D1CE4E5B9L;
    }

    public List<Action> start(Map<String, List<TimedEndpoint>> saved, long now) {
        gossip.putAll(saved);
        List<Action> out = new ArrayList<>();
        setupPeers(now, out);
        for (PeerConfig p : peers) out.add(new Action.Send(new InetSocketAddress(p.address(), gossipPort), new Message.Request()));
        nextLoopMs = now + TRY_INTERVAL_MS;
        i = 1;
        return out;
    }

    public List<Action> onDatagram(InetSocketAddress from, Message m, long now) {
        List<Action> out = new ArrayList<>();
        if (!byAddress.containsKey(from.getAddress())) return out;
        if (m instanceof Message.Ping) {
            out.add(new Action.Send(from, new Message.Pong()));
        } else if (m instanceof Message.Request) {
            gossip.forEach((pk, eps) -> out.add(new Action.Send(from, new Message.Announce(pk, eps))));
        } else if (m instanceof Message.Announce a) {
            handleAnnounce(a.pubkey(), a.endpoints(), now, out);
        }
        return out;
    }

    public List<Action> onDevice(WgDevice d, long now) {
        device = d;
        return List.of();
    }

    public List<Action> onTick(long now) {
        List<Action> out = new ArrayList<>();
        if (now < nextLoopMs || device == null) return out;
        nextLoopMs = now + TRY_INTERVAL_MS;
        for (WgPeer w : device.peers()) {
            String pk = w.publicKey().toBase64();
            if (!byKey.containsKey(pk)) continue;
            info.put(pk, new Info(w.endpoint().orElse(null), w.lastHandshakeEpochSeconds(), prio(pk)));
        }
        List<Map.Entry<String, Info>> announce = info.entrySet().stream()
                .filter(e -> e.getValue().endpoint() != null)
                .filter(e -> gossip.getOrDefault(e.getKey(), List.of()).stream().noneMatch(x ->
                        x.address().equals(e.getValue().endpoint()) && e.getValue().lastSeen() > x.unixSeconds() + GOSSIP_INTERVAL_S))
                .toList();
        for (var e : announce) {
            handleAnnounce(e.getKey(), List.of(new TimedEndpoint(e.getValue().endpoint(), e.getValue().lastSeen())), now, out);
        }
        setupPeers(now, out);
        i++;
        return out;
    }

    public List<Action> onResolved(WgKey peer, List<InetSocketAddress> addresses, long now) {
        resolved.put(peer.toBase64(), List.copyOf(addresses));
        return List.of();
    }

    public Map<String, List<TimedEndpoint>> table() { return Map.copyOf(gossip); }

    private void handleAnnounce(String pk, List<TimedEndpoint> endpoints, long now, List<Action> out) {
        List<TimedEndpoint> existing = gossip.get(pk);
        List<TimedEndpoint> propagate;
        if (existing != null) {
            List<TimedEndpoint> list = new ArrayList<>(existing);
            boolean hasNew = false;
            for (TimedEndpoint e : endpoints) {
                if (list.stream().noneMatch(x -> x.address().equals(e.address()) && x.unixSeconds() >= e.unixSeconds())) {
                    list.removeIf(x -> x.address().equals(e.address()));
                    list.add(e);
                    hasNew = true;
                }
            }
            if (!hasNew) return;
            list.sort(Comparator.comparingLong(TimedEndpoint::unixSeconds).reversed());
            propagate = List.copyOf(list.subList(0, Math.min(KEEP, list.size())));
        } else {
            propagate = List.copyOf(endpoints.subList(0, Math.min(KEEP, endpoints.size())));
        }
        gossip.put(pk, propagate);
        long nowS = now / 1000;
        info.entrySet().stream().filter(e -> nowS < e.getValue().lastSeen() + TIMEOUT_S && e.getValue().endpoint() != null)
                .sorted(Comparator.comparingLong(e -> e.getValue().prio()))
                .limit(GOSSIP_PEERS)
                .forEach(e -> out.add(new Action.Send(new InetSocketAddress(byKey.get(e.getKey()).address(), gossipPort),
                        new Message.Announce(pk, propagate))));
    }

    private void setupPeers(long now, List<Action> out) {
        long nowS = now / 1000;
        List<PeerUpdate> updates = new ArrayList<>();
        for (PeerConfig p : peers) {
            String pk = p.pubkey().toBase64();
            List<IpPrefix> allowed = List.of(IpPrefix.host(p.address()));
            Info x = info.get(pk);
            if (x != null && nowS < x.lastSeen() + TIMEOUT_S) {
                updates.add(PeerUpdate.of(p.pubkey()).keepalive(30).build());
                continue;
            }
            List<TimedEndpoint> eps = new ArrayList<>(gossip.getOrDefault(pk, List.of()));
            for (InetSocketAddress a : resolved.getOrDefault(pk, List.of())) eps.add(new TimedEndpoint(a, 0));
            eps.sort(Comparator.<TimedEndpoint, byte[]>comparing(e -> e.address().getAddress().getAddress(), Arrays::compareUnsigned)
                    .thenComparingInt(e -> e.address().getPort()).thenComparingLong(TimedEndpoint::unixSeconds));
            if (!eps.isEmpty()) {
                updates.add(PeerUpdate.of(p.pubkey()).endpoint(eps.get(i % eps.size()).address()).keepalive(10).allowedIps(allowed).build());
            } else {
                updates.add(PeerUpdate.of(p.pubkey()).allowedIps(allowed).build());
            }
        }
        out.add(0, new Action.Configure(updates));
    }
}
