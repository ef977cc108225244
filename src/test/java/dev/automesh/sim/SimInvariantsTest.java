package dev.automesh.sim;

import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/**
 * The simulator's invariants at N = 50 (a few simulated minutes; the N = 1000 run is a benchmark):
 * every pair that can connect directly does, no gossip table grows past its bound, no Mesh call sends
 * more than its budget, a cold start costs O(N) datagrams per node, and steady-state gossip stays
 * under 1 KiB/s per automesh node, also with LANs, loss and wgautomesh nodes.
 */
class SimInvariantsTest {
    static final double STEADY_BYTES_PER_NODE = 1024;
    /** Out.CALL_DATAGRAMS: what one Mesh call may emit, Pings and Announces together, at any N. */
    static final int CALL_DATAGRAMS = 300;
    /** A cold start's datagrams per node, in units of N: O(N) (before pacing it was 1.8·N², 117·N at N = 50). */
    static final int COLD_START_PER_NODE_PER_PEER = 60;
    static final long REKEY_GAP_MS = Simulator.REKEY_GAP_MS;

    private static Simulator run(SimFlags f) {
        Simulator s = new Simulator(f);
        assertTrue(s.run(), () -> "stopped: " + s.aborted);
        return s;
    }

    /** bytes: also hold every node's steady-state gossip to the bound. */
    private static void assertInvariants(Simulator s, boolean bytes) {
        assertTrue(s.results.fullMeshMs >= 0, () -> "no full mesh among the pairs that can connect:\n" + String.join("\n", s.missingPairs(10)));
        // Up to WireGuard's idle re-key gap (a persistent keepalive and REKEY_TIMEOUT): see Simulator.fullMesh(long).
        assertTrue(s.fullMesh(REKEY_GAP_MS), () -> "the full mesh did not last:\n" + String.join("\n", s.missingPairs(10)));
        for (int i = 0; i < s.n; i++) {
            var table = s.brain[i].table();
            int node = i;
            // every configured pubkey plus at most 64 unknown ones, 5 endpoints each
            assertTrue(table.size() <= s.n + 64, () -> "n" + node + " holds " + table.size() + " pubkeys");
            assertTrue(table.values().stream().allMatch(l -> l.size() <= 5), () -> "n" + node + " keeps more than 5 endpoints: " + table);
        }
        // Paced: one call sends at most its budget, plus a Pong, the Requests of a start and relay control.
        long mostFromOneCall = java.util.Arrays.stream(s.stats.callMaxSends).max().orElse(0);
        assertTrue(mostFromOneCall <= CALL_DATAGRAMS + 8, () -> "one Mesh call emitted " + mostFromOneCall + " datagrams");
        double coldPerNode = s.stats.total(0) / (double) s.n;
        assertTrue(coldPerNode <= COLD_START_PER_NODE_PER_PEER * s.n, () -> "a cold start cost " + coldPerNode + " datagrams per node");
        if (!bytes) return;
        // Only nodes running Mesh: what a wgautomesh node sends follows its own rules (it forwards every re-dating).
        double busiest = s.stats.rate(s.stats.payload, 1, s.wga, 0, 1, 2, 3, 4)[1];
        assertTrue(busiest < STEADY_BYTES_PER_NODE, () -> "steady-state gossip " + busiest + " B/s on the busiest automesh node");
    }

    @Test
    void publicAndConeNodesConvergeAndStayWithinBounds() {
        Simulator s = run(new SimFlags(50, 6, 7, 0.5, 0.0, 1, 0.0, 20, 5, 0.0, false, 0, 20_000_000, false));
        assertInvariants(s, true);
        assertTrue(s.results.fullKnowledgeMs >= 0, "every node learns every other node's endpoint");
    }

    // No byte bound here yet: a node behind a symmetric NAT shows every peer another port, and new ports
    // keep appearing (a mapping per destination, renewed), each one news under the merge rule that the
    // whole mesh forwards (about 1.1 KiB/s per node at N = 50, see BENCHMARKS.md).
    @Test
    void symmetricNatsLansAndLossConverge() {
        assertInvariants(run(new SimFlags(50, 4, 3, 0.4, 0.2, 2, 0.01, 30, 10, 0.0, false, 0, 20_000_000, false)), false);
    }

    @Test
    void mixedMeshWithWgautomeshNodesConverges() {
        assertInvariants(run(new SimFlags(50, 4, 3, 0.4, 0.0, 2, 0.01, 30, 10, 0.2, false, 0, 20_000_000, false)), true);
    }
}
