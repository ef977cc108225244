package dev.automesh.sim;

import dev.automesh.crypto.GossipCipher;
import dev.automesh.wire.Message;
import dev.automesh.wire.WireCodec;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;

/** Counters of one run: datagrams and bytes by node, window and message type; CPU per Mesh call. */
final class Stats {
    static final String[] TYPES = {"Ping", "Pong", "Announce", "Request", "LanBroadcast"};
    static final String[] WINDOWS = {"cold start", "steady", "roam", "restart"};
    static final String[] CALLS = {"start", "onDatagram Ping", "onDatagram Pong", "onDatagram Announce", "onDatagram Request",
            "onDatagram LanBroadcast", "onDevice", "onTick", "onResolved"};

    final int n;
    /** The cap: the last simulated second counted. */
    final int seconds;
    /**
     * Where each window starts, then where the last one ends (simulated seconds): {cold, steady, roam,
     * restart, end}. Set up front, or (steady auto) moved while the run goes, before any of those seconds.
     */
    final long[] windowStartS;
    /** The last simulated second reached (a stopped run covers less than its windows). */
    long reachedS = Long.MAX_VALUE / 2;
    /** [node][second][type] datagrams sent. */
    final int[][][] perSecond;
    final long[][][] count, payload, wire; // [window][node][type]
    final long[] lostTunnelDown = new long[5];
    final long[] callNs = new long[CALLS.length], calls = new long[CALLS.length], callMaxSends = new long[CALLS.length];
    /** Per window, the one Mesh call that sent the most datagrams: {kind, node, millis since start, datagrams, of which Pings}. */
    final long[][] biggestCall = new long[4][];
    /** [call kind][type]: what the largest call of each kind sent, by message type (Broadcasts as LanBroadcast). */
    final int[][] callMaxByType = new int[CALLS.length][TYPES.length];
    /** [call kind]: when (simulated s) and on which node the largest call of each kind was made. */
    final long[] callMaxAtS = new long[CALLS.length];
    final int[] callMaxNode = new int[CALLS.length];
    private final Map<Integer, Integer> sizeCache = new HashMap<>();

    Stats(int n, int seconds, long[] windowStartS) {
        if (windowStartS.length != 5) throw new IllegalArgumentException("four window starts and the end");
        this.n = n;
        this.seconds = seconds;
        this.windowStartS = windowStartS;
        perSecond = new int[n][seconds + 1][5];
        count = new long[4][n][5];
        payload = new long[4][n][5];
        wire = new long[4][n][5];
    }

    /** The window second s falls in; -1 after the last one ends. */
    int window(long s) {
        if (s >= windowStartS[4]) return -1;
        int w = 0;
        for (int i = 1; i < 4; i++) if (s >= windowStartS[i]) w = i;
        return w;
    }

    /** The encrypted datagram: real codec size plus the cipher's nonce and tag. */
    int payloadBytes(Message m) {
        int key = m.variant() * 64 + (m instanceof Message.Announce a ? a.endpoints().size() : 0);
        return sizeCache.computeIfAbsent(key, k -> WireCodec.encode(m).length + GossipCipher.OVERHEAD);
    }

    /** Through the tunnel: inner IPv4+UDP, padded to 16, WireGuard's 16-byte header and 16-byte tag, outer IPv4+UDP. */
    static int tunnelWireBytes(int payload) {
        return 28 + 32 + ((28 + payload + 15) / 16) * 16;
    }

    void sent(int node, long s, Message m, boolean tunnel) {
        int t = m.variant(), w = window(s);
        int p = payloadBytes(m);
        if (s <= seconds) perSecond[node][(int) s][t]++;
        if (w < 0) return;
        count[w][node][t]++;
        payload[w][node][t] += p;
        wire[w][node][t] += tunnel ? tunnelWireBytes(p) : 28 + p;
    }

