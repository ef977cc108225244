package dev.automesh.mesh;

import dev.automesh.crypto.WgKey;
import dev.automesh.mesh.MeshStatus.Source;
import dev.automesh.mesh.MeshStatus.SourceKind;
import dev.automesh.wire.TimedEndpoint;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.function.BiConsumer;

/**
 * The gossip table, as wgautomesh's: pubkey → up to 5 endpoints, newest first, with its merge rule.
 * It also checks what comes in (bad keys, unusable endpoints, dates far ahead, too many unknown pubkeys)
 * and counts what it drops. It knows nothing of paths: a merge returns what changed, and the caller
 * decides what that means for a peer.
 */
final class GossipTable {
    static final int KEEP_MAX_ADDRESSES = 5;
    /** Endpoints dated further ahead are dropped: they would outrank every honest sighting for that long. */
    static final long MAX_FUTURE_S = 600;
    /** wgautomesh keeps and forwards gossip about any pubkey; we do too, but bound it. */
    static final int MAX_UNKNOWN_PUBKEYS = 64;
    /**
     * Newest first; equal dates by address, so that every automesh node keeps the same 5 of a peer with
     * more (a symmetric NAT) and a merge of the same endpoints in another order changes nothing.
     */
    static final Comparator<TimedEndpoint> NEWEST_FIRST = Comparator.comparingLong(TimedEndpoint::unixSeconds).reversed()
            .thenComparing(e -> e.address().toString());

    /** Where a table endpoint came from and when we learned it (not on the wire). */
    record Learned(Source source, long atMillis) {}

    /**
     * What one merge did.
     *
     * @param pubkey  the canonical key merged into
     * @param fresher the incoming endpoints that beat what was known (even if then cut from the top 5)
     * @param changed whether the stored list changed, and so must be announced and persisted
     */
    record Merged(String pubkey, List<TimedEndpoint> fresher, boolean changed) {
        static final Merged NOTHING = new Merged("", List.of(), false);

        Merged {
            fresher = List.copyOf(fresher);
        }
    }

    private final String ownB64;
    private final Set<String> configured;
    private final Set<InetAddress> meshAddresses;
    private final Map<String, List<TimedEndpoint>> table = new LinkedHashMap<>();
    private final Map<String, Map<InetSocketAddress, Learned>> learned = new HashMap<>();
    private long badPubkeys, badEndpoints, futureTimestamps, unknownPeersFull, foreignBroadcasts;

    /**
     * @param configured    the configured peers' pubkeys (base64): never subject to the unknown-pubkey bound
     * @param meshAddresses every configured mesh address: never an endpoint
     */
    GossipTable(String ownB64, Set<String> configured, Set<InetAddress> meshAddresses) {
        this.ownB64 = ownB64;
        this.configured = Set.copyOf(configured);
        this.meshAddresses = Set.copyOf(meshAddresses);
    }

    /** The saved table at start, each entry checked like gossip. */
    List<Merged> restore(Map<String, List<TimedEndpoint>> saved, long nowMillis) {
        List<Merged> all = new ArrayList<>();
        for (var e : saved.entrySet()) {
            Optional<String> key = canonicalKey(e.getKey());
            if (key.isEmpty()) continue;
            all.add(merge(key.get(), sanitize(e.getValue(), nowMillis), new Source(SourceKind.STATE_FILE, ""), nowMillis));
        }
        return all;
    }

    /** An Announce's pubkey and endpoints, checked, bounded and merged. */
    Merged announce(String pubkey, List<TimedEndpoint> endpoints, Source from, long nowMillis) {
        Optional<String> key = canonicalKey(pubkey);
        if (key.isEmpty()) return Merged.NOTHING;
        String pk = key.get();
        if (!table.containsKey(pk) && !known(pk) && unknownPubkeys() >= MAX_UNKNOWN_PUBKEYS) {
            unknownPeersFull++;
            return Merged.NOTHING;
        }
        return merge(pk, sanitize(endpoints, nowMillis), from, nowMillis);
    }

    /** One endpoint we saw ourselves (WireGuard's view of a peer, or our own UPnP mapping). */
    Merged sighting(String pk, TimedEndpoint e, Source source, long nowMillis) {
        return merge(pk, List.of(e), source, nowMillis);
    }

