package dev.automesh.bench;

import dev.automesh.testbed.AgentProcess;
import dev.automesh.testbed.Converge;
import dev.automesh.testbed.NatTopology;
import java.nio.file.Files;
import java.nio.file.Path;
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
 * Usage: java -cp target/test-classes:target/automesh.jar dev.automesh.bench.ConvergeBench [RUNS [FLAGS,...]]
 * <p>FLAGS, the agents' JVM flags, one row each (default {@code testbed}): {@code testbed}, the test bed's
 * own; {@code unit}, those of packaging/systemd/automesh.service; {@code unit+cds}, the unit's plus
 * -XX:SharedArchiveFile= an archive packaging/cds-archive.sh builds for target/automesh.jar (as
 * `make install` does). The NAT mapping change is measured in the first 3 runs of the {@code testbed} row
 * only, and not with -Dbench.remap=false. Each run also prints the agents' CPU time (user + system, the
 * four summed) at the full mesh.
 */
public final class ConvergeBench {
    public static void main(String[] args) throws Exception {
        int runs = args.length > 0 ? Integer.parseInt(args[0]) : 10;
        List<String> rows = List.of((args.length > 1 ? args[1] : "testbed").split(","));
        List<String> summary = new ArrayList<>();
        List<Double> remap = new ArrayList<>();
        for (String row : rows) {
            List<String> flags = flags(row);
            System.out.println("== " + row + ": java " + String.join(" ", flags) + "   (" + uptime() + ")");
            double[] cold = new double[runs];
            long[] cpu = new long[runs];
            for (int i = 0; i < runs; i++) {
                boolean measureRemap = row.equals("testbed") && i < 3 && !"false".equals(System.getProperty("bench.remap"));
                cold[i] = coldStart(i, flags, measureRemap ? remap : null, cpu);
            }
            double[] sorted = Arrays.stream(cold).sorted().toArray();
            long[] cpuSorted = Arrays.stream(cpu).sorted().toArray();
            String line = String.format("%s: cold start to full mesh: median %.2f s, min %.2f s, max %.2f s over %d runs;"
                            + " CPU of the four agents until then: median %d ms   (%s)",
                    row, median(sorted), sorted[0], sorted[sorted.length - 1], runs, cpuSorted[runs / 2], uptime());
            System.out.println(line);
            summary.add(line);
        }
        summary.forEach(System.out::println);
        if (!remap.isEmpty()) System.out.println("NAT mapping change to reconnection (a and pub see b at its new address): " + remap + " s");
    }

    private static double coldStart(int i, List<String> flags, List<Double> remap, long[] cpu) throws Exception {
        try (NatTopology t = NatTopology.create()) {
            List<AgentProcess> agents = new ArrayList<>();
            try {
                Map<NatTopology.Host, String> eps = Map.of(t.pub, NatTopology.PUBLIC_IP + ":" + NatTopology.WG_PORT);
                long start = System.nanoTime();
                for (NatTopology.Host h : t.hosts()) {
                    agents.add(AgentProcess.start(h, AgentProcess.configFor(h, t.hosts(), eps, ""), flags));
                }
                boolean ok = Converge.await(120_000, () -> Converge.fullMesh(t.hosts(), 30));
                double s = ok ? (System.nanoTime() - start) / 1e9 : Double.NaN;
                cpu[i] = agents.stream().mapToLong(AgentProcess::cpuMillis).sum();
                System.out.printf("run %d: cold start to full mesh %.2f s, agents' CPU %d ms   (%s)%n", i + 1, s, cpu[i], uptime());
                if (ok && remap != null) remap.add(remap(t));
                return s;
            } finally {
                for (AgentProcess a : agents) a.stop();
                if (Boolean.getBoolean("bench.logs")) {
                    for (AgentProcess a : agents) System.out.println("--- " + a.host().role + "\n" + a.log());
                }
            }
        }
    }

    private static List<String> flags(String row) throws Exception {
        switch (row) {
            case "testbed":
                return AgentProcess.TESTBED_FLAGS;
            case "unit":
                return AgentProcess.unitFlags();
            case "unit+cds":
                List<String> f = new ArrayList<>(AgentProcess.unitFlags());
                f.add(f.indexOf("-Xshare:auto") + 1, "-XX:SharedArchiveFile=" + cdsArchive());
                return f;
            default:
                throw new IllegalArgumentException("JVM flags \"" + row + "\": say testbed, unit or unit+cds");
        }
    }

    /** The archive `make install` would build, for target/automesh.jar as it is now. */
    private static Path cdsArchive() throws Exception {
        Path archive = Path.of("target/automesh-bench.jsa").toAbsolutePath();
        Process p = new ProcessBuilder("sh", "packaging/cds-archive.sh", "java", AgentProcess.jar().toString(), archive.toString())
                .inheritIO().start();
        p.waitFor();
        if (!Files.exists(archive)) throw new IllegalStateException("packaging/cds-archive.sh built no archive (see above)");
        return archive;
    }

    private static String uptime() {
        try {
            String[] la = Files.readString(Path.of("/proc/loadavg")).split(" ");
            return "load average " + la[0] + ", " + la[1] + ", " + la[2];
        } catch (java.io.IOException e) {
            return "load unknown";
        }
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
