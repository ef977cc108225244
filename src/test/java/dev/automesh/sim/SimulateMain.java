package dev.automesh.sim;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * {@code make simulate NODES=1000 MINUTES=30 [ARGS="--symmetric=0.1 --loss=0.01 ..."]}: one run and
 * its report. With {@code --sweep=25,50,100 --seeds=3} it runs every size with that many seeds and
 * prints one table row per size (medians over the seeds), for BENCHMARKS.md.
 */
public final class SimulateMain {
    public static void main(String[] args) {
        List<String> rest = new ArrayList<>();
        String sweep = null;
        int seeds = 1;
        for (String a : args) {
            if (a.startsWith("--sweep=")) sweep = a.substring(8);
            else if (a.startsWith("--seeds=")) seeds = Integer.parseInt(a.substring(8));
            else rest.add(a);
        }
        SimFlags f;
        try {
            f = SimFlags.parse(rest.toArray(String[]::new));
        } catch (IllegalArgumentException e) {
            System.err.println("simulate: " + e.getMessage());
            System.exit(2);
            return;
        }
        if (sweep == null) {
            Simulator s = new Simulator(f);
            long t = System.nanoTime();
            s.run();
            report(s, (System.nanoTime() - t) / 1e9, System.out);
            return;
        }
        System.out.println("| N | steady dgrams/s/node (median) | steady B/s/node median (wire) | busiest s steady (max node) | cold start dgrams/node | max dgrams one call | full knowledge s | full mesh s | roam known s | roam+restart dgrams mesh-wide | ns/onDevice | ns/onDatagram Announce | wall s |");
        System.out.println("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        for (String size : sweep.split(",")) {
            List<double[]> rows = new ArrayList<>();
            String note = "";
            for (int seed = 1; seed <= seeds; seed++) {
                Simulator s = new Simulator(f.withNodes(Integer.parseInt(size)).withSeed(seed));
                long t = System.nanoTime();
                boolean done = s.run();
                double wall = (System.nanoTime() - t) / 1e9;
                if (!done) note = " (" + s.aborted + ")";
                rows.add(row(s, wall));
                System.err.printf("N=%s seed=%d wall %.0f s%s%n", size, seed, wall, done ? "" : " stopped: " + s.aborted);
            }
            double[] m = median(rows);
            System.out.printf("| %s | %.1f | %.0f (%.0f) | %.0f | %.0f | %.0f | %s | %s | %s | %.0f | %.0f | %.0f | %.0f%s |%n", size,
                    m[0], m[1], m[2], m[3], m[4], m[5], secs(m[6]), secs(m[7]), secs(m[8]), m[9], m[10], m[11], m[12], note);
        }
    }

    private static String secs(double ms) {
        return ms < 0 ? "—" : String.format("%.1f", ms / 1000);
    }

    private static double[] row(Simulator s, double wall) {
        Stats st = s.stats;
        int[] all = {0, 1, 2, 3, 4};
        double cold = st.total(0) / (double) s.n;
        double roamRestart = st.total(2) + st.total(3);
        return new double[] {st.rate(st.count, 1, all)[0], st.rate(st.payload, 1, all)[0], st.rate(st.wire, 1, all)[0],
                st.busiest(1)[1], cold, Arrays.stream(st.callMaxSends).max().orElse(0),
                s.results.fullKnowledgeMs, s.results.fullMeshMs, s.results.roamKnownMs, roamRestart,
                perCall(st, 6), perCall(st, 3), wall};
    }

    private static double perCall(Stats st, int kind) {
        return st.calls[kind] == 0 ? 0 : st.callNs[kind] / (double) st.calls[kind];
    }

    private static double[] median(List<double[]> rows) {
        double[] m = new double[rows.get(0).length];
        for (int c = 0; c < m.length; c++) {
            int col = c;
            double[] v = rows.stream().mapToDouble(r -> r[col]).sorted().toArray();
            // "not reached" (-1) in any seed sorts first; the median then says what most seeds saw
            m[c] = v[v.length / 2];
        }
        return m;
    }

