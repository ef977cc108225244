package dev.automesh.upnp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.automesh.testbed.Miniupnpd;
import dev.automesh.testbed.Netns;
import dev.automesh.testbed.Sh;
import dev.automesh.testbed.WireguardGo;
import dev.automesh.testsupport.Facility;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.bouncycastle.math.ec.rfc7748.X25519;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The forwarder against Debian's miniupnpd (nftables backend) in namespaces:
 *
 * <pre>
 *   b 203.0.114.2 ──wan0── router 203.0.114.1 (miniupnpd, NAT) ──br0 192.168.1.1/24── a .10, a2 .11
 *   lone 192.168.7.2 ── (a LAN without any IGD)
 * </pre>
 *
 * The forwarder runs in its own JVM inside a's namespace ({@link UpnpProbeMain}), since its SSDP and
 * HTTP must leave from a's interfaces.
 */
@Tag("real")
class UpnpForwarderRealTest {
    /** How miniupnpd's nft rule matches the pinhole's destination 2001:db8:1::10 (raw IPv6 header bytes). */
    private static final String PINHOLE_RULE = "@nh,192,128 0x20010db8000100000000000000000010";
    private static final String ROOT_DESC = "http://192.168.1.1:5000/rootDesc.xml";
    private static final List<AutoCloseable> cleanup = new ArrayList<>();
    private static Netns router, a, a2, b, lone;
    private static Process miniupnpd;
    private static int probeCount;

    @BeforeAll
    static void bed() {
        Facility.requireRoot();
        Facility.requireCommands("ip", "nft", "miniupnpd", "upnpc", "wireguard-go", "java");
        try {
            router = ns("r");
            a = ns("a");
            a2 = ns("a2");
            b = ns("b");
            lone = ns("l");
            Sh.ok("ip", "link", "add", "wan0", "netns", router.name(), "type", "veth", "peer", "name", "eth0", "netns", b.name());
            router.ok("ip", "link", "add", "br0", "type", "bridge");
            for (Netns h : List.of(a, a2)) {
                String port = "lan" + h.name().substring(h.name().length() - 6);
                Sh.ok("ip", "link", "add", port, "netns", router.name(), "type", "veth", "peer", "name", "eth0", "netns", h.name());
                router.ok("ip", "link", "set", port, "master", "br0", "up");
            }
            router.ok("ip", "addr", "add", "203.0.114.1/24", "dev", "wan0");
            router.ok("ip", "addr", "add", "192.168.1.1/24", "dev", "br0");
            router.ok("ip", "link", "set", "wan0", "up");
            router.ok("ip", "link", "set", "br0", "up");
            router.ok("sysctl", "-q", "-w", "net.ipv4.ip_forward=1", "net.bridge.bridge-nf-call-iptables=0",
                    "net.bridge.bridge-nf-call-ip6tables=0", "net.bridge.bridge-nf-call-arptables=0");
            b.ok("ip", "addr", "add", "203.0.114.2/24", "dev", "eth0");
            b.ok("ip", "link", "set", "eth0", "up");
            int host = 10;
            for (Netns h : List.of(a, a2)) {
                h.ok("ip", "addr", "add", "192.168.1." + host++ + "/24", "dev", "eth0");
                h.ok("ip", "link", "set", "eth0", "up");
                h.ok("ip", "route", "add", "default", "via", "192.168.1.1");
            }
            // IPv6 (for the pinhole) on the router, a and b only; Netns.create switched it off.
            router.ok("sysctl", "-q", "-w", "net.ipv6.conf.all.disable_ipv6=0", "net.ipv6.conf.default.disable_ipv6=0",
                    "net.ipv6.conf.all.forwarding=1");
            router.ok("ip", "addr", "add", "2001:db8:1::1/64", "dev", "br0", "nodad");
            router.ok("ip", "addr", "add", "2001:db8:ff::1/64", "dev", "wan0", "nodad");
            a.ok("sysctl", "-q", "-w", "net.ipv6.conf.all.disable_ipv6=0", "net.ipv6.conf.default.disable_ipv6=0");
            a.ok("ip", "addr", "add", "2001:db8:1::10/64", "dev", "eth0", "nodad");
            a.ok("ip", "-6", "route", "add", "default", "via", "2001:db8:1::1");
            b.ok("sysctl", "-q", "-w", "net.ipv6.conf.all.disable_ipv6=0", "net.ipv6.conf.default.disable_ipv6=0");
            b.ok("ip", "addr", "add", "2001:db8:ff::2/64", "dev", "eth0", "nodad");
            b.ok("ip", "-6", "route", "add", "2001:db8:1::/64", "via", "2001:db8:ff::1");
            // A LAN with no IGD at all: a veth pair inside one namespace, nothing answers SSDP.
            lone.ok("ip", "link", "add", "eth0", "type", "veth", "peer", "name", "eth1");
            lone.ok("ip", "addr", "add", "192.168.7.2/24", "dev", "eth0");
            lone.ok("ip", "link", "set", "eth0", "up");
            lone.ok("ip", "link", "set", "eth1", "up");

            // The router NATs the LAN and drops unsolicited WAN traffic unless miniupnpd's chains accept it.
            miniupnpd = Miniupnpd.start(router, "br0", "192.168.1.0/24", "3d3cec3a-8cf0-11e0-98ee-001a6bd2d07b", true);
        } catch (RuntimeException e) {
            tearDown();
            throw new IllegalStateException("test bed setup failed: " + e.getMessage(), e);
        }
    }

