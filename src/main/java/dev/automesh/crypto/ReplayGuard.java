package dev.automesh.crypto;

import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The nonces of authentic datagrams seen lately. wgautomesh's format has no counter or timestamp, but
 * every sealed datagram carries a random 24-byte nonce: a second datagram with a nonce already seen is
 * a replay (an honest sender never repeats one), and is dropped before it can change anything.
 *
 * <p>Bounded in both directions: a nonce is remembered for {@link #WINDOW_NANOS} and at most
 * {@link #CAPACITY} are kept (the oldest go first). Only nonces of datagrams whose tag verified are
 * recorded, so without the secret nobody can fill it. A replay older than the window gets through;
 * what it can do then is bounded elsewhere (merge is idempotent, LAN endpoints must answer a Ping).
 * Not thread-safe: the receiving event loop owns it.
 */
public final class ReplayGuard {
    public static final long WINDOW_NANOS = 600L * 1_000_000_000L;
    public static final int CAPACITY = 16_384;

    /** 16 of the nonce's 24 random bytes: a collision between honest nonces is a 2^-128 event. */
    private record Nonce(long hi, long lo) {}

    private final Map<Nonce, Long> seen = new LinkedHashMap<>();

    /**
     * Records the nonce at the start of an authentic datagram.
     *
     * @return false when it was seen within the window: a replay
     */
    public boolean firstSeen(byte[] datagram, int offset, long nowNanos) {
        if (datagram.length - offset < GossipCipher.NONCE_LENGTH) return false;
        Nonce n = new Nonce(longAt(datagram, offset), longAt(datagram, offset + 8));
        expire(nowNanos);
        if (seen.containsKey(n)) return false;
        if (seen.size() >= CAPACITY) {
            Iterator<Long> it = seen.values().iterator();
            it.next();
            it.remove();
        }
        seen.put(n, nowNanos);
        return true;
    }

    public int size() {
        return seen.size();
    }

    private void expire(long nowNanos) {
        for (Iterator<Long> it = seen.values().iterator(); it.hasNext(); ) {
            if (nowNanos - it.next() < WINDOW_NANOS) break; // insertion order = time order
            it.remove();
        }
    }

    private static long longAt(byte[] b, int off) {
        long v = 0;
        for (int i = 0; i < 8; i++) v = (v << 8) | (b[off + i] & 0xff);
        return v;
    }
}
