package dev.automesh.sim;

import dev.automesh.crypto.WgKey;
import dev.automesh.wg.IpPrefix;
import dev.automesh.wg.PeerUpdate;
import dev.automesh.wg.WgDevice;
import dev.automesh.wg.WgPeer;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * One node's WireGuard interface as the daemon sees it, with the kernel's timers (checked once a
 * second): a handshake is initiated when there is something to send and no usable session, retried
 * every REKEY_TIMEOUT (5 s) for up to REKEY_ATTEMPT_TIME (90 s); the initiator re-handshakes when it
 * sends on a session older than REKEY_AFTER_TIME (120 s), or receives on one older than 165 s; nothing is accepted or sent on a session
 * older than REJECT_AFTER_TIME (180 s). The persistent keepalive fires when nothing was sent or
 * received for its interval; a received data packet not answered within KEEPALIVE_TIMEOUT (10 s) gets
 * a keepalive. Setting a persistent keepalive sends one at once (as `wg set` does).
 */
final class SimWg {
    static final long REKEY_TIMEOUT_MS = 5_000;
    static final long REKEY_ATTEMPT_MS = 90_000;
    static final long REKEY_AFTER_MS = 120_000;
    static final long REJECT_AFTER_MS = 180_000;
    static final long KEEPALIVE_TIMEOUT_MS = 10_000;
    /** REJECT_AFTER_TIME - KEEPALIVE_TIMEOUT - REKEY_TIMEOUT. */
    static final long REKEY_ON_RECEIVE_MS = REJECT_AFTER_MS - KEEPALIVE_TIMEOUT_MS - REKEY_TIMEOUT_MS;
    static final int INIT_BYTES = 148, RESPONSE_BYTES = 92, KEEPALIVE_BYTES = 32;

    static final class PeerState {
        final int peer;
        InetSocketAddress endpoint;
        int keepalive;
        List<IpPrefix> allowed = List.of();
        long handshakeS;
        long rx, tx;
        long session = -1, previousSession = -1, sessionStartMs;
        boolean initiator;
        long pendingInit = -1, lastInitMs = Long.MIN_VALUE / 2, wantSinceMs = -1;
        long lastSentMs = Long.MIN_VALUE / 2, lastRecvMs = Long.MIN_VALUE / 2, lastRecvDataMs = Long.MIN_VALUE / 2;

        PeerState(int peer) { this.peer = peer; }

        boolean sessionValid(long nowMs) { return session >= 0 && nowMs - sessionStartMs < REJECT_AFTER_MS; }
    }

    final WgKey ownKey;
    final int listenPort;
    final PeerState[] peers;
    /** Configured peers in the order they were added (what a device dump lists). */
    final List<PeerState> order = new ArrayList<>();

    SimWg(WgKey ownKey, int listenPort, int nodes) {
        this.ownKey = ownKey;
        this.listenPort = listenPort;
        this.peers = new PeerState[nodes];
    }

    /** Applies one `wg set` batch; returns the peers whose keepalive setting asks for a keepalive now. */
    List<PeerState> apply(List<PeerUpdate> updates, java.util.function.ToIntFunction<WgKey> index) {
        List<PeerState> kick = new ArrayList<>();
        for (PeerUpdate u : updates) {
            int i = index.applyAsInt(u.publicKey());
            if (i < 0) continue;
            PeerState p = peers[i];
            if (p == null) {
                p = peers[i] = new PeerState(i);
                order.add(p);
            }
            PeerState q = p;
            u.endpoint().ifPresent(e -> q.endpoint = e);
            u.replaceAllowedIps().ifPresent(l -> q.allowed = l);
            if (u.persistentKeepalive().isPresent()) {
                int k = u.persistentKeepalive().get();
                if (k > 0 && q.keepalive == 0) kick.add(q); // the kernel sends one when keepalive goes from off to on
                q.keepalive = k;
            }
        }
        return kick;
    }

    WgDevice snapshot(List<WgKey> keys) {
        List<WgPeer> list = new ArrayList<>(order.size());
        for (PeerState p : order) {
            list.add(new WgPeer(keys.get(p.peer), Optional.ofNullable(p.endpoint), p.handshakeS, p.keepalive, p.allowed, p.rx, p.tx));
        }
        return new WgDevice("wg0", Optional.of(ownKey), listenPort, list);
    }
}
