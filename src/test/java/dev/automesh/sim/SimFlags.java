package dev.automesh.sim;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The scenario: how many nodes, for how long, and what the network looks like.
 *
 * @param publicShare fraction of sites whose nodes have public addresses; the rest split into cone and symmetric NATs
 * @param symmetricShare fraction of sites behind a symmetric NAT
 * @param lanSize nodes per site (a site is one LAN: broadcast reaches it; behind a NAT it shares the NAT's address)
 * @param wgaShare fraction of nodes that follow wgautomesh's rules instead of running Mesh
 * @param churn at 2/3 of the run one node roams, later 10% of nodes restart
 * @param steadyFromS where the steady window starts: {@link #STEADY_THIRD} (the second third of the run,
 *     roam at 2/3), {@link #STEADY_AUTO} (the first second at which no automesh node has deferred gossip
 *     work left, i.e. the cold start's fan-outs have drained), or a time in simulated seconds
 * @param steadyLengthS the steady window's length with auto or a fixed start (0: 60 s); the roam and
 *     restart windows after it last 20 s each, and --minutes is then only the cap
 */
record SimFlags(int nodes, int minutes, long seed, double publicShare, double symmetricShare, int lanSize,
                double loss, int latencyMs, int jitterMs, double wgaShare, boolean churn, int maxWallSeconds,
                long maxPending, boolean progress, int steadyFromS, int steadyLengthS) {

    static final int STEADY_THIRD = -1, STEADY_AUTO = -2;
    static final int DEFAULT_STEADY_LENGTH_S = 60, CHURN_WINDOW_S = 20;

    /** The scenario as before the steady flags: the steady window is the run's second third. */
    SimFlags(int nodes, int minutes, long seed, double publicShare, double symmetricShare, int lanSize,
             double loss, int latencyMs, int jitterMs, double wgaShare, boolean churn, int maxWallSeconds,
             long maxPending, boolean progress) {
        this(nodes, minutes, seed, publicShare, symmetricShare, lanSize, loss, latencyMs, jitterMs, wgaShare, churn,
                maxWallSeconds, maxPending, progress, STEADY_THIRD, 0);
    }

    static SimFlags defaults() {
        return new SimFlags(50, 30, 1, 0.5, 0.0, 1, 0.0, 20, 5, 0.0, true, 0, 20_000_000, false);
    }

    int steadyLength() {
        return steadyLengthS > 0 ? steadyLengthS : DEFAULT_STEADY_LENGTH_S;
    }

    private static int steadyFrom(String v) {
        return switch (v) {
            case "third" -> STEADY_THIRD;
            case "auto" -> STEADY_AUTO;
            default -> {
                int s = Integer.parseInt(v);
                if (s < 1) throw new IllegalArgumentException("--steady is third, auto or a time >= 1 s");
                yield s;
            }
        };
    }

    /** {@code --nodes=1000 --minutes=30 --seed=1 --public=0.5 --symmetric=0.1 --lan=4 --loss=0.01 ...} */
    static SimFlags parse(String[] args) {
        Map<String, String> m = new LinkedHashMap<>();
        for (String a : args) {
            if (!a.startsWith("--") || !a.contains("=")) throw new IllegalArgumentException("expected --key=value, got " + a);
            m.put(a.substring(2, a.indexOf('=')), a.substring(a.indexOf('=') + 1));
        }
        SimFlags d = defaults();
        SimFlags f = new SimFlags(
                Integer.parseInt(m.getOrDefault("nodes", "" + d.nodes)),
                Integer.parseInt(m.getOrDefault("minutes", "" + d.minutes)),
                Long.parseLong(m.getOrDefault("seed", "" + d.seed)),
                Double.parseDouble(m.getOrDefault("public", "" + d.publicShare)),
                Double.parseDouble(m.getOrDefault("symmetric", "" + d.symmetricShare)),
                Integer.parseInt(m.getOrDefault("lan", "" + d.lanSize)),
                Double.parseDouble(m.getOrDefault("loss", "" + d.loss)),
                Integer.parseInt(m.getOrDefault("latency", "" + d.latencyMs)),
                Integer.parseInt(m.getOrDefault("jitter", "" + d.jitterMs)),
                Double.parseDouble(m.getOrDefault("wga", "" + d.wgaShare)),
                Boolean.parseBoolean(m.getOrDefault("churn", "" + d.churn)),
                Integer.parseInt(m.getOrDefault("max-wall", "" + d.maxWallSeconds)),
                Long.parseLong(m.getOrDefault("max-pending", "" + d.maxPending)),
                Boolean.parseBoolean(m.getOrDefault("progress", "" + d.progress)),
                steadyFrom(m.getOrDefault("steady", "third")),
                Integer.parseInt(m.getOrDefault("steady-length", "0")));
        for (String k : m.keySet()) {
            if (!java.util.Set.of("nodes", "minutes", "seed", "public", "symmetric", "lan", "loss", "latency", "jitter",
                    "wga", "churn", "max-wall", "max-pending", "progress",
                    "steady", "steady-length").contains(k)) {
                throw new IllegalArgumentException("unknown flag --" + k + " (see docs/simulator.md)");
            }
        }
        if (f.nodes < 2 || f.minutes < 1 || f.lanSize < 1) throw new IllegalArgumentException("need nodes >= 2, minutes >= 1, lan >= 1");
        return f;
    }

    SimFlags withNodes(int n) {
        return new SimFlags(n, minutes, seed, publicShare, symmetricShare, lanSize, loss, latencyMs, jitterMs, wgaShare, churn,
                maxWallSeconds, maxPending, progress, steadyFromS, steadyLengthS);
    }

    SimFlags withSeed(long s) {
        return new SimFlags(nodes, minutes, s, publicShare, symmetricShare, lanSize, loss, latencyMs, jitterMs, wgaShare, churn,
                maxWallSeconds, maxPending, progress, steadyFromS, steadyLengthS);
    }

    String describe() {
        String steady = steadyFromS == STEADY_THIRD ? "third" : (steadyFromS == STEADY_AUTO ? "auto" : steadyFromS + "s")
                + " (" + steadyLength() + " s)";
        return String.format("nodes=%d minutes=%d seed=%d public=%.2f symmetric=%.2f lan=%d loss=%.3f latency=%d±%d ms wga=%.2f churn=%s steady=%s",
                nodes, minutes, seed, publicShare, symmetricShare, lanSize, loss, latencyMs, jitterMs, wgaShare, churn, steady);
    }
}
