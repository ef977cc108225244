package dev.automesh.mesh;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * A LanBroadcast proves nothing about its source address: anyone on the LAN can replay a captured one
 * from another IP. So a broadcast from an address a peer was not already seen at only starts a proof:
 * a sealed Ping to {@code <that IP>:gossip_port}, outside the tunnel. Only an agent holding the secret
 * can answer it with a Pong sealed under a fresh nonce (the channel drops replayed nonces), from that
 * address; then the LAN candidate counts. Until then the peer's working path is left alone.
 *
 * <p>Bounded: one proof per address at a time, at most {@link #MAX_PENDING}, each open for
 * {@link #WINDOW_MS}; a new Ping to the same address no more often than that.
 */
final class LanProof {
    static final long WINDOW_MS = 5_000;
    static final int MAX_PENDING = 32;

    /** What a Pong from {@code ip} would prove: {@code peerB64} listens at {@code lan}. */
    record Pending(String peerB64, InetSocketAddress lan, long sentMillis) {}

    private final Map<InetAddress, Pending> pending = new LinkedHashMap<>();
    private long sent, proven;

    /**
     * A broadcast from {@code lan} about {@code peerB64} that still needs proof.
     *
     * @return whether to send a Ping now (none is pending for that address)
     */
    boolean start(String peerB64, InetSocketAddress lan, long nowMillis) {
        expire(nowMillis);
        Pending p = pending.get(lan.getAddress());
        if (p != null && p.peerB64().equals(peerB64) && p.lan().equals(lan)) return false;
        if (p == null && pending.size() >= MAX_PENDING) return false;
        pending.put(lan.getAddress(), new Pending(peerB64, lan, nowMillis));
        sent++;
        return true;
    }

    /** A Pong from {@code from}: the proof it completes, if one is open for that address. */
    Optional<Pending> onPong(InetSocketAddress from, long nowMillis) {
        expire(nowMillis);
        Pending p = pending.remove(from.getAddress());
        if (p != null) proven++;
        return Optional.ofNullable(p);
    }

    long sent() { return sent; }

    long proven() { return proven; }

    int size() { return pending.size(); }

    private void expire(long nowMillis) {
        for (Iterator<Pending> it = pending.values().iterator(); it.hasNext(); ) {
            if (nowMillis - it.next().sentMillis() >= WINDOW_MS) it.remove();
        }
    }
}
