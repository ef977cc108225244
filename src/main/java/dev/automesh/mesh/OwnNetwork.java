package dev.automesh.mesh;

import java.net.InetSocketAddress;
import java.util.Collection;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.Set;

/**
 * Doubt that comes from our own side: gossip seeing us at a new address (our NAT re-mapped us, or we
 * moved), or a path dying while every other one is quiet too. Either may mean all our paths broke at
 * once, so they are made to prove themselves now rather than at their next keepalive.
 */
final class OwnNetwork {
    /** At most this often: a lying peer announcing us at ever new addresses must not make us ping everyone. */
    static final long OWN_DOUBT_EVERY_MS = 10_000;
    /** Addresses we were seen at, oldest first. */
    static final int REMEMBERED = 16;

    private final Set<InetSocketAddress> seen = new LinkedHashSet<>();
    private boolean doubt;
    private long doubtMillis = Long.MIN_VALUE / 2;

    /** A peer saw us at {@code at}: a new address after the first one casts doubt on every path. */
    void seenAt(InetSocketAddress at, long nowMillis) {
        if (seen.contains(at)) return;
        if (!seen.isEmpty() && nowMillis - doubtMillis >= OWN_DOUBT_EVERY_MS) {
            doubt = true;
            doubtMillis = nowMillis;
        }
        seen.add(at);
        if (seen.size() > REMEMBERED) seen.remove(seen.iterator().next());
    }

    /** Whether doubt was cast since the last call (it is acted on once). */
    boolean takeDoubt() {
        boolean d = doubt;
        doubt = false;
        return d;
    }

    boolean pending() {
        return doubt;
    }

    /**
     * A path just died while nothing else was received lately either: perhaps all our paths did. Up to
     * {@code limit} other connected peers are pinged, those with a configured endpoint (stable hosts)
     * first: their WireGuard roams to our new address and gossips it, and a dead path among them is
     * found within seconds instead of at its next keepalive.
     */
    static void doubtOthers(Collection<PeerPath> peers, int limit, long nowMillis, Out out) {
        if (peers.stream().anyMatch(p -> p.up() && p.receivedWithin(Liveness.PING_ANSWER_MS * 2, nowMillis))) return;
        peers.stream()
                .filter(PeerPath::up)
                .sorted(Comparator.comparing((PeerPath p) -> !p.hasConfigEndpoint())
                        .thenComparing(PeerPath::rank, Long::compareUnsigned))
                .limit(limit)
                .forEach(p -> {
                    p.suspect(Doubt.OTHER_PATH_LOST);
                    p.pingIfInDoubt(nowMillis, out);
                });
    }
}