    /** @param byType this call's sends by message type */
    /** The largest call of this kind by type, e.g. "Ping 200, Announce 256 (n3 at 2 s)"; empty if it sent nothing. */
    String callMaxMix(int kind) {
        StringBuilder b = new StringBuilder();
        for (int t = 0; t < TYPES.length; t++) {
            if (callMaxByType[kind][t] == 0) continue;
            b.append(b.length() == 0 ? "" : ", ").append(TYPES[t]).append(' ').append(callMaxByType[kind][t]);
        }
        return b.length() == 0 ? "" : b + " (n" + callMaxNode[kind] + " at " + callMaxAtS[kind] + " s)";
    }

    /** One Mesh call: its time, and what it sent by type; the largest per kind and per window are kept, with who and when. */
    void call(int kind, long ns, int[] byType, int node, long sinceStartMillis) {
        int sends = Arrays.stream(byType).sum();
        int w = window(sinceStartMillis / 1000);
        if (w >= 0 && sends > 0 && (biggestCall[w] == null || sends > biggestCall[w][3])) {
            biggestCall[w] = new long[] {kind, node, sinceStartMillis, sends, byType[0]};
        }
        callNs[kind] += ns;
        calls[kind]++;
        if (sends > callMaxSends[kind]) {
            callMaxSends[kind] = sends;
            callMaxByType[kind] = byType.clone();
            callMaxAtS[kind] = sinceStartMillis / 1000;
            callMaxNode[kind] = node;
        }
    }

    /** The window's seconds, up to where the run got. */
    long windowLength(int w) {
        long end = Math.min(Math.min(windowStartS[w + 1], seconds + 1L), reachedS + 1);
        return Math.max(0, end - windowStartS[w]);
    }

    /** Per node per second over window w: {median, max} of the sum over the given types. */
    double[] rate(long[][][] what, int w, int... types) {
        return rate(what, w, new boolean[n], types);
    }

    /** The same over the nodes not skipped (e.g. only those running Mesh). */
    double[] rate(long[][][] what, int w, boolean[] skip, int... types) {
        double len = windowLength(w);
        double[] per = new double[n];
        int k = 0;
        for (int i = 0; i < n; i++) {
            if (skip[i]) continue;
            long sum = 0;
            for (int t : types) sum += what[w][i][t];
            per[k++] = len == 0 ? 0 : sum / len;
        }
        if (k == 0) return new double[] {0, 0};
        Arrays.sort(per, 0, k);
        return new double[] {per[k / 2], per[k - 1]};
    }

    /** Each node's busiest second within window w, of the given types: {median, max} over nodes. */
    int[] busiest(int w, int... types) {
        int[] per = busiestPerNode(w, types);
        Arrays.sort(per);
        return new int[] {per[n / 2], per[n - 1]};
    }

    int[] busiest(int w) {
        return busiest(w, 0, 1, 2, 3, 4);
    }

    private int[] busiestPerNode(int w, int... types) {
        long from = windowStartS[w], to = from + windowLength(w);
        int[] per = new int[n];
        for (int i = 0; i < n; i++) {
            for (long s = from; s < to && s <= seconds; s++) per[i] = Math.max(per[i], sum(perSecond[i][(int) s], types));
        }
        return per;
    }

    private static int sum(int[] byType, int... types) {
        int k = 0;
        for (int t : types) k += byType[t];
        return k;
    }

    /** The busiest node-second of window w: {node, second, datagrams by type...}; null when the window is empty. */
    int[] busiestSecond(int w) {
        long from = windowStartS[w], to = from + windowLength(w);
        int[] best = null;
        int most = -1;
        for (int i = 0; i < n; i++) {
            for (long s = from; s < to && s <= seconds; s++) {
                int k = sum(perSecond[i][(int) s], 0, 1, 2, 3, 4);
                if (k > most) {
                    most = k;
                    best = new int[] {i, (int) s, 0, 0, 0, 0, 0};
                    System.arraycopy(perSecond[i][(int) s], 0, best, 2, 5);
                }
            }
        }
        return best;
    }

    long total(int w) {
        long sum = 0;
        for (int i = 0; i < n; i++) for (int t = 0; t < 5; t++) sum += count[w][i][t];
        return sum;
    }
}
