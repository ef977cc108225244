package dev.automesh.mesh;

import dev.automesh.wire.Message;
import java.net.InetSocketAddress;
import java.util.Collection;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * How changes spread through the mesh: the fan-out of a changed list to our 10 best-ranked live peers
 * (damped by {@link Forwarding}, paced by {@link Outbox}), the few Requests a start needs, and the
 * catch-up a returning top-ranked peer gets from us, the greeting Ping a peer gets when it connects.
 * The router tells it what changed and who came up.
 */
final class Spreading {
    /** Peers asked for their table after a start (or after being cut off from every peer): the rest comes by fan-out. */
    static final int REQUEST_PEERS = 2;
    /**
     * How many of our top-ranked peers get a catch-up push from us when they connect. Each node then has
     * about this many pushers; it needs one it can reach (a wgautomesh node behind a NAT reaches only
     * the public ones), so twice the fan-out: a node left without a reachable pusher misses what was
     * gossiped before it connected.
     */
    static final int CATCH_UP_PEERS = 2 * Mesh.GOSSIP_PEERS;

    /** Configured peers in fan-out order (xxh3 rank), computed once. */
    private final List<PeerPath> byRank;
    private final Outbox outbox;
    private final Forwarding forwarding;
    private int requestsSent;
    /** The peers we are first to gossip to (our top ranks): each catches up from us when it connects. */
    private final Set<PeerPath> catchUpFor;
    /** When each table entry last changed, and when each peer was last seen connected. */
    private final Map<String, Long> changedAtMillis = new HashMap<>();
    private final Map<PeerPath, Long> upAtMillis = new HashMap<>();
    /** Peers that connected and were not greeted yet, first come first (at most the configured peers). */
    private final Set<PeerPath> greetLater = new LinkedHashSet<>();

    Spreading(String ownB64, Collection<PeerPath> peers) {
        byRank = peers.stream().sorted((x, y) -> Long.compareUnsigned(x.rank(), y.rank())).toList();
        catchUpFor = Set.copyOf(byRank.subList(0, Math.min(CATCH_UP_PEERS, byRank.size())));
        outbox = new Outbox(peers.size() + 16);
        forwarding = new Forwarding(ownB64);
    }

    /** A bound on what a moved peer is sent again, and the slack before the last we heard from it. */
    static final long MOVED_CATCH_UP_MS = 60_000;
    static final long MOVED_SLACK_MS = 2_000;

    /**
     * A connected peer turned up at an address new to us (its NAT re-mapped, it moved): what changed
     * since we last heard from it before may have been lost at its old address. The announcement of a
     * third node's new address is the one it needs most: both ends of a pair that re-mapped at once
     * learn each other's from us. A peer that keeps talking (a symmetric NAT's new port per
     * destination) gets next to nothing again.
     */
    void onMoved(PeerPath p, long heardBeforeMillis, long nowMillis) {
        if (!catchUpFor.contains(p)) return;
        long since = Math.max(heardBeforeMillis - MOVED_SLACK_MS, nowMillis - MOVED_CATCH_UP_MS);
        changedAtMillis.forEach((pk, at) -> {
            if (at >= since) outbox.announce(p.gossipAddress(), pk);
        });
    }

    /** A table entry changed now: a returning peer we push to will catch up on it. */
    void changed(String pk, long nowMillis) {
        changedAtMillis.put(pk, nowMillis);
    }

    /**
     * Queues a changed list for up to 10 peers with a handshake in the last 300 s, by xxh3 rank, unless
     * only its timestamps moved ({@link Forwarding}).
     */
    void fanOut(String pk, GossipTable table, long nowMillis) {
        if (!forwarding.forward(pk, table.endpoints(pk), a -> table.learned(pk, a).map(GossipTable.Learned::source))) return;
        long nowS = nowMillis / 1000;
        int sent = 0;
        for (PeerPath p : byRank) {
            if (sent == Mesh.GOSSIP_PEERS) break;
            Link l = p.link();
            if (l.handshakeS() > 0 && nowS < l.handshakeS() + Mesh.GOSSIP_LIVE_S && l.endpoint().isPresent()) {
                outbox.announce(p.gossipAddress(), pk);
                sent++;
            }
        }
    }

    /** Part of a Request's answer: paced with every other Announce, or a whole table would be one call's datagrams. */
    void answer(InetSocketAddress to, String pk) {
        outbox.announce(to, pk);
    }

    /**
     * At the end of a call, what its budget leaves room for: the greetings waiting (after the call's
     * checks and tries, which say more about whether paths work), then Announces.
     */
    void drain(GossipTable table, long nowMillis, Out out) {
        for (Iterator<PeerPath> it = greetLater.iterator(); it.hasNext() && out.mayPing(Out.Ping.GREET); ) {
            PeerPath p = it.next();
            it.remove();
            // A Ping that went to it in this call does what the greeting would; one gone again is greeted when it is back.
            if (p.connected(nowMillis) && !out.pinged(p.gossipAddress())) out.ping(p.gossipAddress(), Out.Ping.GREET);
        }
        outbox.drain(table, nowMillis, Math.min(Outbox.CALL_BUDGET, out.room()), out);
    }

    /** After each pass over the peers: who is up now, and whether anyone is. */
    void sawUp(PeerPath p, long nowMillis) {
        if (catchUpFor.contains(p)) upAtMillis.put(p, nowMillis);
    }

    /** Cut off from everyone: whoever comes back first is asked again. */
    void noneUp() {
        requestsSent = 0;
    }

    /**
     * A peer just connected. It is greeted at the end of the call ({@link #drain}). We ask the first
     * few for their tables: every peer asking every peer is N² Announces per node. And we push what
     * changed while it was away, but only to the peers we rank first (each node has about 20 such
     * pushers): the fan-out went on without it, and a wgautomesh node never asks after its start.
     */
    void onConnected(PeerPath p, long nowMillis, Out out) {
        greetLater.add(p);
        if (requestsSent < REQUEST_PEERS) {
            requestsSent++;
            out.send(p.gossipAddress(), new Message.Request());
        }
        if (!catchUpFor.contains(p)) return;
        // Fan-outs reach peers with a handshake in the last 300 s: it may have missed anything since then.
        long since = upAtMillis.getOrDefault(p, Long.MIN_VALUE / 2) - Mesh.GOSSIP_LIVE_S * 1000;
        changedAtMillis.forEach((pk, at) -> {
            if (at >= since) outbox.announce(p.gossipAddress(), pk);
        });
        upAtMillis.put(p, nowMillis);
    }
}
