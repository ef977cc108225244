package dev.automesh.mesh;

import dev.automesh.mesh.MeshStatus.Source;
import dev.automesh.mesh.MeshStatus.SourceKind;
import dev.automesh.wire.TimedEndpoint;
import java.nio.charset.StandardCharsets;
import java.net.InetSocketAddress;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;

/**
 * Whether a changed list is worth a fan-out. The merge rule calls any newer timestamp a change, and
 * every node seeing a peer re-dates it every few minutes: forwarding each re-dating floods the mesh
 * with news nobody uses. A list goes out when it holds an address we never sent for that pubkey (a new
 * endpoint, a roam), or one dated {@link #REFRESH_S} later than we last sent it, so the dates other
 * nodes hold do not age without bound. A re-ordering or an old address coming back into the top 5 is
 * not news: a peer behind a symmetric NAT has a different address for every node that sees it, and
 * each node's re-dating of its own sighting would otherwise flood the mesh every few minutes. The
 * threshold has a fixed per-node, per-pubkey jitter of up to {@link #JITTER_S}, so the nodes that all
 * see one peer do not refresh it in phase.
 */
final class Forwarding {
    /** A re-dating alone is forwarded once this much newer than what we last sent. */
    static final long REFRESH_S = 3_600;
    static final long JITTER_S = 900;
    /** Addresses remembered per pubkey (the oldest-sent one is forgotten first). */
    static final int REMEMBER = 16;

    private final String ownB64;
    /** Per pubkey: each address we sent, with the date we sent it at. */
    private final Map<String, LinkedHashMap<InetSocketAddress, Long>> sent = new HashMap<>();
    /** Ports of one address, each from another source, that make it a mapping per destination. */
    static final int MANY_PORTS = 3;

    private long damped, perDestination;

    Forwarding(String ownB64) {
        this.ownB64 = ownB64;
    }

    /**
     * Whether {@code now}, the table's list for {@code pk}, goes out; if so it is remembered as sent.
     * It knows who told us each address ({@code source}: our own WireGuard, or the peer whose
     * Announce brought it). A gossiped address is no news when the list holds {@link #MANY_PORTS} − 1
     * other ports of the same IP address, each from another source: a node behind a symmetric NAT has a
     * mapping per destination, so each node sees it at its own port, useful to nobody else; passed on,
     * each one is news to everyone and the mesh forwards them in a loop. What we see ourselves is always
     * passed on (a re-mapped node's new port reaches the node's other peers that way, one hop), and a
     * move to one new port (two ports of the address) still is news.
     */
    boolean forward(String pk, List<TimedEndpoint> now, Function<InetSocketAddress, Optional<Source>> source) {
        LinkedHashMap<InetSocketAddress, Long> last = sent.computeIfAbsent(pk, k -> new LinkedHashMap<>());
        long afterS = REFRESH_S + jitterS(pk);
        boolean news = false;
        for (TimedEndpoint e : now) {
            Long was = last.get(e.address());
            if (was == null && perDestination(e.address(), now, source)) {
                perDestination++;
                continue;
            }
            if (was == null || e.unixSeconds() >= was + afterS) news = true;
        }
        if (!news) {
            damped++;
            return false;
        }
        for (TimedEndpoint e : now) {
            last.remove(e.address()); // re-inserted last: the eviction order is the order of sending
            last.put(e.address(), e.unixSeconds());
        }
        while (last.size() > REMEMBER) last.remove(last.keySet().iterator().next());
        return true;
    }

    /** A gossiped port of an address the list holds MANY_PORTS ports of, from as many sources. */
    private static boolean perDestination(InetSocketAddress a, List<TimedEndpoint> now,
            Function<InetSocketAddress, Optional<Source>> source) {
        Optional<Source> from = source.apply(a);
        if (from.isEmpty() || from.get().kind() != SourceKind.GOSSIP) return false;
        Set<Source> sources = new HashSet<>();
        sources.add(from.get());
        for (TimedEndpoint e : now) {
            InetSocketAddress b = e.address();
            if (b.getPort() != a.getPort() && b.getAddress().equals(a.getAddress())) source.apply(b).ifPresent(sources::add);
        }
        return sources.size() >= MANY_PORTS;
    }

    /** Gossiped ports not passed on because the address looked like a symmetric NAT's (a mapping per destination). */
    long perDestination() {
        return perDestination;
    }

    /** Lists we did not forward because they brought no new address and no much newer date. */
    long damped() {
        return damped;
    }

    private long jitterS(String pk) {
        return Long.remainderUnsigned(Xxh3.hash64((ownB64 + "~" + pk).getBytes(StandardCharsets.UTF_8)), JITTER_S);
    }
}
