package dev.automesh.mesh;

import java.util.Optional;

/**
 * Whether a connected path still works, judged by what it receives rather than by its age. A path is
 * pinged through the tunnel only when it is in doubt (see {@link Doubt}); a peer answers a Ping at once
 * (automesh and wgautomesh reply with a Pong, a host without an agent with an ICMP error), so a Ping
 * that nothing follows within {@link #PING_ANSWER_MS} means the path is dead.
 *
 * <p>A healthy idle link is never pinged: with a persistent keepalive of 30 s and the timer reset by
 * every packet received, only one end sends keepalives. That end receives nothing but the handshake
 * every 2-3 minutes, which is fine and not in doubt (a lone keepalive gets no answer); the other end
 * receives one every 30 s. The idle link is in doubt only when that rhythm breaks: the keepalives
 * that came every 30 s stop and our own timer fires instead (the same thing once at a role swap).
 */
final class Liveness {
    /** Data sent and nothing back for this long: ask at once rather than waiting for WireGuard's 10 s. */
    static final long DOUBT_MS = 1_000;
    /** A Pong takes one round trip; this leaves room for a loaded host and a slow device read. */
    static final long PING_ANSWER_MS = 2_500;
    /**
     * Gossip placed the peer at another address while our Ping was out: two independent signs, so a
     * read a second after the Ping that shows nothing back is enough. (A lie costs little: the peer's
     * next packet from where it really is makes WireGuard roam back.)
     */
    static final long ELSEWHERE_ANSWER_MS = 1_000;
    /** rx grew on consecutive device reads (about a second apart)... */
    static final long BUSY_GAP_MS = 1_500;
    /** ...this many times: a busy path, not the few packets of a handshake. */
    static final int BUSY_STREAK = 4;
    /** The peer's keepalives came this regularly: 30 s, and the kernel's timer wheel fires up to ~2 s late. */
    static final long KEEPALIVE_GAP_MS = (PeerPath.KEEPALIVE_CONNECTED + 4) * 1000L;
    /** Our own keepalive fires 30 s after the last packet; a read may see it up to a second early. */
    static final long KEEPALIVE_QUIET_MS = (PeerPath.KEEPALIVE_CONNECTED - 1) * 1000L;

    /** A Ping sent to make the path prove itself. */
    record Probe(Doubt why, long atMillis) {}

    /** The last time a path was judged dead this way: for status. */
    record Verdict(Doubt why, long pingedAtMillis, long atMillis, long atUnixSeconds) {}

    private Probe probe;
    private Doubt suspected;
    private Verdict lastVerdict;
    private long elsewhereMillis = Long.MIN_VALUE;

    /** Something outside the link casts doubt on it (gossip, our own network): ping on the next move. */
    void suspect(Doubt why) {
        suspected = why;
    }

    /** Gossip saw the peer at another address, after our last handshake. */
    void seenElsewhere(long nowMillis) {
        suspect(Doubt.SEEN_ELSEWHERE);
        elsewhereMillis = nowMillis;
    }

    /** @return why to ping now, if the path is in doubt and no Ping is already waiting for its answer */
    Optional<Doubt> doubt(Link link, long nowMillis) {
        Doubt external = suspected;
        suspected = null;
        if (waiting(link)) return Optional.empty();
        if (external != null) return Optional.of(external);
        long quiet = nowMillis - link.rxChangedMillis();
        if (link.dataSinceRx() && nowMillis - link.dataSinceRxMillis() >= DOUBT_MS) return Optional.of(Doubt.DATA_UNANSWERED);
        if (link.rxStreak() >= BUSY_STREAK && quiet >= DOUBT_MS) return Optional.of(Doubt.WENT_QUIET);
        // The rhythm must be the peer's own: a Pong to our Ping 30 s before a keepalive is no rhythm.
        boolean rhythm = link.rxGapMillis() <= KEEPALIVE_GAP_MS
                && (probe == null || probe.atMillis() < link.rxChangedMillis() - link.rxGapMillis() - PING_ANSWER_MS);
        if (rhythm && link.txSinceRxMillis() != 0 && quiet >= KEEPALIVE_QUIET_MS) {
            return Optional.of(Doubt.KEEPALIVES_STOPPED);
        }
        return Optional.empty();
    }

    /** The path changed hands (a relay gave it back): an old Ping or doubt says nothing about it. */
    void reset() {
        probe = null;
        suspected = null;
    }

    void pinged(Doubt why, long nowMillis) {
        probe = new Probe(why, nowMillis);
    }

    /** A Ping is out and nothing was received since. */
    private boolean waiting(Link link) {
        return probe != null && probe.atMillis() > link.rxChangedMillis();
    }

    /**
     * Our Ping went unanswered: the path is dead (typically a NAT mapping changed).
     *
     * @param readMillis when the device was last read: a read that is late proves nothing
     */
    boolean silent(Link link, long readMillis) {
        if (!waiting(link)) return false;
        long wait = elsewhereMillis > probe.atMillis() ? ELSEWHERE_ANSWER_MS : PING_ANSWER_MS;
        return readMillis - probe.atMillis() >= wait;
    }

    /** The path was just judged dead; remembers why, for status. */
    Optional<Verdict> judgedDead(Link link, long readMillis, long nowMillis) {
        if (!silent(link, readMillis)) return Optional.empty();
        lastVerdict = new Verdict(probe.why(), probe.atMillis(), nowMillis, nowMillis / 1000);
        return Optional.of(lastVerdict);
    }

    Optional<Probe> outstanding(Link link) {
        return waiting(link) ? Optional.of(probe) : Optional.empty();
    }

    Optional<Verdict> lastVerdict() {
        return Optional.ofNullable(lastVerdict);
    }
}