    @AfterAll
    static void tearDown() {
        dev.automesh.testsupport.Cleanup.closeAll(cleanup);
    }

    @Test
    void mapsRenewsAnnouncesAndDeletesOnSigterm() throws Exception {
        byte[] aPriv = privateKey(), bPriv = privateKey();
        WireguardGo wa = wg(a), wb = wg(b);
        uapi(wa.socket(), "set=1\nprivate_key=" + hex(aPriv) + "\nlisten_port=51820\npublic_key=" + hex(pub(bPriv))
                + "\nallowed_ip=10.99.0.2/32\n\n");
        a.ok("ip", "link", "set", "wg0", "up");
        b.ok("ip", "link", "set", "wg0", "up");

        long t0 = System.nanoTime();
        Probe p = probe(a, "external=40000", "listen=51820", "ipv6=true", "lease_s=3", "renew_ms=1000");
        String endpoint = p.await(l -> l.startsWith("ENDPOINT ") && !l.equals("ENDPOINT none"), 15_000).substring(9);
        System.out.printf("upnp: mapped and external endpoint reported after %d ms (incl. JVM start)%n", (System.nanoTime() - t0) / 1_000_000);
        assertEquals("203.0.114.1:40000", endpoint, "external endpoint = router WAN address : external port");

        int lease0 = lease(40000).orElseThrow(() -> new AssertionError("no mapping for UDP 40000 at the router:\n" + listing()));
        assertTrue(lease0 >= 1 && lease0 <= 3, "finite lease of at most 3 s, router shows " + lease0);
        assertTrue(listing().contains("UDP 40000->192.168.1.10:51820 'automesh'"), listing());

        // b has never talked to a: it only gets the endpoint the forwarder reported.
        long h0 = System.nanoTime();
        uapi(wb.socket(), "set=1\nprivate_key=" + hex(bPriv) + "\npublic_key=" + hex(pub(aPriv)) + "\nendpoint=" + endpoint
                + "\npersistent_keepalive_interval=1\nallowed_ip=10.99.0.1/32\n\n");
        waitUntil(() -> handshakeSec(wb.socket()) != 0, 10_000, () -> "no handshake from b to a via " + endpoint);
        System.out.printf("upnp: b->a handshake through the mapped port after %d ms%n", (System.nanoTime() - h0) / 1_000_000);
        String aSees = field(uapi(wa.socket(), "get=1\n\n"), "endpoint");
        assertTrue(aSees.startsWith("203.0.114.2:"), "a learned b's WAN address, got " + aSees);

        // Renewal: the mapping was made with a 3 s lease; watched for well past that (from first sight),
        // it must never lapse. (Whether the remaining lease visibly rises depends on when renewals fall
        // relative to the router's whole seconds, so that is not asserted.)
        long seenAt = System.nanoTime();
        long until = seenAt + 4_500_000_000L;
        while (System.nanoTime() < until) {
            Optional<Integer> l = lease(40000);
            assertTrue(l.isPresent(), "mapping lapsed instead of being renewed:\n" + listing() + "\n" + p.log());
            assertTrue(l.get() >= 1 && l.get() <= 3, "lease stays finite (<= 3 s), router shows " + l.get());
            Thread.sleep(300);
        }
        long mappedFor = (System.nanoTime() - seenAt) / 1_000_000;
        assertTrue(mappedFor > (lease0 + 1) * 1000L, "watched for " + mappedFor + " ms only");
        // IPv6: the pinhole lets b's packets in to a's global address (the router's forward policy is drop).
        assertEquals(1, p.log().lines().filter(l -> l.contains("UPnP: IPv6 pinhole open for UDP [2001:db8:1::10]:51820")).count(),
                "pinhole opened and said once:\n" + p.log());
        assertTrue(router.ok("nft", "list", "chain", "inet", "filter", "miniupnpd").out().contains(PINHOLE_RULE), () -> "pinhole rule at the router:\n" + router.ok("nft", "list", "ruleset").out());
        uapi(wb.socket(), "set=1\npublic_key=" + hex(pub(aPriv)) + "\nendpoint=[2001:db8:1::10]:51820\n\n");
        waitUntil(() -> field(uapi(wa.socket(), "get=1\n\n"), "endpoint").startsWith("[2001:db8:ff::2]:"), 5_000,
                () -> "b's packets to [2001:db8:1::10]:51820 never reached a through the pinhole");

        Netns.stop(p.process, 10_000);
        assertTrue(p.log().contains("CLOSED"), p.log());
        assertEquals(Optional.empty(), lease(40000), "mapping deleted on SIGTERM:\n" + listing());
        assertFalse(router.ok("nft", "list", "chain", "inet", "filter", "miniupnpd").out().contains(PINHOLE_RULE), "pinhole deleted on SIGTERM");
    }

