package dev.automesh.testbed;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The issue-4 test bed, in namespaces it creates and removes: an "internet" bridge (198.51.100.0/24)
 * with a public host and two NAT routers on it; hosts a and a2 on NAT 1's LAN (192.168.1.0/24), host b
 * on NAT 2's LAN (192.168.2.0/24). NATs masquerade and drop unsolicited WAN input, as home routers do
 * (otherwise hole punching is not what is being tested). Every host runs wireguard-go as wg0 with a
 * fresh key, listen port 51820 (a2: 51821) and mesh address 10.99.0.N/24.
 */
public final class NatTopology implements AutoCloseable {
    public static final String PUBLIC_IP = "198.51.100.10";
    public static final String NAT1_WAN = "198.51.100.1";
    public static final String NAT2_WAN = "198.51.100.2";
    /** The second public host's address, when the topology has one. */
    public static final String PUBLIC2_IP = "198.51.100.11";
    /** NAT 3's WAN address, when the topology has one (host c behind it). */
    public static final String NAT3_WAN = "198.51.100.3";
    public static final int WG_PORT = 51820;
    /**
     * a2's port. Two hosts on one port behind one masquerade clash for the tuple towards a third: the
     * second gets a random source port per destination, looks symmetric and is rightly relayed. The bed
     * tests punching, so its two NAT-1 hosts keep their ports apart (a test may restart a2 on WG_PORT).
     */
    public static final int A2_PORT = WG_PORT + 1;

    /** One host with its WireGuard interface. */
    public static final class Host {
        public final String role;
        public final Netns ns;
        public final String lanIp;
        public final String meshIp;
        public String privateKey;
        public String publicKey;
        public int listenPort = WG_PORT;
        WireguardGo wg;

        Host(String role, Netns ns, String lanIp, String meshIp) {
            this.role = role;
            this.ns = ns;
            this.lanIp = lanIp;
            this.meshIp = meshIp;
        }

        /** A host in a namespace the caller made (and closes), with fresh keys and wireguard-go up. */
        public static Host start(String role, Netns ns, String lanIp, String meshIp) {
            Host h = new Host(role, ns, lanIp, meshIp);
            h.privateKey = Sh.ok("wg", "genkey").out().strip();
            h.publicKey = pubkeyOf(h.privateKey);
            h.startWireGuard(WG_PORT);
            return h;
        }

        public WireguardGo wg() {
            return wg;
        }

        /** Runs `wg ARGS` against this host's wg0 (its private /run/wireguard). */
        public Sh.Result wgCmd(String... args) {
            List<String> cmd = new ArrayList<>(List.of("ip", "netns", "exec", ns.name(), "unshare", "--mount", "--",
                    "sh", "-c", "mount --bind \"$0\" /run/wireguard && exec wg \"$@\"", ns.wireguardRunDir().toString()));
            cmd.addAll(List.of(args));
            return Sh.run(cmd);
        }

        /** (Re)starts wireguard-go as a fresh wg0: key, listen port, mesh address, up. No peers. */
        public void startWireGuard(int port) {
            if (wg != null) wg.close();
            waitGone(wg == null ? null : wg.socket());
            wg = WireguardGo.start(ns, "wg0");
            listenPort = port;
            Path keyFile = ns.dir().resolve("wg0.key");
            try {
                Files.writeString(keyFile, privateKey + "\n");
            } catch (java.io.IOException e) {
                throw new IllegalStateException(e);
            }
            wgCmd("set", "wg0", "private-key", keyFile.toString(), "listen-port", Integer.toString(port)).orThrow();
            ns.ok("ip", "addr", "add", meshIp + "/24", "dev", "wg0");
            ns.ok("ip", "link", "set", "wg0", "up");
        }

        private static void waitGone(Path socket) {
            if (socket == null) return;
            for (int i = 0; i < 100 && Files.exists(socket); i++) {
                try { Thread.sleep(20); } catch (InterruptedException e) { Thread.currentThread().interrupt(); return; }
            }
        }

