package dev.automesh.mesh;

import dev.automesh.crypto.WgKey;
import dev.automesh.wire.Extension;
import dev.automesh.wire.Message;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Whether the other end tried too. Alone, the end that asks for relays cannot tell a peer that cannot
 * be punched from one that has not tried us yet, so it gives every candidate a whole try window. Here
 * the other end says it tried ({@code PunchReport} to the relays it could use, passed on by them as
 * {@code PunchNotice}): once both ends have sent to each other's public address for {@link #BOTH_TRIED_MS}
 * without a handshake, the punch failed (behind two NATs that keep one mapping per socket, the second
 * end's first initiation passes the first end's NAT), and the relay is asked at once. A relay that
 * passed a notice on has live tunnels to both ends, so it is asked first.
 */
final class PunchEvidence {
    /** Both ends sent to each other this long with no handshake: two WireGuard initiations each (one re-created). */
    static final long BOTH_TRIED_MS = 3_000;
    /** A notice is evidence this long after it arrived. */
    static final long NOTICE_MS = 6_000;
    /** The other end reports again this often while its try goes on (the asking end may start later). */
    static final long REPORT_EVERY_MS = 3_000;
    /**
     * No report later into a try than this (two per try): a pair that never gets a relay (none will
     * take it) would otherwise be reported every few seconds for as long as it stays apart. A new try
     * of the candidate, after its backoff, reports again.
     */
    static final long REPORT_FOR_MS = 7_000;
    /** It tells at most this many relays, the nearest ones. */
    static final int REPORT_RELAYS = 2;

    /** What arrived about one peer: since when it tries us, when we heard it, and through which relays. */
    private record Notice(long theirSinceMillis, long receivedMillis, Set<WgKey> via) {}

    /** Whether a peer could relay for a target now (RelayPaths' rule for asking one). */
    interface MayRelay {
        boolean test(PeerPath relay, PeerPath target, long nowMillis);
    }

    private final Collection<PeerPath> all;
    private final MayRelay mayRelay;
    private final Comparator<PeerPath> nearestFirst;
    private final Map<WgKey, Notice> notices = new HashMap<>();
    private final Map<WgKey, Long> reportedMillis = new HashMap<>();

    PunchEvidence(Collection<PeerPath> all, MayRelay mayRelay, Comparator<PeerPath> nearestFirst) {
        this.all = all;
        this.mayRelay = mayRelay;
        this.nearestFirst = nearestFirst;
    }

    /**
     * The end that does not ask: tell the relays (the one that gossiped the address first, then the
     * nearest) that we have been trying {@code p} at a public address for a while, again {@link
     * #REPORT_EVERY_MS} later if that goes on.
     */
    void report(PeerPath p, long nowMillis, Out out) {
        PeerPath.Trying t = p.trying();
        if (t == null || p.brokeDown() || PeerPath.isPrivate(t.endpoint().getAddress())
                || nowMillis - t.sinceMillis() < BOTH_TRIED_MS || nowMillis - t.sinceMillis() > REPORT_FOR_MS) {
            reportedMillis.remove(p.key());
            return;
        }
        Long last = reportedMillis.get(p.key());
        if (last != null && nowMillis - last < REPORT_EVERY_MS) return;
        List<PeerPath> relays = all.stream()
                .filter(c -> mayRelay.test(c, p, nowMillis))
                // first the peer that gossiped the endpoint: it saw p there, so it has a tunnel to p
                .sorted(Comparator.<PeerPath, Boolean>comparing(c -> !told(t, c)).thenComparing(nearestFirst))
                .limit(REPORT_RELAYS).toList();
        if (relays.isEmpty() || out.room() < relays.size()) return; // at a later drive
        reportedMillis.put(p.key(), nowMillis);
        int tried = (int) Math.min(0xFFFF, nowMillis - t.sinceMillis());
        Extension.PunchReport r = new Extension.PunchReport(p.b64(), t.endpoint(), tried);
        for (PeerPath c : relays) out.send(c.gossipAddress(), new Message.Ping(), List.of(r));
    }

    private static boolean told(PeerPath.Trying t, PeerPath c) {
        return t.source().kind() == MeshStatus.SourceKind.GOSSIP && t.source().detail().equals(c.name());
    }

    /** A relay passed on {@code about}'s report; none is kept once we reach {@code about}. */
    void onNotice(PeerPath relay, PeerPath about, Extension.PunchNotice n, long nowMillis) {
        if (about == relay || about.up() || about.relayed() || PeerPath.isPrivate(n.endpoint().getAddress())) return;
        Notice old = notices.get(about.key());
        Set<WgKey> via = old != null && nowMillis - old.receivedMillis() < NOTICE_MS ? new HashSet<>(old.via()) : new HashSet<>();
        if (via.size() < 2 * REPORT_RELAYS) via.add(relay.key());
        notices.put(about.key(), new Notice(nowMillis - n.triedMillis(), nowMillis, Set.copyOf(via)));
    }

    /**
     * The asking end: {@code p} reported a recent try of us at a public address, we have been trying it
     * at a public address too, and since the later of the two starts {@link #BOTH_TRIED_MS} passed.
     */
    boolean bothTried(PeerPath p, long nowMillis) {
        Notice n = notices.get(p.key());
        PeerPath.Trying t = p.trying();
        if (n == null || t == null || p.brokeDown() || nowMillis - n.receivedMillis() >= NOTICE_MS
                || PeerPath.isPrivate(t.endpoint().getAddress())) return false;
        return nowMillis - Math.max(t.sinceMillis(), n.theirSinceMillis()) >= BOTH_TRIED_MS;
    }

    /** A relay that recently passed on {@code p}'s report: it has live tunnels to both of us. */
    boolean vouched(PeerPath p, PeerPath relay, long nowMillis) {
        Notice n = notices.get(p.key());
        return n != null && nowMillis - n.receivedMillis() < NOTICE_MS && n.via().contains(relay.key());
    }

    /** {@code p} is up: what we held about its tries is spent. */
    void forget(PeerPath p) {
        notices.remove(p.key());
        reportedMillis.remove(p.key());
    }

    /** For status: how long ago {@code p} said it started trying us, if it said so recently. */
    java.util.OptionalLong theirTryMillis(PeerPath p, long nowMillis) {
        Notice n = notices.get(p.key());
        return n == null || nowMillis - n.receivedMillis() >= NOTICE_MS ? java.util.OptionalLong.empty()
                : java.util.OptionalLong.of(nowMillis - n.theirSinceMillis());
    }
}