    /**
     * wgautomesh's merge rule: an endpoint is new unless one with the same address and a timestamp at
     * least as recent is known; new ones replace same-address entries; newest first, 5 kept.
     */
    private Merged merge(String pk, List<TimedEndpoint> incoming, Source src, long nowMillis) {
        List<TimedEndpoint> list = new ArrayList<>(table.getOrDefault(pk, List.of()));
        List<TimedEndpoint> before = List.copyOf(list);
        Map<InetSocketAddress, Learned> origin = learned.computeIfAbsent(pk, k -> new HashMap<>());
        List<TimedEndpoint> fresher = new ArrayList<>();
        for (TimedEndpoint e : incoming) {
            if (list.stream().anyMatch(x -> x.address().equals(e.address()) && x.unixSeconds() >= e.unixSeconds())) continue;
            list.removeIf(x -> x.address().equals(e.address()));
            list.add(e);
            origin.put(e.address(), new Learned(src, nowMillis));
            fresher.add(e);
        }
        list.sort(NEWEST_FIRST);
        if (list.size() > KEEP_MAX_ADDRESSES) list = new ArrayList<>(list.subList(0, KEEP_MAX_ADDRESSES));
        List<InetSocketAddress> kept = list.stream().map(TimedEndpoint::address).toList();
        origin.keySet().retainAll(kept);
        boolean changed = !list.equals(before);
        if (changed) table.put(pk, List.copyOf(list));
        return new Merged(pk, fresher, changed);
    }

    /** Drops endpoints no honest node announces; keeps the 5 newest of what is left. */
    private List<TimedEndpoint> sanitize(List<TimedEndpoint> eps, long nowMillis) {
        long limit = nowMillis / 1000 + MAX_FUTURE_S;
        Map<InetSocketAddress, TimedEndpoint> best = new LinkedHashMap<>();
        for (TimedEndpoint e : eps) {
            if (!usable(e.address())) {
                badEndpoints++;
            } else if (e.unixSeconds() < 0 || e.unixSeconds() > limit) { // u64 above 2^63 decodes negative
                futureTimestamps++;
            } else {
                best.merge(e.address(), e, (x, y) -> x.unixSeconds() >= y.unixSeconds() ? x : y);
            }
        }
        return best.values().stream()
                .sorted(NEWEST_FIRST)
                .limit(KEEP_MAX_ADDRESSES)
                .toList();
    }

    /** Not multicast, unspecified, 255.255.255.255, port 0, or a mesh address. */
    boolean usable(InetSocketAddress a) {
        InetAddress ip = a.getAddress();
        if (ip == null || a.getPort() == 0) return false;
        if (ip.isAnyLocalAddress() || ip.isMulticastAddress() || meshAddresses.contains(ip)) return false;
        return !(ip instanceof Inet4Address && ip.getAddress()[0] == (byte) 255 && ip.getAddress()[1] == (byte) 255
                && ip.getAddress()[2] == (byte) 255 && ip.getAddress()[3] == (byte) 255);
    }

    /** The key in canonical base64, or empty (and counted) when it is not a WireGuard key. */
    Optional<String> canonicalKey(String b64) {
        try {
            return Optional.of(WgKey.fromBase64(b64).toBase64());
        } catch (IllegalArgumentException e) {
            badPubkeys++;
            return Optional.empty();
        }
    }

    private boolean known(String pk) {
        return configured.contains(pk) || pk.equals(ownB64);
    }

    private long unknownPubkeys() {
        return table.keySet().stream().filter(k -> !known(k)).count();
    }

    void countBadEndpoint() {
        badEndpoints++;
    }

    void countForeignBroadcast() {
        foreignBroadcasts++;
    }

    /** Newest first; empty when nothing is known. */
    List<TimedEndpoint> endpoints(String pk) {
        return table.getOrDefault(pk, List.of());
    }

    /** Whether {@code ep} is listed for {@code pk} dated after {@code afterS}. */
    boolean listedAfter(String pk, InetSocketAddress ep, long afterS) {
        return endpoints(pk).stream().anyMatch(x -> x.address().equals(ep) && x.unixSeconds() > afterS);
    }

    /** Where a listed endpoint came from and when we learned it. */
    Optional<Learned> learned(String pk, InetSocketAddress ep) {
        return Optional.ofNullable(learned.getOrDefault(pk, Map.of()).get(ep));
    }

    OptionalLong learnedAtMillis(String pk, InetSocketAddress ep) {
        return learned(pk, ep).map(l -> OptionalLong.of(l.atMillis())).orElse(OptionalLong.empty());
    }

    /** Every entry, in table order (a Request's answer, a re-announce). */
    void forEach(BiConsumer<String, List<TimedEndpoint>> each) {
        table.forEach(each);
    }

    /** A copy to save at persist_file. */
    Map<String, List<TimedEndpoint>> snapshot() {
        Map<String, List<TimedEndpoint>> copy = new LinkedHashMap<>();
        table.forEach((k, v) -> copy.put(k, List.copyOf(v)));
        return copy;
    }

    MeshStatus.Counters counters() {
        return new MeshStatus.Counters(badPubkeys, badEndpoints, futureTimestamps, unknownPeersFull, foreignBroadcasts);
    }
}
