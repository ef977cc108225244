package dev.automesh.mesh;

/**
 * When to make WireGuard initiate a handshake on a peer re-created afresh ({@code PeerUpdate.fresh}).
 * WireGuard sends one initiation per 5 s per peer object (REKEY_TIMEOUT); a new peer object may send
 * one at once. Re-creating loses nothing only while the peer has no usable keys.
 */
final class Initiations {
    static final long REKEY_TIMEOUT_MS = 5_000;
    /**
     * A try without a handshake after this long is initiated again on a re-created peer: at a cold start
     * the first initiation usually reached a peer whose agent had not configured us yet, and WireGuard
     * itself would wait the rest of its 5 s.
     */
    static final long FRESH_RETRY_MS = 1_500;
    /**
     * How recent the device read a re-creation is decided on must be: on an older one a handshake that
     * just completed (we answered the peer's initiation) would be thrown away with the peer.
     */
    static final long FRESH_READ_MS = 100;
    /** WireGuard refuses a session's keys this long after its handshake (REJECT_AFTER_TIME). */
    static final long SESSION_S = 180;

    /** When we last made WireGuard initiate (set an endpoint, or re-created the peer). */
    private long initiatedMillis = Long.MIN_VALUE / 2;

    /** A new endpoint is set now: on a re-created peer if WireGuard initiated elsewhere under 5 s ago. */
    boolean setNow(Link link, long nowMillis) {
        boolean fresh = noSession(link, nowMillis) && nowMillis - initiatedMillis < REKEY_TIMEOUT_MS;
        initiatedMillis = nowMillis;
        return fresh;
    }

    /** Mid-try, no handshake yet: whether to initiate again now, on a re-created peer, rather than at WireGuard's 5 s. */
    boolean retryNow(Link link, long triedAtMillis, long readMillis, long nowMillis) {
        if (nowMillis - readMillis > FRESH_READ_MS || !noSession(link, nowMillis)
                || nowMillis - triedAtMillis >= REKEY_TIMEOUT_MS || nowMillis - initiatedMillis < FRESH_RETRY_MS) return false;
        initiatedMillis = nowMillis;
        return true;
    }

    /** The device holds the peer without usable keys: re-creating it loses nothing. */
    static boolean noSession(Link link, long nowMillis) {
        return link.present() && (link.handshakeS() == 0 || nowMillis / 1000 - link.handshakeS() >= SESSION_S);
    }
}