    @Test
    void portTakenByAnotherHostIsAClearError() throws Exception {
        a2.ok("upnpc", "-u", ROOT_DESC, "-e", "other", "-a", "192.168.1.11", "51820", "40001", "UDP", "60");
        Probe p = probe(a, "external=40001", "listen=51820", "retry_min_ms=200", "retry_max_ms=400");
        p.await(l -> l.contains("failures=3"), 15_000);
        String status = p.await(l -> l.startsWith("STATUS failed"), 1);
        assertTrue(status.contains("UPnP error 718") && status.contains("ConflictInMappingEntry"), status);
        assertEquals(1, p.count("UPnP error 718"), "logged once, not per try:\n" + p.log());
        assertFalse(p.log().contains("ENDPOINT 203"), "no endpoint announced for a refused mapping");
        assertTrue(listing().contains("40001->192.168.1.11:51820 'other'"), "the other host keeps its mapping");
        Netns.stop(p.process, 10_000);
    }

    @Test
    void routerRulesRefusingThePortAreAClearError() throws Exception {
        // The router only allows internal ports 1024-65535 (miniupnpd allow/deny rules).
        Probe p = probe(a, "external=40002", "listen=800", "retry_min_ms=200", "retry_max_ms=400");
        p.await(l -> l.contains("failures=2"), 15_000);
        String status = p.await(l -> l.startsWith("STATUS failed"), 1);
        assertTrue(status.contains("AddPortMapping refused by the router: UPnP error 606"), status);
        assertEquals(1, p.count("UPnP error 606"), "logged once, not per try:\n" + p.log());
        assertEquals(Optional.empty(), lease(40002));
        Netns.stop(p.process, 10_000);
    }