        /** `wg show wg0 dump` peer lines as pubkey → fields (endpoint, latest handshake...). */
        public Map<String, WgDumpPeer> dump() {
            Sh.Result r = wgCmd("show", "wg0", "dump");
            Map<String, WgDumpPeer> peers = new LinkedHashMap<>();
            if (r.exit() != 0) return peers;
            String[] lines = r.out().split("\n");
            for (int i = 1; i < lines.length; i++) {
                String[] f = lines[i].split("\t");
                if (f.length < 8) continue;
                peers.put(f[0], new WgDumpPeer(f[0], f[2].equals("(none)") ? null : f[2], Long.parseLong(f[4]),
                        f[3], Long.parseLong(f[5]), Long.parseLong(f[6]), f[7]));
            }
            return peers;
        }

        @Override
        public String toString() {
            return role;
        }
    }

    /** One peer line of `wg show dump`. */
    public record WgDumpPeer(String publicKey, String endpoint, long latestHandshake, String allowedIps,
                             long rx, long tx, String keepalive) {
        public boolean handshakeWithin(long seconds) {
            return latestHandshake > 0 && System.currentTimeMillis() / 1000 - latestHandshake <= seconds;
        }
    }

    private final List<Netns> namespaces = new ArrayList<>();
    public final Netns inet;
    public final Netns nat1;
    public final Netns nat2;
    public final Host pub;
    public final Host a;
    public final Host a2;
    public final Host b;
    /** A second public host (mesh address 10.99.0.5), or null: see {@link #createWithSecondPublic}. */
    public final Host pub2;
    /** A third NAT router and the host c (192.168.3.10, mesh 10.99.0.6) behind it, or null. */
    public final Netns nat3;
    public final Host c;

    private NatTopology(String base, Nat nat1Kind, Nat nat2Kind) {
        this(base, nat1Kind, nat2Kind, false, null);
    }

    private NatTopology(String base, Nat nat1Kind, Nat nat2Kind, boolean secondPublic, Nat nat3Kind) {
        boolean ok = false;
        try {
            inet = add(Netns.create(base + "i"));
            nat1 = add(Netns.create(base + "n1"));
            nat2 = add(Netns.create(base + "n2"));
            pub = new Host("pub", add(Netns.create(base + "p")), PUBLIC_IP, "10.99.0.1");
            a = new Host("a", add(Netns.create(base + "a")), "192.168.1.10", "10.99.0.2");
            a2 = new Host("a2", add(Netns.create(base + "a2")), "192.168.1.11", "10.99.0.3");
            b = new Host("b", add(Netns.create(base + "b")), "192.168.2.10", "10.99.0.4");
            pub2 = secondPublic ? new Host("pub2", add(Netns.create(base + "q")), PUBLIC2_IP, "10.99.0.5") : null;
            nat3 = nat3Kind != null ? add(Netns.create(base + "n3")) : null;
            c = nat3Kind != null ? new Host("c", add(Netns.create(base + "c")), "192.168.3.10", "10.99.0.6") : null;
            wire(nat1Kind, nat2Kind);
            if (nat3 != null) {
                uplink(nat3, "wan0", inet, "vnat3", "br0", NAT3_WAN + "/24");
                lan(nat3, "192.168.3.1", List.of(c));
                nat3.ok("sysctl", "-q", "-w", "net.ipv4.ip_forward=1");
                natRules(nat3, nat3Kind);
            }
            ok = true;
        } finally {
            if (!ok) close();
        }
    }

    /** How a NAT router maps outgoing flows. */
    public enum Nat {
        /** Port-preserving masquerade, unsolicited WAN input dropped: a home router where punching works. */
        HOME("masquerade"),
        /** {@code masquerade fully-random}: a new source port per destination, so punching cannot work. */
        SYMMETRIC("masquerade fully-random"),
        /**
         * Port-preserving masquerade that accepts unsolicited WAN input: the stale-conntrack clash
         * (a far side's first probe leaves an unreplied entry that makes the NAT remap our own flow).
         */
        PERMISSIVE("masquerade", true);

        final String rule;
        final boolean acceptsWanInput;

        Nat(String rule) {
            this(rule, false);
        }

        Nat(String rule, boolean acceptsWanInput) {
            this.rule = rule;
            this.acceptsWanInput = acceptsWanInput;
        }
    }

