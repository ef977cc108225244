package dev.automesh.mesh;

import dev.automesh.mesh.MeshStatus.Source;
import dev.automesh.mesh.MeshStatus.SourceKind;
import dev.automesh.wire.TimedEndpoint;
import java.net.InetSocketAddress;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * Where one peer may be reached, as far as we have heard: its proven LAN broadcast, what gossip and
 * the state file say (the table), and the addresses its config endpoint resolved to. It ranks them
 * into the candidates its {@link PeerPath} tries.
 */
final class Whereabouts {
    static final long LAN_FRESH_MS = 300_000;

    private record LanSighting(InetSocketAddress address, long seenMillis) {}

    private final String b64;
    private LanSighting lan;
    private List<InetSocketAddress> resolved = List.of();

    Whereabouts(String b64) {
        this.b64 = b64;
    }

    /** @return whether it is news (a new address, or the old one had gone stale): its backoff is forgotten then */
    boolean onLanBroadcast(InetSocketAddress address, long nowMillis, Attempts attempts) {
        boolean news = lan == null || !address.equals(lan.address()) || !lanFresh(nowMillis);
        lan = new LanSighting(address, nowMillis);
        if (news) attempts.forget(address);
        return news;
    }

    /** Whether its LAN endpoint was seen (and proven) at {@code address}. */
    boolean lanAt(InetSocketAddress address) {
        return lan != null && lan.address().equals(address);
    }

    /** Its LAN endpoint, while its broadcast is fresh. */
    Optional<InetSocketAddress> freshLan(long nowMillis) {
        return lanFresh(nowMillis) ? Optional.of(lan.address()) : Optional.empty();
    }

    /** @return whether the config endpoint's addresses changed (the new ones' backoff is forgotten) */
    boolean onResolved(List<InetSocketAddress> usable, Attempts attempts) {
        if (usable.equals(resolved)) return false;
        for (InetSocketAddress a : usable) if (!resolved.contains(a)) attempts.forget(a);
        resolved = usable;
        return true;
    }

    /** The fresh LAN endpoint as a candidate (call only while {@link #freshLan} has one). */
    PathCandidate lanCandidate(OptionalLong learnedAt) {
        return new PathCandidate(lan.address(), new Source(SourceKind.LAN, lan.address().getAddress().getHostAddress()),
                lan.seenMillis() / 1000, learnedAt);
    }

    /** In trying order: a fresh LAN endpoint, then gossiped and saved endpoints newest first, then the config's. */
    List<PathCandidate> candidates(GossipTable table, Attempts attempts, long nowMillis) {
        List<TimedEndpoint> listed = table.endpoints(b64);
        // Every peer, on every device read and tick: a peer nobody knows an address of costs nothing.
        if (listed.isEmpty() && resolved.isEmpty() && !lanFresh(nowMillis)) return List.of();
        Map<InetSocketAddress, PathCandidate> out = new LinkedHashMap<>();
        if (lanFresh(nowMillis)) out.put(lan.address(), lanCandidate(table.learnedAtMillis(b64, lan.address())));
        for (TimedEndpoint e : listed) {
            Optional<GossipTable.Learned> l = table.learned(b64, e.address());
            // Gossip ranks it (newest first), but an address the config names is shown as the config's.
            Source src = resolved.contains(e.address()) ? new Source(SourceKind.CONFIG, "")
                    : l.map(GossipTable.Learned::source).orElse(new Source(SourceKind.GOSSIP, ""));
            OptionalLong at = l.map(x -> OptionalLong.of(x.atMillis())).orElse(OptionalLong.empty());
            out.putIfAbsent(e.address(), new PathCandidate(e.address(), src, e.unixSeconds(), at));
        }
        for (InetSocketAddress a : resolved) {
            out.putIfAbsent(a, new PathCandidate(a, new Source(SourceKind.CONFIG, ""), 0, OptionalLong.empty()));
        }
        if (out.size() == 1) return List.of(out.values().iterator().next());
        // What failed goes to the back, whatever its date: a date is only someone's word. A private
        // address we only heard of (a node on that LAN would have heard its broadcast) comes after the
        // public ones: at a cold start behind NAT it is a third node's view of its own LAN, and its
        // window would hold up the try that can punch, or prove that punching fails.
        return out.values().stream().sorted(Comparator.comparing((PathCandidate c) -> attempts.hasFailed(c.address()))
                .thenComparing(Whereabouts::heardPrivate)).toList();
    }

    private static boolean heardPrivate(PathCandidate c) {
        SourceKind k = c.source().kind();
        return (k == SourceKind.GOSSIP || k == SourceKind.STATE_FILE) && PeerPath.isPrivate(c.address().getAddress());
    }

    private boolean lanFresh(long nowMillis) {
        return lan != null && nowMillis - lan.seenMillis() < LAN_FRESH_MS;
    }
}
