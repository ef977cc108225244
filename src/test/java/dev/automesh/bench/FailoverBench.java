package dev.automesh.bench;

import dev.automesh.testbed.AgentProcess;
import dev.automesh.testbed.Converge;
import dev.automesh.testbed.NatTopology;
import dev.automesh.testbed.Netns;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * Time to recover from a path change in the NAT test bed (root), idle and active. One full mesh of
 * agents (the packaged jar); then RUNS times: NAT 2 re-maps b to another port range and flushes its
 * conntrack table (as a router reboot or a CGNAT re-map would); recovered = pub's and a's WireGuard
 * send to b's new port and a has received from b since (WireGuard roams a live session without a new
 * handshake, so a handshake is not waited for). "active": a pings b 5 times a second
 * throughout; "idle": nothing but the mesh's own traffic (the mesh rests 40 s before each run, so
 * the idle link is in its keepalive rhythm).
 *
 * <p>Usage: java -cp target/test-classes:target/automesh.jar dev.automesh.bench.FailoverBench [RUNS] [idle|active|both]
 */
public final class FailoverBench {
    private static int range = 40000;

    public static void main(String[] args) throws Exception {
        int runs = args.length > 0 ? Integer.parseInt(args[0]) : 5;
        String which = args.length > 1 ? args[1] : "both";
        try (NatTopology t = NatTopology.create()) {
            List<AgentProcess> agents = new ArrayList<>();
            try {
                Map<NatTopology.Host, String> eps = Map.of(t.pub, NatTopology.PUBLIC_IP + ":" + NatTopology.WG_PORT);
                for (NatTopology.Host h : t.hosts()) agents.add(AgentProcess.start(h, AgentProcess.configFor(h, t.hosts(), eps, "")));
                if (!Converge.await(120_000, () -> Converge.fullMesh(t.hosts(), 30))) throw new IllegalStateException("no full mesh");
                for (String mode : which.equals("both") ? List.of("active", "idle") : List.of(which)) {
                    double[] s = new double[runs];
                    for (int i = 0; i < runs; i++) {
                        s[i] = remap(t, mode.equals("active"));
                        System.out.printf("%s run %d: %.2f s%n", mode, i + 1, s[i]);
                    }
                    double[] sorted = Arrays.stream(s).sorted().toArray();
                    System.out.printf("NAT 2 re-map, %s: median %.2f s, min %.2f s, max %.2f s (runs: %s)%n", mode,
                            sorted[runs / 2], sorted[0], sorted[runs - 1], Arrays.toString(s));
                }
            } finally {
                for (AgentProcess a : agents) a.stop();
                if (Boolean.getBoolean("bench.logs")) {
                    for (AgentProcess a : agents) System.out.println("--- " + a.host().role + "\n" + a.log());
                }
            }
        }
    }

    private static double remap(NatTopology t, boolean active) throws Exception {
        Thread.sleep(40_000); // settle into the idle rhythm (or the traffic's)
        Process ping = null;
        Path pingLog = Files.createTempFile("failover-ping", ".log");
        if (active) {
            ping = t.a.ns.spawn(List.of("ping", "-i", "0.2", "-W", "1", t.b.meshIp), pingLog);
            Thread.sleep(5_000);
        }
        try {
            range = range >= 49000 ? 40000 : range + 1000;
            String ports = range + "-" + (range + 99);
            t.nat2.ok("nft", "flush", "chain", "ip", "nat", "postrouting");
            t.nat2.ok("nft", "add", "rule", "ip", "nat", "postrouting", "oifname", "wan0", "meta", "l4proto", "udp", "masquerade",
                    "to", ":" + ports);
            t.nat2.ok("nft", "add", "rule", "ip", "nat", "postrouting", "oifname", "wan0", "masquerade");
            long start = System.nanoTime();
            t.nat2.exec("conntrack", "-F");
            NatTopology.WgDumpPeer before = t.a.dump().get(t.b.publicKey);
            long rxBefore = before == null ? 0 : before.rx();
            String prefix = NatTopology.NAT2_WAN + ":" + (range / 100);
            boolean ok = Converge.await(120_000, () -> {
                NatTopology.WgDumpPeer atPub = t.pub.dump().get(t.b.publicKey);
                NatTopology.WgDumpPeer atA = t.a.dump().get(t.b.publicKey);
                return atPub != null && atPub.endpoint() != null && atPub.endpoint().startsWith(prefix)
                        && atA != null && atA.endpoint() != null && atA.endpoint().startsWith(prefix)
                        && atA.rx() > rxBefore && atA.handshakeWithin(180);
            });
            return ok ? Math.round((System.nanoTime() - start) / 1e7) / 100.0 : Double.NaN;
        } finally {
            if (ping != null) Netns.stop(ping, 500);
            if (Boolean.getBoolean("bench.verbose")) System.out.println(Converge.table(t.hosts()));
            Files.deleteIfExists(pingLog);
        }
    }
}