    /** Builds the topology and starts wireguard-go (fresh keys) on every host. */
    public static NatTopology create() {
        return create(Nat.HOME, Nat.HOME);
    }

    /** As {@link #create()}, with the given mapping behaviour of NAT 1 and NAT 2. */
    public static NatTopology create(Nat nat1Kind, Nat nat2Kind) {
        return started(new NatTopology(Netns.uniqueName("amn"), nat1Kind, nat2Kind));
    }

    /** As {@link #create(Nat, Nat)}, with a second public host {@link #pub2} on the internet bridge. */
    public static NatTopology createWithSecondPublic(Nat nat1Kind, Nat nat2Kind) {
        return started(new NatTopology(Netns.uniqueName("amn"), nat1Kind, nat2Kind, true, null));
    }

    /** As {@link #create(Nat, Nat)}, plus a third NAT router of {@code nat3Kind} with host {@link #c} behind it. */
    public static NatTopology createWithThirdNat(Nat nat1Kind, Nat nat2Kind, Nat nat3Kind) {
        return started(new NatTopology(Netns.uniqueName("amn"), nat1Kind, nat2Kind, false, nat3Kind));
    }

    private static NatTopology started(NatTopology t) {
        try {
            for (Host h : t.hosts()) {
                h.privateKey = Sh.ok("wg", "genkey").out().strip();
                h.publicKey = pubkeyOf(h.privateKey);
                h.startWireGuard(h == t.a2 ? A2_PORT : WG_PORT);
            }
            return t;
        } catch (RuntimeException e) {
            t.close();
            throw e;
        }
    }

    /**
     * Replaces a router's NAT rules while the bed runs (NAT 2 back to plain masquerade, say) and
     * flushes its conntrack table, so existing flows are mapped anew.
     */
    public void setNat(Netns router, Nat kind) {
        router.ok("nft", "flush", "ruleset");
        natRules(router, kind);
        router.exec("conntrack", "-F");
    }

    /**
     * Moves a host onto another router's LAN, as a laptop joining another network: its eth0 (and with
     * it the old router's side of the veth) goes, a new eth0 on {@code router}'s LAN bridge gets
     * {@code ip}/24 and a default route via {@code gw}. Closing the topology removes the new veth.
     */
    public void moveToLan(Host h, Netns router, String ip, String gw) {
        h.ns.ok("ip", "link", "del", "eth0");
        uplink(h.ns, "eth0", router, "vm" + h.role, "lan0", ip + "/24");
        h.ns.ok("ip", "route", "add", "default", "via", gw);
    }

    /**
     * Where {@code nat} (WAN address {@code wan}) maps WireGuard's flow from {@code lanIp}:{@value #WG_PORT}
     * towards {@code dst}, from its conntrack table: "wan:port", or null while it has none.
     */
    public static String mapping(Netns nat, String wan, String lanIp, String dst) {
        String out = nat.exec("conntrack", "-L", "-p", "udp", "-s", lanIp, "-d", dst, "--sport", "" + WG_PORT).out();
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("src=" + java.util.regex.Pattern.quote(dst) + " dst="
                + java.util.regex.Pattern.quote(wan) + " sport=\\d+ dport=(\\d+)").matcher(out);
        return m.find() ? wan + ":" + m.group(1) : null;
    }

    /** {@code net.ipv4.ip_forward} in the host's namespace: "0" unless something turned routing on. */
    public static String ipForward(Host h) {
        return h.ns.exec("sysctl", "-n", "net.ipv4.ip_forward").out().strip();
    }

    static String pubkeyOf(String privateKey) {
        try {
            Process p = new ProcessBuilder("wg", "pubkey").start();
            p.getOutputStream().write((privateKey + "\n").getBytes());
            p.getOutputStream().close();
            String out = new String(p.getInputStream().readAllBytes()).strip();
            if (p.waitFor() != 0 || out.length() != 44) throw new IllegalStateException("wg pubkey failed");
            return out;
        } catch (java.io.IOException | InterruptedException e) {
            throw new IllegalStateException("wg pubkey: " + e.getMessage(), e);
        }
    }

    public List<Host> hosts() {
        List<Host> all = new ArrayList<>(List.of(pub, a, a2, b));
        if (pub2 != null) all.add(pub2);
        if (c != null) all.add(c);
        return List.copyOf(all);
    }

