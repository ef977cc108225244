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
import java.util.function.BooleanSupplier;

/**
 * Time to recover from a path change in the NAT test bed (root), idle and active. One full mesh of
 * agents (the packaged jar); then RUNS times per case (the mesh rests 40 s before each run, so an idle
 * link is in its keepalive rhythm; "active": a pings the far side 5 times a second throughout, from 5 s
 * before the change):
 * <ul>
 * <li>{@code remap}: NAT 2 re-maps b to another port range and flushes its conntrack table (a router
 *   reboot, a CGNAT re-map); recovered = pub's and a's WireGuard send to b's new port and a has
 *   received from b since (WireGuard roams a live session without a new handshake, so a handshake is
 *   not waited for);
 * <li>{@code nats}: NAT 1 and NAT 2 re-map at once; recovered = a and b send to each other's new
 *   ports, pub to both, and a has received from b since;
 * <li>{@code lan}: b's LAN address changes (old one removed, NAT 2 keeps its conntrack table);
 *   recovered = pub and a send to NAT 2's mapping of b's new address and a has received from b since;
 * <li>{@code move}: b moves from behind NAT 2 onto NAT 1's LAN; recovered = a and a2 send to b's
 *   address on that LAN and a has received from b since (b is put back behind NAT 2 after each run);
 * <li>{@code restart}: the public host restarts (agent stopped, a fresh wireguard-go with the same key
 *   and port, agent started; the clock runs from the agent's launch, JVM start included); recovered =
 *   a, a2 and b have handshaked with pub since.
 * </ul>
 *
 * <p>Usage: java -cp target/test-classes:target/automesh.jar dev.automesh.bench.FailoverBench [RUNS] [CASES]
 * where CASES is a comma-separated list of {@code <case>-idle} / {@code <case>-active}; {@code idle},
 * {@code active} and {@code both} (the default) mean the NAT 2 re-map as before.
 */
public final class FailoverBench {
    private static int range = 40000;
    private static int range1 = 50000;
    private static int bLan = 19;

