package dev.automesh.testbed;

import dev.automesh.testbed.NatTopology.Host;
import dev.automesh.testbed.NatTopology.Nat;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * Time from a cold start until the relayed pair is reachable: both NATs symmetric, a fresh bed and
 * fresh agents per run (only pub's endpoint configured), started together; the clock stops at the first
 * ping from a to b's mesh address that is answered. Prints each run and the median.
 *
 * <p>{@code java -cp target/test-classes:target/automesh.jar dev.automesh.testbed.RelayColdStartBench [runs]}
 * (root; the packaged jar).
 */
public final class RelayColdStartBench {
    public static void main(String[] args) throws Exception {
        int runs = args.length > 0 ? Integer.parseInt(args[0]) : 5;
        double[] secs = new double[runs];
        for (int i = 0; i < runs; i++) {
            secs[i] = once();
            System.out.printf("run %d: a reaches b through the relay %.2f s after the agents started%n", i + 1, secs[i]);
        }
        double[] sorted = secs.clone();
        Arrays.sort(sorted);
        System.out.printf("median of %d: %.2f s%n", runs, sorted[runs / 2]);
    }

    private static double once() throws Exception {
        try (NatTopology t = NatTopology.create(Nat.SYMMETRIC, Nat.SYMMETRIC)) {
            List<AgentProcess> agents = new ArrayList<>();
            try {
                Map<Host, String> endpoints = Map.of(t.pub, NatTopology.PUBLIC_IP + ":" + NatTopology.WG_PORT);
                long start = System.nanoTime();
                for (Host h : t.hosts()) agents.add(AgentProcess.start(h, AgentProcess.configFor(h, t.hosts(), endpoints, "")));
                long deadline = start + 120_000_000_000L;
                while (System.nanoTime() < deadline) {
                    // -W 1 bounds one try; a reply ends the run at once.
                    if (t.a.ns.exec("ping", "-c", "1", "-W", "1", t.b.meshIp).exit() == 0) {
                        return (System.nanoTime() - start) / 1e9;
                    }
                }
                throw new IllegalStateException("a never reached b within 120 s");
            } finally {
                for (AgentProcess a : agents) a.stop();
            }
        }
    }
}