    @Test
    void lanWithoutIgdWarnsOnceAndKeepsRunning() throws Exception {
        Probe p = probe(lone, "external=40000", "listen=51820", "discovery_ms=400", "retry_min_ms=100", "retry_max_ms=200");
        p.await(l -> l.contains("no_gateway") && l.contains("failures=3"), 15_000);
        assertEquals(1, p.count("no UPnP Internet Gateway Device answered"), "one warning:\n" + p.log());
        assertTrue(p.process.isAlive(), "forwarder keeps running");
        assertFalse(p.log().contains("ENDPOINT 2"), p.log());
        Netns.stop(p.process, 10_000);
        assertTrue(p.log().contains("CLOSED"), "closes cleanly:\n" + p.log());
    }

    @Test
    void routerWithoutIpv6FirewallControlIsSaidOnce() throws Exception {
        // A second, IPv6-less miniupnpd in front of host c, which does have a global IPv6 address.
        Netns r2 = ns("q"), c = ns("c");
        Sh.ok("ip", "link", "add", "lan0", "netns", r2.name(), "type", "veth", "peer", "name", "eth0", "netns", c.name());
        r2.ok("ip", "link", "add", "wan0", "type", "veth", "peer", "name", "wanpeer");
        r2.ok("ip", "addr", "add", "203.0.114.1/24", "dev", "wan0");
        r2.ok("ip", "addr", "add", "192.168.2.1/24", "dev", "lan0");
        for (String l : List.of("wan0", "wanpeer", "lan0")) r2.ok("ip", "link", "set", l, "up");
        c.ok("sysctl", "-q", "-w", "net.ipv6.conf.all.disable_ipv6=0", "net.ipv6.conf.default.disable_ipv6=0");
        c.ok("ip", "addr", "add", "192.168.2.10/24", "dev", "eth0");
        c.ok("ip", "addr", "add", "2001:db8:2::10/64", "dev", "eth0", "nodad");
        c.ok("ip", "link", "set", "eth0", "up");
        c.ok("ip", "route", "add", "default", "via", "192.168.2.1");
        Miniupnpd.start(r2, "lan0", "192.168.2.0/24", "3d3cec3a-8cf0-11e0-98ee-001a6bd2d07c", false);

        Probe p = probe(c, "external=40003", "listen=51820", "ipv6=true", "lease_s=3", "renew_ms=500", "discovery_ms=500");
        p.await(l -> l.equals("ENDPOINT 203.0.114.1:40003"), 15_000);
        p.await(l -> l.contains("ipv6=unsupported by router") && l.contains("mapped"), 5_000);
        Thread.sleep(1200); // a few renewals: the IPv6 line must not repeat
        assertEquals(1, p.count("offers no IPv6 firewall control"), "one clear line:\n" + p.log());
        assertTrue(p.log().lines().filter(l -> l.startsWith("STATUS mapped")).count() >= 3, "renewals happened:\n" + p.log());
        Netns.stop(p.process, 10_000);
    }

    // ---- helpers ----

    private record Probe(Process process, Path logFile) {
        String log() {
            return read(logFile);
        }

        /** Warnings logged containing {@code s} (the STATUS lines repeat the reason on purpose). */
        long count(String s) {
            return log().lines().filter(l -> l.contains(" WARN ") && l.contains(s)).count();
        }

        /** The first output line matching, waiting up to {@code ms}. */
        String await(Predicate<String> match, long ms) throws InterruptedException {
            long deadline = System.nanoTime() + ms * 1_000_000;
            while (true) {
                Optional<String> l = log().lines().filter(match).findFirst();
                if (l.isPresent()) return l.get();
                if (System.nanoTime() > deadline || !process.isAlive()) fail("probe output has no expected line:\n" + log());
                Thread.sleep(50);
            }
        }
    }

