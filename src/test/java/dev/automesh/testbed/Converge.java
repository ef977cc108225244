package dev.automesh.testbed;

import java.util.List;
import java.util.function.BooleanSupplier;

/** Polling helpers for the end-to-end tests and the demo: watch WireGuard with `wg`, not with our code. */
public final class Converge {
    private Converge() {}

    /** Polls {@code cond} every 100 ms until it holds or {@code timeoutMillis} passes; true if it held. */
    public static boolean await(long timeoutMillis, BooleanSupplier cond) {
        long deadline = System.currentTimeMillis() + timeoutMillis;
        while (true) {
            if (cond.getAsBoolean()) return true;
            if (System.currentTimeMillis() > deadline) return false;
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        }
    }

    /** x has had a handshake with y within the last {@code seconds}, by `wg show dump` on x. */
    public static boolean connected(NatTopology.Host x, NatTopology.Host y, long seconds) {
        NatTopology.WgDumpPeer p = x.dump().get(y.publicKey);
        return p != null && p.handshakeWithin(seconds);
    }

    /**
     * x has had a handshake with y at or after {@code sinceEpochSeconds}. Steadier than "within N s": a
     * connected, idle WireGuard pair handshakes only every two minutes.
     */
    public static boolean connectedSince(NatTopology.Host x, NatTopology.Host y, long sinceEpochSeconds) {
        NatTopology.WgDumpPeer p = x.dump().get(y.publicKey);
        return p != null && p.latestHandshake() != 0 && p.latestHandshake() >= sinceEpochSeconds;
    }

    /** Every pair of hosts has handshaked at or after {@code sinceEpochSeconds}, seen from both sides. */
    public static boolean fullMeshSince(List<NatTopology.Host> hosts, long sinceEpochSeconds) {
        for (NatTopology.Host x : hosts) {
            for (NatTopology.Host y : hosts) {
                if (x != y && !connectedSince(x, y, sinceEpochSeconds)) return false;
            }
        }
        return true;
    }

    /** Seconds since the epoch, minus one: a handshake in the same second still counts as "after". */
    public static long nowSeconds() {
        return System.currentTimeMillis() / 1000 - 1;
    }

    /** x's current endpoint for y (null if none). */
    public static String endpoint(NatTopology.Host x, NatTopology.Host y) {
        NatTopology.WgDumpPeer p = x.dump().get(y.publicKey);
        return p == null ? null : p.endpoint();
    }

    /** Every pair of hosts in {@code hosts} has a recent handshake, seen from both sides. */
    public static boolean fullMesh(List<NatTopology.Host> hosts, long seconds) {
        for (NatTopology.Host x : hosts) {
            // One `wg show dump` per host and poll: a poll of four hosts then takes 4 processes, not 12.
            var dump = x.dump();
            for (NatTopology.Host y : hosts) {
                if (x == y) continue;
                NatTopology.WgDumpPeer p = dump.get(y.publicKey);
                if (p == null || !p.handshakeWithin(seconds)) return false;
            }
        }
        return true;
    }

    /** A table of who sees whom at which endpoint, for failure messages and the demo. */
    public static String table(List<NatTopology.Host> hosts) {
        StringBuilder sb = new StringBuilder();
        long now = System.currentTimeMillis() / 1000;
        for (NatTopology.Host x : hosts) {
            var dump = x.dump();
            for (NatTopology.Host y : hosts) {
                if (x == y) continue;
                NatTopology.WgDumpPeer p = dump.get(y.publicKey);
                String hs = p == null || p.latestHandshake() == 0 ? "never" : (now - p.latestHandshake()) + " s ago";
                sb.append(String.format("  %-3s -> %-3s  endpoint %-22s handshake %s%n", x.role, y.role,
                        p == null || p.endpoint() == null ? "(none)" : p.endpoint(), hs));
            }
        }
        return sb.toString();
    }
}