    public static void main(String[] args) throws Exception {
        int runs = args.length > 0 ? Integer.parseInt(args[0]) : 5;
        String which = args.length > 1 ? args[1] : "both";
        List<String> cases = switch (which) {
            case "both" -> List.of("remap-active", "remap-idle");
            case "idle", "active" -> List.of("remap-" + which);
            default -> List.of(which.split(","));
        };
        try (NatTopology t = NatTopology.create()) {
            List<AgentProcess> agents = new ArrayList<>();
            try {
                Map<NatTopology.Host, String> eps = Map.of(t.pub, NatTopology.PUBLIC_IP + ":" + NatTopology.WG_PORT);
                for (NatTopology.Host h : t.hosts()) agents.add(AgentProcess.start(h, AgentProcess.configFor(h, t.hosts(), eps, "")));
                if (!Converge.await(120_000, () -> Converge.fullMesh(t.hosts(), 30))) throw new IllegalStateException("no full mesh");
                for (String c : cases) {
                    String kind = c.substring(0, c.lastIndexOf('-'));
                    boolean active = c.endsWith("-active");
                    double[] s = new double[runs];
                    for (int i = 0; i < runs; i++) {
                        s[i] = run(t, agents, kind, active);
                        System.out.printf("%s run %d: %.2f s%n", c, i + 1, s[i]);
                    }
                    double[] sorted = Arrays.stream(s).sorted().toArray();
                    System.out.printf("%s: median %.2f s, min %.2f s, max %.2f s (runs: %s)%n", c,
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

    /** A change made: when the clock started, what recovery is, and what puts the bed back afterwards (untimed). */
    private record Started(long nanos, BooleanSupplier recovered, Runnable restore) {
        Started(long nanos, BooleanSupplier recovered) {
            this(nanos, recovered, () -> {});
        }
    }

    private static double run(NatTopology t, List<AgentProcess> agents, String kind, boolean active) throws Exception {
        Thread.sleep(40_000); // settle into the idle rhythm (or the traffic's)
        NatTopology.Host far = kind.equals("restart") ? t.pub : t.b;
        Process ping = null;
        Path pingLog = Files.createTempFile("failover-ping", ".log");
        if (active) {
            ping = t.a.ns.spawn(List.of("ping", "-i", "0.2", "-W", "1", far.meshIp), pingLog);
            Thread.sleep(5_000);
        }
        try {
            Started s = switch (kind) {
                case "remap" -> remapNat2(t);
                case "nats" -> remapBoth(t);
                case "lan" -> newLanAddress(t);
                case "restart" -> restartPub(t, agents.stream().filter(a -> a.host() == t.pub).findFirst().orElseThrow());
                case "move" -> moveOntoNat1(t);
                default -> throw new IllegalArgumentException("unknown case " + kind + ": remap, nats, lan, move or restart");
            };
            boolean ok = Converge.await(60_000, s.recovered());
            double took = ok ? Math.round((System.nanoTime() - s.nanos()) / 1e7) / 100.0 : Double.NaN;
            s.restore().run();
            return took;
        } finally {
            if (ping != null) Netns.stop(ping, 500);
            if (Boolean.getBoolean("bench.verbose")) System.out.println(Converge.table(t.hosts()));
            Files.deleteIfExists(pingLog);
        }
    }

    /** The NAT maps UDP to {@code from}..{@code from+99} from now on; returns when its conntrack table was flushed. */
    private static long remap(Netns nat, int from) {
        nat.ok("nft", "flush", "chain", "ip", "nat", "postrouting");
        nat.ok("nft", "add", "rule", "ip", "nat", "postrouting", "oifname", "wan0", "meta", "l4proto", "udp", "masquerade",
                "to", ":" + from + "-" + (from + 99));
        nat.ok("nft", "add", "rule", "ip", "nat", "postrouting", "oifname", "wan0", "masquerade");
        long start = System.nanoTime();
        nat.exec("conntrack", "-F");
        return start;
    }

    private static Started remapNat2(NatTopology t) {
        range = range >= 49000 ? 40000 : range + 1000;
        long rxBefore = rx(t.a, t.b);
        long start = remap(t.nat2, range);
        String prefix = NatTopology.NAT2_WAN + ":" + (range / 100);
        return new Started(start, () -> sendsTo(t.pub, t.b, prefix) && sendsTo(t.a, t.b, prefix) && rx(t.a, t.b) > rxBefore
                && Converge.connected(t.a, t.b, 180));
    }

    private static Started remapBoth(NatTopology t) {
        range = range >= 49000 ? 40000 : range + 1000;
        range1 = range1 >= 59000 ? 50000 : range1 + 1000;
        long rxBefore = rx(t.a, t.b);
        long start = remap(t.nat1, range1);
        remap(t.nat2, range);
        String toA = NatTopology.NAT1_WAN + ":" + (range1 / 100), toB = NatTopology.NAT2_WAN + ":" + (range / 100);
        return new Started(start, () -> sendsTo(t.a, t.b, toB) && sendsTo(t.b, t.a, toA) && sendsTo(t.pub, t.a, toA)
                && sendsTo(t.pub, t.b, toB) && rx(t.a, t.b) > rxBefore);
    }

    private static Started newLanAddress(NatTopology t) {
        String old = "192.168.2." + (bLan == 19 ? 10 : bLan);
        bLan = bLan >= 60 ? 20 : bLan + 1;
        String fresh = "192.168.2." + bLan;
        long rxBefore = rx(t.a, t.b);
        long start = System.nanoTime();
        t.b.ns.ok("ip", "addr", "del", old + "/24", "dev", "eth0");
        t.b.ns.ok("ip", "addr", "add", fresh + "/24", "dev", "eth0");
        t.b.ns.ok("ip", "route", "replace", "default", "via", "192.168.2.1");
        return new Started(start, () -> {
            String atPub = NatTopology.mapping(t.nat2, NatTopology.NAT2_WAN, fresh, NatTopology.PUBLIC_IP);
            String atA = NatTopology.mapping(t.nat2, NatTopology.NAT2_WAN, fresh, NatTopology.NAT1_WAN);
            return atPub != null && atA != null && atPub.equals(Converge.endpoint(t.pub, t.b))
                    && atA.equals(Converge.endpoint(t.a, t.b)) && rx(t.a, t.b) > rxBefore;
        });
    }

    /**
     * b moves from behind NAT 2 onto NAT 1's LAN (a laptop taken to the other site); recovered = a and
     * a2 send to b's address on their LAN and a has received from b since. Afterwards b goes back
     * behind NAT 2 and the full mesh is awaited, untimed.
     */
    private static Started moveOntoNat1(NatTopology t) {
        String there = "192.168.1.12", lan = there + ":" + NatTopology.WG_PORT;
        long rxBefore = rx(t.a, t.b);
        long start = System.nanoTime();
        t.moveToLan(t.b, t.nat1, there, "192.168.1.1");
        return new Started(start, () -> lan.equals(Converge.endpoint(t.a, t.b)) && lan.equals(Converge.endpoint(t.a2, t.b))
                && rx(t.a, t.b) > rxBefore, () -> {
            long aRx = rx(t.a, t.b), a2Rx = rx(t.a2, t.b);
            t.moveToLan(t.b, t.nat2, t.b.lanIp, "192.168.2.1");
            String home = NatTopology.NAT2_WAN + ":";
            if (!Converge.await(120_000, () -> sendsTo(t.pub, t.b, home) && sendsTo(t.a, t.b, home) && sendsTo(t.a2, t.b, home)
                    && rx(t.a, t.b) > aRx && rx(t.a2, t.b) > a2Rx)) {
                throw new IllegalStateException("b did not come back behind NAT 2:\n" + Converge.table(t.hosts()));
            }
        });
    }

    private static Started restartPub(NatTopology t, AgentProcess pub) {
        pub.stop();
        t.pub.startWireGuard(NatTopology.WG_PORT);
        long since = Converge.nowSeconds();
        long start = System.nanoTime();
        pub.start();
        return new Started(start, () -> Converge.connectedSince(t.a, t.pub, since) && Converge.connectedSince(t.a2, t.pub, since)
                && Converge.connectedSince(t.b, t.pub, since));
    }

    private static boolean sendsTo(NatTopology.Host from, NatTopology.Host to, String prefix) {
        String ep = Converge.endpoint(from, to);
        return ep != null && ep.startsWith(prefix);
    }

    private static long rx(NatTopology.Host from, NatTopology.Host to) {
        NatTopology.WgDumpPeer p = from.dump().get(to.publicKey);
        return p == null ? 0 : p.rx();
    }
}
