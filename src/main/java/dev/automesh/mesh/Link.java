package dev.automesh.mesh;

import dev.automesh.wg.WgPeer;
import java.net.InetSocketAddress;
import java.util.Objects;
import java.util.Optional;

/**
 * What the device reads say about one peer's WireGuard session. Each read gives a new Link.
 *
 * @param present         the device has the peer
 * @param endpoint        where WireGuard sends to it
 * @param handshakeS      its last handshake, unix seconds (0: none)
 * @param rxChangedMillis when received bytes last grew (or the first read)
 * @param roamedAtS       when WireGuard moved to the current endpoint without a new handshake (0: it did not)
 * @param rxGapMillis     the time between the last two reads that saw rx grow (Long.MAX_VALUE: unknown)
 * @param rxStreak        how many reads in a row, up to the last rx growth, saw rx grow about every second
 * @param txSinceRxMillis the first read since rx last grew that saw tx grow (0: none)
 * @param dataSinceRxMillis the first read since rx last grew that saw something else than a lone keepalive
 *                        sent (0: none): data, which the peer's WireGuard answers within 10 s at the latest,
 *                        or a handshake initiation. Not {@code txSinceRxMillis}: the end of an idle link that
 *                        sends the keepalives receives nothing for minutes, so its first tx since rx can be
 *                        a keepalive long before the re-key's initiation, whose answer is only one round trip away.
 */
record Link(boolean present, Optional<InetSocketAddress> endpoint, long handshakeS, long rx, long tx,
        long rxChangedMillis, long roamedAtS, long rxGapMillis, int rxStreak, long txSinceRxMillis, long dataSinceRxMillis) {
    static final Link NONE = new Link(false, Optional.empty(), 0, 0, 0, 0, 0, Long.MAX_VALUE, 0, 0, 0);
    /** A WireGuard keepalive on the wire: a 16-byte transport header and a 16-byte tag, no payload. */
    static final long KEEPALIVE_BYTES = 32;

    Link {
        Objects.requireNonNull(endpoint);
    }

    /** When rx grew the time before its last growth (0: unknown): the last we heard at an address we then left. */
    long heardBeforeMillis() {
        return rxGapMillis == Long.MAX_VALUE ? 0 : rxChangedMillis - rxGapMillis;
    }

    Link read(WgPeer w, long nowMillis) {
        long roamed = roamedAtS;
        if (w.lastHandshakeEpochSeconds() != handshakeS) {
            roamed = 0;
        } else if (endpoint.isPresent() && !w.endpoint().equals(endpoint)) {
            roamed = nowMillis / 1000; // WireGuard followed the peer to a new address, just now
        }
        long rxChanged = rxChangedMillis, gap = rxGapMillis, txSince = txSinceRxMillis;
        int streak = rxStreak;
        long data = dataSinceRxMillis;
        // Counters that went down belong to a re-created peer (PeerUpdate.fresh): a reset, not traffic.
        long txDelta = Math.max(0, w.txBytes() - tx);
        if (rxChangedMillis == 0) {
            rxChanged = nowMillis;
        } else if (w.rxBytes() > rx) {
            gap = nowMillis - rxChangedMillis;
            streak = gap <= Liveness.BUSY_GAP_MS ? Math.min(streak + 1, 1_000) : 1;
            rxChanged = nowMillis;
            txSince = 0;
            data = 0;
        } else if (txDelta > 0) {
            if (txSince == 0) txSince = nowMillis;
            // One read sees at most one persistent keepalive: anything else is traffic that gets an answer.
            if (txDelta != KEEPALIVE_BYTES && data == 0) data = nowMillis;
        }
        return new Link(true, w.endpoint(), w.lastHandshakeEpochSeconds(), w.rxBytes(), w.txBytes(), rxChanged, roamed,
                gap, streak, txSince, data);
    }

    /** Removed behind our back (or the interface was recreated): no session, no endpoint. */
    Link gone() {
        return new Link(false, Optional.empty(), 0, rx, tx, rxChangedMillis, roamedAtS, Long.MAX_VALUE, 0, 0, 0);
    }

    /** Something else than a lone keepalive was sent since rx last grew. */
    boolean dataSinceRx() {
        return dataSinceRxMillis != 0;
    }

    /** A session WireGuard still accepts, or re-keys on its next packet. */
    boolean live(long nowMillis) {
        return handshakeS > 0 && nowMillis / 1000 - handshakeS < PeerPath.CONNECTED_S;
    }

    boolean at(InetSocketAddress a) {
        return endpoint.isPresent() && endpoint.get().equals(a);
    }
}
