package dev.automesh.mesh;

import dev.automesh.config.EndpointClass;
import dev.automesh.crypto.GossipCipher;
import dev.automesh.wg.IpPrefix;
import dev.automesh.wire.Message;
import dev.automesh.wire.WireCodec;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Who may get an answer (a Pong, a Request's table) and how much. Gossip is UDP: a source address can
 * be forged, and the answer then goes to a victim. So we answer only where an asker can be: a
 * configured peer's mesh address (inside its tunnel, where WireGuard checks the source), an address on
 * a directly connected subnet (the LAN, where discovery Pings come from), or loopback. And each source
 * gets at most {@link #BURST_BYTES} at once, {@link #BYTES_PER_S} a second. Counts what it refused.
 */
final class Askers {
    static final double BYTES_PER_S = 16 * 1024;
    static final double BURST_BYTES = 32 * 1024;
    /** Per-source buckets kept; the least recently used goes first (a full bucket carries no state anyway). */
    static final int MAX_SOURCES = 256;

    private final Set<InetAddress> meshAddresses;
    private final List<IpPrefix> subnets;
    private final Map<InetAddress, Budget> bySource = new LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<InetAddress, Budget> eldest) {
            return size() > MAX_SOURCES;
        }
    };
    private long refusedAskers, refusedAnswers, refusedBytes;

    Askers(Set<InetAddress> meshAddresses, List<IpPrefix> subnets) {
        this.meshAddresses = Set.copyOf(meshAddresses);
        this.subnets = List.copyOf(subnets);
    }

    /** Whether {@code from} can be someone who asks: else it is forged (or lost), and is counted. */
    boolean mayAsk(InetSocketAddress from) {
        InetAddress a = from.getAddress();
        if (a != null && (a.isLoopbackAddress() || EndpointClass.isMeshAddress(a, meshAddresses) || onSubnet(a))) return true;
        refusedAskers++;
        return false;
    }

    /** Whether {@code m} may still go to {@code to} now; counted when not. */
    boolean mayAnswer(InetSocketAddress to, Message m, long nowMillis) {
        int bytes = WireCodec.encode(m).length + GossipCipher.OVERHEAD;
        Budget b = bySource.computeIfAbsent(to.getAddress(), k -> new Budget(BYTES_PER_S, BURST_BYTES));
        if (b.take(bytes, nowMillis)) return true;
        refusedAnswers++;
        refusedBytes += bytes;
        return false;
    }

    long refusedAskers() { return refusedAskers; }

    long refusedAnswers() { return refusedAnswers; }

    long refusedBytes() { return refusedBytes; }

    int sources() { return bySource.size(); }

    private boolean onSubnet(InetAddress a) {
        byte[] x = a.getAddress();
        for (IpPrefix p : subnets) {
            byte[] n = p.address().getAddress();
            if (n.length == x.length && samePrefix(x, n, p.prefixLength())) return true;
        }
        return false;
    }

    static boolean samePrefix(byte[] x, byte[] n, int bits) {
        int full = bits / 8;
        for (int i = 0; i < full; i++) if (x[i] != n[i]) return false;
        int rest = bits % 8;
        if (rest == 0) return true;
        int mask = (0xff << (8 - rest)) & 0xff;
        return (x[full] & mask) == (n[full] & mask);
    }
}
