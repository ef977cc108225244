package dev.automesh.mesh;

import dev.automesh.config.EndpointClass;
import dev.automesh.crypto.WgKey;
import dev.automesh.mesh.MeshStatus.Source;
import dev.automesh.mesh.MeshStatus.SourceKind;
import dev.automesh.wire.TimedEndpoint;
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
    /**
     * Dates further ahead than this count as "now": a date in the future would outrank every honest
     * sighting until it passes. 10 s tolerates the skew of NTP-synchronised clocks.
     */
    static final long MAX_SKEW_S = 10;
    /**
     * How many of a peer's 5 slots one gossip source may fill: a lying member cannot crowd out the
     * honest sightings. The peer announcing itself and what we see ourselves are not capped.
     */
    static final int MAX_PER_SOURCE = 2;
    /**
     * A source at its cap may replace its own oldest slot with a newer address, once per this: an
     * honest node that saw the peer re-map again gets the news in, a liar churning fresh addresses
     * gets one new candidate per 30 s, never a stream of untried ones ahead of the honest sightings.
     */
    static final long SOURCE_REPLACE_MS = 30_000;
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
    /** Each configured key (and ours) as the caller's own String: the table's keys are then those instances, and lookups by them short-cut equals. */
    private final Map<String, String> keyInstances = new HashMap<>();
    /** In canonical spelling (EndpointClass.canonical), so that a check is one lookup, not a pass over every peer. */
    private final Set<InetAddress> meshAddresses;
    private final Map<String, List<TimedEndpoint>> table = new LinkedHashMap<>();
    private final Map<String, Map<InetSocketAddress, Learned>> learned = new HashMap<>();
    private long badPubkeys, badEndpoints, futureTimestamps, unknownPeersFull, foreignBroadcasts, sourceCapped;

    /**
     * @param configured    the configured peers' pubkeys (base64): never subject to the unknown-pubkey bound
     * @param meshAddresses every configured mesh address: never an endpoint
     */
    GossipTable(String ownB64, Set<String> configured, Set<InetAddress> meshAddresses) {
        this.ownB64 = ownB64;
        this.configured = Set.copyOf(configured);
        for (String k : configured) keyInstances.put(k, k);
        keyInstances.put(ownB64, ownB64);
        this.meshAddresses = meshAddresses.stream().map(EndpointClass::canonical).collect(java.util.stream.Collectors.toUnmodifiableSet());
    }

    /** The saved table at start, each entry checked like gossip. */
    List<Merged> restore(Map<String, List<TimedEndpoint>> saved, long nowMillis) {
        List<Merged> all = new ArrayList<>();
        for (var e : saved.entrySet()) {
            Optional<String> key = canonicalKey(e.getKey());
            if (key.isEmpty()) continue;
            String pk = key.get();
            // The same bound as gossip: a crafted state file cannot load more unknown keys than gossip could.
            if (!admit(pk)) continue;
            all.add(merge(pk, sanitize(pk, e.getValue(), nowMillis), new Source(SourceKind.STATE_FILE, ""), true, nowMillis));
        }
        return all;
    }

    /**
     * An Announce's pubkey and endpoints, checked, bounded and merged.
     *
     * @param senderKey the configured peer it came from (by its mesh address), if any: a peer announcing
     *                  its own key is not held to the per-source cap
     */
    Merged announce(String pubkey, List<TimedEndpoint> endpoints, Source from, Optional<String> senderKey, long nowMillis) {
        Optional<String> key = canonicalKey(pubkey);
        if (key.isEmpty()) return Merged.NOTHING;
        String pk = key.get();
        if (!admit(pk)) return Merged.NOTHING;
        boolean self = senderKey.isPresent() && senderKey.get().equals(pk);
        return merge(pk, sanitize(pk, endpoints, nowMillis), from, self, nowMillis);
    }

    Merged announce(String pubkey, List<TimedEndpoint> endpoints, Source from, long nowMillis) {
        return announce(pubkey, endpoints, from, Optional.empty(), nowMillis);
    }

    /** One endpoint we saw ourselves (WireGuard's view of a peer, or our own UPnP mapping). */
    Merged sighting(String pk, TimedEndpoint e, Source source, long nowMillis) {
        return merge(pk, List.of(e), source, true, nowMillis);
    }

    /** Whether gossip about {@code pk} may enter: a key already listed or configured, or room for one more unknown. */
    private boolean admit(String pk) {
        if (table.containsKey(pk) || known(pk) || unknownPubkeys() < MAX_UNKNOWN_PUBKEYS) return true;
        unknownPeersFull++;
        return false;
    }

    /**
     * wgautomesh's merge rule: an endpoint is new unless one with the same address and a timestamp at
     * least as recent is known; new ones replace same-address entries; newest first, 5 kept.
     */
    private Merged merge(String pk, List<TimedEndpoint> incoming, Source src, boolean uncapped, long nowMillis) {
        if (incoming.isEmpty()) return new Merged(pk, List.of(), false); // nothing to keep, nothing to remember
        List<TimedEndpoint> list = new ArrayList<>(table.getOrDefault(pk, List.of()));
        List<TimedEndpoint> before = List.copyOf(list);
        Map<InetSocketAddress, Learned> origin = learned.computeIfAbsent(pk, k -> new HashMap<>());
        List<TimedEndpoint> fresher = new ArrayList<>();
        for (TimedEndpoint e : incoming) {
            if (list.stream().anyMatch(x -> x.address().equals(e.address()) && x.unixSeconds() >= e.unixSeconds())) continue;
            if (!uncapped && fromSource(origin, src, e.address()) >= MAX_PER_SOURCE) {
                // A source's newer word replaces its own oldest slot, never another source's: an honest
                // node that saw the peer re-map twice gets the third address in (FailoverBench's second
                // both-NATs re-map was missed so: pub's news of b's new port was capped at a).
                TimedEndpoint oldest = oldestFrom(list, origin, src, e.address());
                if (oldest == null || oldest.unixSeconds() >= e.unixSeconds()
                        || lastLearnedFrom(origin, src) > nowMillis - SOURCE_REPLACE_MS) {
                    sourceCapped++;
                    continue;
                }
                list.remove(oldest);
                origin.remove(oldest.address());
            }
            list.removeIf(x -> x.address().equals(e.address()));
            list.add(e);
            origin.put(e.address(), new Learned(src, nowMillis));
            fresher.add(e);
        }
        list.sort(NEWEST_FIRST);
        if (list.size() > KEEP_MAX_ADDRESSES) list = new ArrayList<>(list.subList(0, KEEP_MAX_ADDRESSES));
        List<InetSocketAddress> kept = list.stream().map(TimedEndpoint::address).toList();
        origin.keySet().retainAll(kept);
        if (origin.isEmpty()) learned.remove(pk); // only listed endpoints have an origin: bounded by the table
        boolean changed = !list.equals(before);
        if (changed) table.put(pk, List.copyOf(list));
        return new Merged(pk, fresher, changed);
    }

    /** The oldest of the listed endpoints (other than {@code except}) that came from {@code src}, or null. */
    private static TimedEndpoint oldestFrom(List<TimedEndpoint> list, Map<InetSocketAddress, Learned> origin, Source src,
            InetSocketAddress except) {
        TimedEndpoint oldest = null;
        for (TimedEndpoint x : list) {
            Learned l = origin.get(x.address());
            if (x.address().equals(except) || l == null || !l.source().equals(src)) continue;
            if (oldest == null || x.unixSeconds() < oldest.unixSeconds()) oldest = x;
        }
        return oldest;
    }

    /** When we last took an endpoint (new or re-dated) from {@code src}, among those still listed. */
    private static long lastLearnedFrom(Map<InetSocketAddress, Learned> origin, Source src) {
        long last = Long.MIN_VALUE;
        for (Learned l : origin.values()) if (l.source().equals(src)) last = Math.max(last, l.atMillis());
        return last;
    }

    /** How many of {@code pk}'s listed endpoints (other than {@code except}) came from {@code src}. */
    private static int fromSource(Map<InetSocketAddress, Learned> origin, Source src, InetSocketAddress except) {
        int n = 0;
        for (var e : origin.entrySet()) {
            if (!e.getKey().equals(except) && e.getValue().source().equals(src)) n++;
        }
        return n;
    }

    /**
     * Drops endpoints no honest node announces; dates ahead of our clock count as now; keeps the 5
     * newest of what is left. A future date for an address already listed is no news at all: else a
     * liar re-sending it would re-date it (and reset its backoff) on every datagram.
     */
    private List<TimedEndpoint> sanitize(String pk, List<TimedEndpoint> eps, long nowMillis) {
        long nowS = nowMillis / 1000;
        Map<InetSocketAddress, TimedEndpoint> best = new LinkedHashMap<>();
        for (TimedEndpoint e : eps) {
            if (!usable(e.address())) {
                badEndpoints++;
                continue;
            }
            if (e.unixSeconds() < 0) { // u64 above 2^63 decodes negative: no honest clock says that
                futureTimestamps++;
                continue;
            }
            if (e.unixSeconds() > nowS + MAX_SKEW_S) {
                futureTimestamps++;
                InetSocketAddress addr = e.address();
                if (endpoints(pk).stream().anyMatch(x -> x.address().equals(addr))) continue;
                e = new TimedEndpoint(addr, nowS);
            }
            best.merge(e.address(), e, (x, y) -> x.unixSeconds() >= y.unixSeconds() ? x : y);
        }
        return best.values().stream()
                .sorted(NEWEST_FIRST)
                .limit(KEEP_MAX_ADDRESSES)
                .toList();
    }

    /** Whether a gossiped (or seen) endpoint can be a remote peer's, in every spelling: see {@link EndpointClass}. */
    boolean usable(InetSocketAddress a) {
        return a.getAddress() != null && EndpointClass.forGossip(a, Set.of()) == EndpointClass.ROUTABLE && !isMeshAddress(a);
    }

    /** As {@link #usable}, for what the operator configured: a loopback endpoint may be on purpose. */
    boolean usableConfigured(InetSocketAddress a) {
        return a.getAddress() != null && EndpointClass.forConfig(a, Set.of()) == EndpointClass.ROUTABLE && !isMeshAddress(a);
    }

    /** As EndpointClass.isMeshAddress, in one lookup: this runs for every peer's sighting on every device read. */
    private boolean isMeshAddress(InetSocketAddress a) {
        return meshAddresses.contains(EndpointClass.canonical(a.getAddress()));
    }

    /** How many pubkeys have endpoints, and how many have origin records (both bounded). */
    int size() {
        return table.size();
    }

    int learnedSize() {
        return learned.size();
    }

    /** The key in canonical base64, or empty (and counted) when it is not a WireGuard key. */
    Optional<String> canonicalKey(String b64) {
        try {
            String canonical = WgKey.fromBase64(b64).toBase64();
            return Optional.of(keyInstances.getOrDefault(canonical, canonical));
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
        return new MeshStatus.Counters(badPubkeys, badEndpoints, futureTimestamps, unknownPeersFull, foreignBroadcasts,
                sourceCapped);
    }
}