    static void report(Simulator s, double wallS, PrintStream out) {
        Stats st = s.stats;
        out.println("automesh simulation: " + s.f.describe());
        long[] nat = new long[3];
        for (int i = 0; i < s.n; i++) nat[s.net.nat(i).ordinal()]++;
        long wgaCount = 0;
        for (boolean b : s.wga) if (b) wgaCount++;
        out.printf("nodes: %d public, %d cone NAT, %d symmetric NAT; %d following wgautomesh's rules; %d pairs can connect directly%n",
                nat[0], nat[1], nat[2], wgaCount, s.results.canPunchPairs);
        if (s.aborted != null) out.println("STOPPED: " + s.aborted + " (figures below cover the simulated time until then)");
        out.printf("wall time %.1f s for %d events (%.0f simulated s)%n", wallS, s.events, (s.now - Simulator.T0) / 1000.0);
        out.println("cold start: full knowledge " + time(s.results.fullKnowledgeMs) + ", full mesh " + time(s.results.fullMeshMs));
        if (s.f.churn()) {
            out.println("roam (node " + s.roamer + " at " + s.churnAtS + " s): its new endpoint known everywhere " + time(s.results.roamKnownMs)
                    + " later; 10% restart at " + s.restartAtS + " s: full mesh again " + time(s.results.restartMeshMs) + " later ("
                    + time(s.results.restartMeshGapMs) + " with pairs in WireGuard's idle re-key gap counted as connected)");
        }
        for (String m : s.missingPairs(5)) out.println("  not connected: " + m);
        out.println(steadyLine(s));
        int[] all = {0, 1, 2, 3, 4};
        for (int w = 0; w < 4; w++) {
            if (st.windowLength(w) == 0) continue;
            double[] c = st.rate(st.count, w, all), b = st.rate(st.payload, w, all), wi = st.rate(st.wire, w, all);
            int[] busy = st.busiest(w);
            out.printf("%n%s (%d s to %d s): %d datagrams mesh-wide%n", Stats.WINDOWS[w], st.windowStartS[w],
                    st.windowStartS[w] + st.windowLength(w), st.total(w));
            out.printf("  per node per second: datagrams median %.2f max %.2f; encrypted bytes median %.0f max %.0f; on the wire median %.0f max %.0f%n",
                    c[0], c[1], b[0], b[1], wi[0], wi[1]);
            out.printf("  busiest second per node: median %d, max %d datagrams%s%n", busy[0], busy[1], busiestSecond(st, w));
            long[] bc = st.biggestCall[w];
            if (bc != null) out.printf("  biggest Mesh call: %s of n%d at %.3f s, %d datagrams (%d Pings)%n", Stats.CALLS[(int) bc[0]], bc[1], bc[2] / 1000.0, bc[3], bc[4]);
            if (s.f.wgaShare() > 0) {
                double[] ab = st.rate(st.payload, w, s.wga, all);
                out.printf("  automesh nodes only: encrypted bytes per node per second median %.0f max %.0f%n", ab[0], ab[1]);
            }
            for (int t = 0; t < 5; t++) {
                double[] ct = st.rate(st.count, w, t), bt = st.rate(st.payload, w, t);
                int[] bz = st.busiest(w, t);
                if (ct[1] > 0) out.printf("    %-12s datagrams/s median %.2f max %.2f; bytes/s median %.0f max %.0f; busiest second median %d max %d%n",
                        Stats.TYPES[t], ct[0], ct[1], bt[0], bt[1], bz[0], bz[1]);
            }
        }
        int[] sizes = new int[s.n], eps = new int[s.n];
        for (int i = 0; i < s.n; i++) {
            var t = s.brain[i].table();
            sizes[i] = t.size();
            eps[i] = t.values().stream().mapToInt(java.util.List::size).max().orElse(0);
        }
        Arrays.sort(sizes);
        Arrays.sort(eps);
        out.printf("%ntables at the end: entries per node median %d max %d; endpoints per entry max %d%n", sizes[s.n / 2], sizes[s.n - 1], eps[s.n - 1]);
        out.printf("sends lost because the tunnel was down: %s%n", Arrays.toString(st.lostTunnelDown));
        out.println("CPU per Mesh call (automesh nodes only):");
        for (int k = 0; k < Stats.CALLS.length; k++) {
            if (st.calls[k] == 0) continue;
            out.printf("  %-24s %10d calls %10.0f ns/call; most datagrams from one call %d%s%n", Stats.CALLS[k], st.calls[k],
                    st.callNs[k] / (double) st.calls[k], st.callMaxSends[k],
                    st.callMaxSends[k] == 0 ? "" : ": " + st.callMaxMix(k));
        }
    }

    /** Where the steady window lies and what gossip work was still held back when it started. */
    private static String steadyLine(Simulator s) {
        long[] b = s.stats.windowStartS;
        int mode = s.f.steadyFromS();
        String how = mode == SimFlags.STEADY_THIRD ? "the run's second third"
                : mode == SimFlags.STEADY_AUTO ? "auto: the first check after full knowledge (or 60 s) with no deferred gossip work on any node"
                : "fixed start";
        if (!s.steadySet) return "steady window: not reached (" + how + "); deferred work at the end: " + s.deferredNow[0]
                + " fan-outs, " + s.deferredNow[1] + " queued Announces on " + s.deferredNow[2] + " nodes";
        long[] d = s.deferredAtSteady;
        String held = d == null ? "not checked" : d[2] == 0 ? "none" : String.format("%d fan-outs and %d queued Announces on %d nodes: "
                + "the window still carries the cold start's deferred fan-out", d[0], d[1], d[2]);
        long end = b[1] + s.stats.windowLength(1);
        return String.format("steady window %d-%d s%s (%s); deferred work at its start: %s; last seen before it at %s",
                b[1], end, end < b[2] ? " (of " + b[1] + "-" + b[2] + ": the run stopped)" : "", how, held,
                s.lastDeferredS < 0 ? "no second" : s.lastDeferredS + " s");
    }

    /** The busiest node-second of the window, split by type. */
    private static String busiestSecond(Stats st, int w) {
        int[] b = st.busiestSecond(w);
        if (b == null) return "";
        StringBuilder sb = new StringBuilder(String.format(" (n%d at %d s:", b[0], b[1]));
        for (int t = 0; t < 5; t++) if (b[2 + t] > 0) sb.append(' ').append(Stats.TYPES[t]).append(' ').append(b[2 + t]);
        return sb.append(')').toString();
    }

    private static String time(long ms) {
        return ms < 0 ? "not reached" : String.format("%.1f s", ms / 1000.0);
    }
}
