package dev.automesh.bench;

import dev.automesh.testbed.AgentProcess;
import dev.automesh.testbed.Converge;
import dev.automesh.testbed.NatTopology;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * Convergence measurements in the NAT test bed (root):
 * <ol>
 * <li>cold start to full mesh: agents started on fresh interfaces whose configs name only the public
 *     host, until every directed pair has a handshake — RUNS times, median reported;</li>
 * <li>NAT mapping change to reconnection: NAT 2 starts mapping b to another external port (conntrack
 *     flushed, masquerade to a different port range); time until a and pub have a fresh handshake with
 *     b at the new address.</li>
 * </ol>
 * Usage: java -cp target/test-classes:target/automesh.jar dev.automesh.bench.ConvergeBench [RUNS]
 */
public final class ConvergeBench {
    public static void main(String[] args) throws Exception {
        int runs = args.length > 0 ? Integer.parseInt(args[0]) : 10;
        double[] cold = new double[runs];
        List<Double> remap = new ArrayList<>();
        for (int i = 0; i < runs; i++) {
            try (NatTopology t = NatTopology.create()) {
                List<AgentProcess> agents = new ArrayList<>();
                try {
                    Map<NatTopology.Host, String> eps = Map.of(t.pub, NatTopology.PUBLIC_IP + ":" + NatTopology.WG_PORT);
                    long start = System.nanoTime();
                    for (NatTopology.Host h : t.hosts()) agents.add(AgentProcess.start(h, AgentProcess.configFor(h, t.hosts(), eps, "")));
                    boolean ok = Converge.await(120_000, () -> Converge.fullMesh(t.hosts(), 30));
                    cold[i] = ok ? (System.nanoTime() - start) / 1e9 : Double.NaN;
                    System.out.printf("run %d: cold start to full mesh %.2f s%n", i + 1, cold[i]);
                    if (ok && i < 3) remap.add(remap(t));
                } finally {
                    for (AgentProcess a : agents) a.stop();
                    if (Boolean.getBoolean("bench.logs")) {
                        for (AgentProcess a : agents) System.out.println("--- " + a.host().role + "\n" + a.log());
                    }
                }
            }
        }
        double[] sorted = Arrays.stream(cold).sorted().toArray();
        System.out.printf("cold start to full mesh: median %.2f s, min %.2f s, max %.2f s over %d runs%n",
                median(sorted), sorted[0], sorted[sorted.length - 1], runs);
        System.out.println("NAT mapping change to reconnection (a and pub see b at its new address): " + remap + " s");
    }

    private static double remap(NatTopology t) throws InterruptedException {
        String oldB = Converge.endpoint(t.a, t.b);
        // NAT 2 now maps b to ports 40000-40099: the existing conntrack entries are flushed so the very
        // next packet gets the new mapping, as after a router reboot or a mapping timeout.
        t.nat2.ok("nft", "flush", "chain", "ip", "nat", "postrouting");
        t.nat2.ok("nft", "add", "rule", "ip", "nat", "postrouting", "oifname", "wan0", "meta", "l4proto", "udp", "masquerade", "to", ":40000-40099");
        t.nat2.ok("nft", "add", "rule", "ip", "nat", "postrouting", "oifname", "wan0", "masquerade");
        long start = System.nanoTime();
        t.nat2.exec("conntrack", "-F");
        long startS = Converge.nowSeconds();
        // Reconnected: pub's WireGuard roamed to b's new external port (it does so only on an authenticated
        // packet from there), and a, whose NAT drops b's packets from the new port, handshaked with b anew.
        boolean ok = Converge.await(120_000, () -> {
            NatTopology.WgDumpPeer atPub = t.pub.dump().get(t.b.publicKey);
            NatTopology.WgDumpPeer atA = t.a.dump().get(t.b.publicKey);
            return atPub != null && atPub.endpoint() != null && atPub.endpoint().startsWith(NatTopology.NAT2_WAN + ":400")
                    && atA != null && atA.endpoint() != null && atA.endpoint().startsWith(NatTopology.NAT2_WAN + ":400")
                    && atA.latestHandshake() >= startS;
        });
        double s = ok ? (System.nanoTime() - start) / 1e9 : Double.NaN;
        System.out.printf("  NAT mapping change to reconnection: %.2f s (b was %s, now %s)%n", s, oldB, Converge.endpoint(t.a, t.b));
        return ok ? Math.round(s * 100) / 100.0 : Double.NaN;
    }

    private static double median(double[] sorted) {
        int n = sorted.length;
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    }
}