    private Netns add(Netns ns) {
        namespaces.add(ns);
        return ns;
    }

    private void wire(Nat nat1Kind, Nat nat2Kind) {
        inet.ok("ip", "link", "add", "br0", "type", "bridge");
        inet.ok("ip", "link", "set", "br0", "up");
        bridgeSysctls(inet);
        // Internet side: pub and the two NAT WANs on br0.
        uplink(pub.ns, "eth0", inet, "vpub", "br0", PUBLIC_IP + "/24");
        uplink(nat1, "wan0", inet, "vnat1", "br0", NAT1_WAN + "/24");
        uplink(nat2, "wan0", inet, "vnat2", "br0", NAT2_WAN + "/24");
        if (pub2 != null) uplink(pub2.ns, "eth0", inet, "vpub2", "br0", PUBLIC2_IP + "/24");
        // LANs: a bridge in each NAT router with its hosts.
        lan(nat1, "192.168.1.1", List.of(a, a2));
        lan(nat2, "192.168.2.1", List.of(b));
        nat1.ok("sysctl", "-q", "-w", "net.ipv4.ip_forward=1");
        natRules(nat1, nat1Kind);
        nat2.ok("sysctl", "-q", "-w", "net.ipv4.ip_forward=1");
        natRules(nat2, nat2Kind);
    }

    /**
     * Masquerade on the WAN, and drop WAN input that is not a reply: a home router. {@link Nat#HOME} is
     * port-preserving (endpoint-independent, punching can work), {@link Nat#SYMMETRIC} is not.
     */
    private static void natRules(Netns router, Nat kind) {
        String rules = """
                table ip nat {
                  chain postrouting { type nat hook postrouting priority srcnat; oifname "wan0" %s; }
                }
                table inet filter {
                  chain input {
                    type filter hook input priority filter; policy accept;
                    iifname "wan0" ct state established,related accept
                    %s
                  }
                  chain forward {
                    type filter hook forward priority filter; policy accept;
                    iifname "wan0" ct state established,related accept
                    %s
                  }
                }
                """.formatted(kind.rule, kind.acceptsWanInput ? "" : "iifname \"wan0\" drop",
                kind.acceptsWanInput ? "" : "iifname \"wan0\" drop");
        Path f = router.dir().resolve("nat.nft");
        try {
            Files.writeString(f, rules);
        } catch (java.io.IOException e) {
            throw new IllegalStateException(e);
        }
        router.ok("nft", "-f", f.toString());
    }

    private static void bridgeSysctls(Netns ns) {
        // br_netfilter is built in: keep bridged frames out of iptables/nft in this namespace.
        ns.exec("sysctl", "-q", "-w", "net.bridge.bridge-nf-call-iptables=0", "net.bridge.bridge-nf-call-ip6tables=0",
                "net.bridge.bridge-nf-call-arptables=0");
    }

    private static void uplink(Netns host, String hostIf, Netns sw, String swIf, String bridge, String cidr) {
        Sh.ok("ip", "link", "add", hostIf, "netns", host.name(), "type", "veth", "peer", "name", swIf, "netns", sw.name());
        sw.ok("ip", "link", "set", swIf, "master", bridge);
        sw.ok("ip", "link", "set", swIf, "up");
        host.ok("ip", "addr", "add", cidr, "dev", hostIf);
        host.ok("ip", "link", "set", hostIf, "up");
    }

    private void lan(Netns router, String gw, List<Host> hosts) {
        router.ok("ip", "link", "add", "lan0", "type", "bridge");
        router.ok("ip", "addr", "add", gw + "/24", "dev", "lan0");
        router.ok("ip", "link", "set", "lan0", "up");
        bridgeSysctls(router);
        int i = 0;
        for (Host h : hosts) {
            uplink(h.ns, "eth0", router, "vh" + (i++), "lan0", h.lanIp + "/24");
            h.ns.ok("ip", "route", "add", "default", "via", gw);
        }
    }

    @Override
    public void close() {
        // Namespaces end their own processes (wireguard-go, agents) before they are deleted.
        for (int i = namespaces.size() - 1; i >= 0; i--) namespaces.get(i).close();
    }
}
