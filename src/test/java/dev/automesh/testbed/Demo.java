package dev.automesh.testbed;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * `make demo`: a real mesh on this machine. Five hosts in network namespaces — a public host, a and a2
 * behind home-router NAT 1, b behind NAT 2, c behind a symmetric NAT 3 (no hole punching possible) —
 * each with wireguard-go and an automesh agent whose config names only the public host's endpoint.
 * Prints the mesh converging, c's pairs relayed via pub, then tears everything down.
 */
public final class Demo {
    public static void main(String[] args) throws Exception {
        long timeoutMs = args.length > 0 ? Long.parseLong(args[0]) * 1000 : 60_000;
        System.out.println("automesh demo: building the test network (namespaces, 3 NAT routers, wireguard-go)...");
        NatTopology t = NatTopology.createWithThirdNat(NatTopology.Nat.HOME, NatTopology.Nat.HOME,
                NatTopology.Nat.SYMMETRIC);
        List<AgentProcess> agents = new ArrayList<>();
        Thread cleanup = new Thread(() -> {
            for (AgentProcess a : agents) a.stop();
            t.close();
        });
        Runtime.getRuntime().addShutdownHook(cleanup);
        System.out.println();
        System.out.println("  internet 198.51.100.0/24: pub " + NatTopology.PUBLIC_IP + ", NAT1 " + NatTopology.NAT1_WAN
                + ", NAT2 " + NatTopology.NAT2_WAN);
        System.out.println("  behind NAT1 (192.168.1.0/24): a " + t.a.lanIp + ", a2 " + t.a2.lanIp);
        System.out.println("  behind NAT2 (192.168.2.0/24): b " + t.b.lanIp);
        System.out.println("  behind NAT3 (192.168.3.0/24, symmetric: a new port per destination): c " + t.c.lanIp);
        System.out.println("  mesh addresses: pub " + t.pub.meshIp + ", a " + t.a.meshIp + ", a2 " + t.a2.meshIp + ", b " + t.b.meshIp
                + ", c " + t.c.meshIp);
        System.out.println("  every config names only pub's endpoint; the rest is learned by gossip and LAN discovery");
        System.out.println();
        Map<NatTopology.Host, String> endpoints = Map.of(t.pub, NatTopology.PUBLIC_IP + ":" + NatTopology.WG_PORT);
        long start = System.currentTimeMillis();
        for (NatTopology.Host h : t.hosts()) {
            agents.add(AgentProcess.start(h, AgentProcess.configFor(h, t.hosts(), endpoints, "")));
        }
        int n = t.hosts().size();
        System.out.println("started " + n + " agents; waiting for a full mesh (every pair with a handshake, both ways)...");
        int pairs = n * (n - 1);
        int lastShown = -1;
        boolean full = false;
        while (System.currentTimeMillis() - start < timeoutMs) {
            int connected = 0;
            for (NatTopology.Host x : t.hosts()) {
                for (NatTopology.Host y : t.hosts()) {
                    if (x != y && Converge.connected(x, y, 30)) connected++;
                }
            }
            if (connected != lastShown) {
                System.out.printf("  %5.1f s: %2d/%d directed links up%n", (System.currentTimeMillis() - start) / 1000.0,
                        connected, pairs);
                lastShown = connected;
            }
            if (connected == pairs) {
                full = true;
                break;
            }
            Thread.sleep(100);
        }
        double secs = (System.currentTimeMillis() - start) / 1000.0;
        System.out.println();
        System.out.println(full ? String.format("full mesh in %.1f s (from starting the agents)", secs)
                : String.format("no full mesh after %.0f s", secs));
        System.out.println("who reaches whom, and at which address:");
        System.out.print(Converge.table(t.hosts()));
        System.out.println();
        System.out.println("  a->b and b->a use the other NAT's WAN address: a direct path punched through both NATs.");
        System.out.println("  a<->a2 use LAN addresses (found by LAN broadcast).");
        System.out.println("  c cannot punch through its symmetric NAT: its peers other than pub see it at 127.0.0.1:P,");
        System.out.println("  their agent's loopback proxy, which carries the c WireGuard datagrams through pub's relay socket.");
        int rc = t.a.ns.exec("ping", "-c", "1", "-W", "2", t.b.meshIp).exit();
        System.out.println("  ping from a to b's mesh address " + t.b.meshIp + ": " + (rc == 0 ? "ok" : "FAILED"));
        int rcC = t.a.ns.exec("ping", "-c", "1", "-W", "2", t.c.meshIp).exit();
        System.out.println("  ping from a to c's mesh address " + t.c.meshIp + " (relayed via pub): " + (rcC == 0 ? "ok" : "FAILED"));
        System.out.println();
        // What an operator sees on host a (the agent needs a second to notice the newest handshakes).
        Thread.sleep(1500);
        System.out.println("`automesh status` on a:");
        Sh.Result st = Sh.run(List.of("java", "-jar", AgentProcess.jar().toString(), "status", "--socket",
                AgentProcess.controlSocket(t.a).toString()), 30);
        st.out().lines().forEach(l -> System.out.println("  " + l));
        if (!st.err().isBlank()) System.out.println("  " + st.err().strip());
        System.out.println("  (exit status " + st.exit() + ": 0 = every peer connected)");
        System.out.println();
        System.out.println("`automesh status` on pub, the relay (whom it relays for, and the bytes):");
        Sh.Result relay = Sh.run(List.of("java", "-jar", AgentProcess.jar().toString(), "status", "--socket",
                AgentProcess.controlSocket(t.pub).toString()), 30);
        relay.out().lines().filter(l -> l.startsWith("relay") || l.startsWith("    relaying for"))
                .forEach(l -> System.out.println("  " + l));
        System.out.println();
        System.out.println("tearing down...");
        Runtime.getRuntime().removeShutdownHook(cleanup);
        cleanup.run();
        System.out.println("done.");
        System.exit(full && rc == 0 && rcC == 0 ? 0 : 1);
    }
}