    private static Probe probe(Netns ns, String... args) {
        String cp = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-XX:TieredStopAtLevel=1", "-Xshare:auto",
                "-Dorg.slf4j.simpleLogger.showDateTime=true", "-Dorg.slf4j.simpleLogger.dateTimeFormat=HH:mm:ss.SSS", "-cp", cp, UpnpProbeMain.class.getName()));
        cmd.addAll(List.of(args));
        Path log = ns.dir().resolve("probe-" + (++probeCount) + ".log");
        return new Probe(ns.spawn(cmd, log), log);
    }

    private static final Pattern ENTRY = Pattern.compile("^\\s*\\d+\\s+UDP\\s+(\\d+)->\\S+\\s+'[^']*'\\s+'[^']*'\\s+(\\d+)\\s*$", Pattern.MULTILINE);

    private static String listing() {
        return a.exec("upnpc", "-u", ROOT_DESC, "-l").out();
    }

    /** Remaining lease of the router's UDP mapping for {@code port}, as a UPnP client sees it. */
    private static Optional<Integer> lease(int port) {
        Matcher m = ENTRY.matcher(listing());
        while (m.find()) {
            if (Integer.parseInt(m.group(1)) == port) return Optional.of(Integer.parseInt(m.group(2)));
        }
        return Optional.empty();
    }

    private static Netns ns(String role) {
        Netns n = Netns.create(Netns.uniqueName("amp" + role));
        cleanup.add(n);
        return n;
    }

    private static WireguardGo wg(Netns ns) {
        WireguardGo w = WireguardGo.start(ns, "wg0");
        cleanup.add(w);
        return w;
    }

    private static final SecureRandom RNG = new SecureRandom();

    private static byte[] privateKey() {
        byte[] k = new byte[32];
        RNG.nextBytes(k);
        k[0] &= (byte) 248;
        k[31] = (byte) ((k[31] & 127) | 64);
        return k;
    }

    private static byte[] pub(byte[] priv) {
        byte[] p = new byte[32];
        X25519.generatePublicKey(priv, 0, p, 0);
        return p;
    }

    private static String hex(byte[] b) {
        return HexFormat.of().formatHex(b);
    }

    private static String uapi(Path socket, String request) {
        try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            ch.connect(UnixDomainSocketAddress.of(socket));
            ch.write(ByteBuffer.wrap(request.getBytes(StandardCharsets.UTF_8)));
            StringBuilder sb = new StringBuilder();
            ByteBuffer buf = ByteBuffer.allocate(4096);
            while (!sb.toString().endsWith("\n\n") && ch.read(buf) >= 0) {
                buf.flip();
                sb.append(StandardCharsets.UTF_8.decode(buf));
                buf.clear();
            }
            assertTrue(sb.toString().contains("errno=0"), "UAPI " + request.lines().findFirst().orElse("") + " failed: " + sb);
            return sb.toString();
        } catch (IOException e) {
            throw new IllegalStateException("UAPI " + socket + ": " + e.getMessage(), e);
        }
    }

    private static String field(String uapiReply, String key) {
        return uapiReply.lines().filter(l -> l.startsWith(key + "=")).map(l -> l.substring(key.length() + 1)).findFirst().orElse("");
    }

    private static long handshakeSec(Path socket) {
        String v = field(uapi(socket, "get=1\n\n"), "last_handshake_time_sec");
        return v.isEmpty() ? 0 : Long.parseLong(v);
    }

    private static String read(Path p) {
        try {
            return Files.exists(p) ? Files.readString(p) : "";
        } catch (IOException e) {
            return "";
        }
    }

    private static boolean contains(Path p, String s) {
        return read(p).contains(s);
    }

    private static void waitUntil(java.util.function.BooleanSupplier cond, long ms, java.util.function.Supplier<String> why) {
        long deadline = System.nanoTime() + ms * 1_000_000;
        while (!cond.getAsBoolean()) {
            if (System.nanoTime() > deadline) throw new AssertionError(why.get());
            try {
                Thread.sleep(25);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted");
            }
        }
    }
}
