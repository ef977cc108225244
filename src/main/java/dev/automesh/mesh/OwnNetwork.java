package dev.automesh.mesh;

import java.net.InetSocketAddress;
import java.util.Collection;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.Set;

/**
 * Doubt that comes from our own side: gossip seeing us at a new address (our NAT re-mapped us, or we
 * moved), or a path breaking off while every other one is quiet too. Either may mean all our paths
 * broke at once, so they are made to prove themselves now rather than at their next keepalive.
 */
final class OwnNetwork {
    /** At most this often: a lying peer announcing us at ever new addresses must not make us ping everyone. */
    static final long OWN_DOUBT_EVERY_MS = 10_000;
    /** Addresses we were seen at, oldest first. */
    static final int REMEMBERED = 16;

    private final Set<InetSocketAddress> seen = new LinkedHashSet<>();
    private boolean doubt;
    private long doubtMillis = Long.MIN_VALUE / 2;
    private long othersDoubtedMillis = Long.MIN_VALUE / 2;

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
     * A path just died, or its busy traffic broke off, and nothing was received lately and since it
     * went quiet over any other path that leaves our LAN: perhaps all our paths broke (our NAT
     * re-mapped us). Up to {@code limit} other connected peers are pinged, those with a configured
     * endpoint (stable hosts) first: their WireGuard roams to our new address and gossips it, so the far ends learn it
     * within seconds, not at our next keepalive. Pinging them while the broken path's own Ping is
     * still out, rather than after its verdict, saves that Ping's wait.
     *
     * @param quietSinceMillis when the earliest of the paths that broke off last received
     */
    void doubtOthers(Collection<PeerPath> peers, int limit, long quietSinceMillis, long nowMillis, Out out) {
        if (nowMillis - othersDoubtedMillis < OWN_DOUBT_EVERY_MS) return;
        // Proof that our way out works: a packet since the break, and a recent one (a path that never
        // received since we created it would put the break back at its creation).
        long since = Math.max(quietSinceMillis, nowMillis - Liveness.PING_ANSWER_MS * 2);
        if (peers.stream().anyMatch(p -> p.up() && !p.awaitingPong() && p.receivedAfter(since))) return;
        othersDoubtedMillis = nowMillis;
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
