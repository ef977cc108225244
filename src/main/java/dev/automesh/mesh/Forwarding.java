package dev.automesh.mesh;

import dev.automesh.wire.TimedEndpoint;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Whether a changed list is worth a fan-out. The merge rule calls any newer timestamp a change, and
 * every node seeing a peer re-dates it every few minutes: forwarding each re-dating floods the mesh
 * with news nobody uses. A list goes out when its addresses or their order differ from the list we last
 * sent for that pubkey (a new endpoint, a roam, a re-ordering that changes what wgautomesh nodes keep
 * and try first), or when an address is dated {@link #REFRESH_S} later than we last sent it, so the
 * timestamps other nodes hold do not age without bound. That threshold has a fixed per-node, per-pubkey
 * jitter of up to {@link #JITTER_S}, so the nodes that all see one peer do not refresh it in phase.
 */
final class Forwarding {
    /** A re-dating alone is forwarded once this much newer than what we last sent. */
    static final long REFRESH_S = 3_600;
    static final long JITTER_S = 900;

    private final String ownB64;
    private final Map<String, List<TimedEndpoint>> sent = new HashMap<>();
    private long damped;

    Forwarding(String ownB64) {
        this.ownB64 = ownB64;
    }

    /** @return whether {@code now}, the table's list for {@code pk}, goes out; if so it is remembered as sent */
    boolean forward(String pk, List<TimedEndpoint> now) {
        List<TimedEndpoint> last = sent.get(pk);
        if (last != null && sameOrder(last, now) && !refreshed(last, now, REFRESH_S + jitterS(pk))) {
            damped++;
            return false;
        }
        sent.put(pk, now);
        return true;
    }

    /** Lists we did not forward because only their timestamps moved. */
    long damped() {
        return damped;
    }

    private static boolean sameOrder(List<TimedEndpoint> a, List<TimedEndpoint> b) {
        if (a.size() != b.size()) return false;
        for (int i = 0; i < a.size(); i++) if (!a.get(i).address().equals(b.get(i).address())) return false;
        return true;
    }

    private long jitterS(String pk) {
        return Long.remainderUnsigned(Xxh3.hash64((ownB64 + "~" + pk).getBytes(StandardCharsets.UTF_8)), JITTER_S);
    }

    private static boolean refreshed(List<TimedEndpoint> last, List<TimedEndpoint> now, long afterS) {
        for (int i = 0; i < now.size(); i++) {
            InetSocketAddress a = now.get(i).address();
            if (last.get(i).address().equals(a) && now.get(i).unixSeconds() >= last.get(i).unixSeconds() + afterS) return true;
        }
        return false;
    }
}
