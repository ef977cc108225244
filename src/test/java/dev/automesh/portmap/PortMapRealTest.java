package dev.automesh.portmap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
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
import java.util.function.Predicate;
import org.bouncycastle.math.ec.rfc7748.X25519;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/**
 * NAT-PMP and PCP against Debian's miniupnpd (which answers both on UDP 5351 with enable_natpmp=yes):
 *
 * <pre>
 *   b 203.0.114.2 ──wan0── router 203.0.114.1 (miniupnpd: UPnP + NAT-PMP/PCP) ──br0 192.168.1.1/24── a .10
 *     2001:db8:ff::2        2001:db8:ff::1                          fe80::1, 2001:db8:1::1/64   2001:db8:1::10
 *   d 203.0.114.2 ──wan0── router2 203.0.114.1 (miniupnpd: NAT-PMP/PCP only, UPnP off) ──lan0 192.168.2.1/24── c .10
 * </pre>
 *
 * The chooser runs in its own JVM inside the LAN host's namespace ({@link PortMapProbeMain}).
 */
@Tag("real")
class PortMapRealTest {
    private static final List<AutoCloseable> cleanup = new ArrayList<>();
    private static Netns router, a, b, router2, c, d;
    private static int probeCount;

    @BeforeAll
    static void bed() {
        Facility.requireRoot();
        Facility.requireCommands("ip", "nft", "miniupnpd", "wireguard-go", "java");
        try {
            router = ns("r");
            a = ns("a");
            b = ns("b");
            Sh.ok("ip", "link", "add", "wan0", "netns", router.name(), "type", "veth", "peer", "name", "eth0", "netns", b.name());
            Sh.ok("ip", "link", "add", "br0", "netns", router.name(), "type", "veth", "peer", "name", "eth0", "netns", a.name());
            router.ok("ip", "addr", "add", "203.0.114.1/24", "dev", "wan0");
            router.ok("ip", "addr", "add", "192.168.1.1/24", "dev", "br0");
            router.ok("ip", "link", "set", "wan0", "up");
            router.ok("ip", "link", "set", "br0", "up");
            router.ok("sysctl", "-q", "-w", "net.ipv4.ip_forward=1");
            b.ok("ip", "addr", "add", "203.0.114.2/24", "dev", "eth0");
            b.ok("ip", "link", "set", "eth0", "up");
            a.ok("ip", "addr", "add", "192.168.1.10/24", "dev", "eth0");
            a.ok("ip", "link", "set", "eth0", "up");
            a.ok("ip", "route", "add", "default", "via", "192.168.1.1");
            // IPv6 for the PCP pinhole; Netns.create switched it off. a's default route is link-local, as from RAs.
            for (Netns n : List.of(router, a, b)) {
                n.ok("sysctl", "-q", "-w", "net.ipv6.conf.all.disable_ipv6=0", "net.ipv6.conf.default.disable_ipv6=0");
            }
            for (String l : List.of("wan0", "br0")) router.ok("sysctl", "-q", "-w", "net.ipv6.conf." + l + ".disable_ipv6=0");
            for (Netns n : List.of(a, b)) n.ok("sysctl", "-q", "-w", "net.ipv6.conf.eth0.disable_ipv6=0");
            router.ok("sysctl", "-q", "-w", "net.ipv6.conf.all.forwarding=1");
            router.ok("ip", "addr", "add", "2001:db8:ff::1/64", "dev", "wan0", "nodad");
            router.ok("ip", "addr", "add", "2001:db8:1::1/64", "dev", "br0", "nodad");
            router.ok("ip", "addr", "add", "fe80::1/64", "dev", "br0", "nodad");
            a.ok("ip", "addr", "add", "2001:db8:1::10/64", "dev", "eth0", "nodad");
            a.ok("ip", "-6", "route", "add", "default", "via", "fe80::1", "dev", "eth0");
            b.ok("ip", "addr", "add", "2001:db8:ff::2/64", "dev", "eth0", "nodad");
            b.ok("ip", "-6", "route", "add", "2001:db8:1::/64", "via", "2001:db8:ff::1");
            Process p = Miniupnpd.start(router, "br0", "192.168.1.0/24", "3d3cec3a-8cf0-11e0-98ee-001a6bd2d07e", true, true, true);
            cleanup.add(() -> Netns.stop(p, 5000));

            router2 = ns("q");
            c = ns("c");
            d = ns("d");
            Sh.ok("ip", "link", "add", "lan0", "netns", router2.name(), "type", "veth", "peer", "name", "eth0", "netns", c.name());
            Sh.ok("ip", "link", "add", "wan0", "netns", router2.name(), "type", "veth", "peer", "name", "eth0", "netns", d.name());
            router2.ok("ip", "addr", "add", "203.0.114.1/24", "dev", "wan0");
            router2.ok("ip", "addr", "add", "192.168.2.1/24", "dev", "lan0");
            for (String l : List.of("wan0", "lan0")) router2.ok("ip", "link", "set", l, "up");
            router2.ok("sysctl", "-q", "-w", "net.ipv4.ip_forward=1");
            d.ok("ip", "addr", "add", "203.0.114.2/24", "dev", "eth0");
            d.ok("ip", "link", "set", "eth0", "up");
            c.ok("ip", "addr", "add", "192.168.2.10/24", "dev", "eth0");
            c.ok("ip", "link", "set", "eth0", "up");
            c.ok("ip", "route", "add", "default", "via", "192.168.2.1");
            Process p2 = Miniupnpd.start(router2, "lan0", "192.168.2.0/24", "3d3cec3a-8cf0-11e0-98ee-001a6bd2d07f", false, true, false);
            cleanup.add(() -> Netns.stop(p2, 5000));
        } catch (RuntimeException e) {
            tearDown();
            throw new IllegalStateException("test bed setup failed: " + e.getMessage(), e);
        }
    }

    @AfterAll
    static void tearDown() {
        dev.automesh.testsupport.Cleanup.closeAll(cleanup);
    }

    @ParameterizedTest
    @ValueSource(strings = {"natpmp", "pcp"})
    void mapsReachableRenewsAndDeletes(String protocol) throws Exception {
        int port = protocol.equals("pcp") ? 40011 : 40010;
        Probe p = probe(a, "protocols=" + protocol, "external=" + port, "listen=51820", "lease_s=2");
        reachedRenewedAndDeleted(p, protocol, router, a, b, "192.168.1.10", port);
    }

    @Test
    void routerWithoutUpnpFallsBackToNatPmpWhichIsReachableAndRenewed() throws Exception {
        Probe p = probe(c, "protocols=upnp,natpmp", "external=40012", "listen=51820", "lease_s=2", "discovery_ms=500");
        reachedRenewedAndDeleted(p, "natpmp", router2, c, d, "192.168.2.10", 40012);
        assertTrue(p.log().contains("port mapping: upnp did not work, trying natpmp"), p.log());
        assertTrue(p.log().contains("tried upnp: no UPnP Internet Gateway Device answered"), p.log());
    }

    /**
     * With the probe in {@code lan} mapping {@code port} through {@code protocol} on {@code rtr}: the
     * endpoint is announced and present at the router, a WireGuard handshake from the WAN host {@code wan}
     * reaches {@code lan} through it, the 2 s lifetime is renewed (never lapses in 4 s), and SIGTERM
     * deletes it at the router.
     */
    private static void reachedRenewedAndDeleted(Probe p, String protocol, Netns rtr, Netns lan, Netns wan, String lanIp, int port)
            throws Exception {
        String rule = "th dport " + port + " dnat ip to " + lanIp + ":51820";
        byte[] lanPriv = privateKey(), wanPriv = privateKey();
        WireguardGo wl = wg(lan), ww = wg(wan);
        try {
            uapi(wl.socket(), "set=1\nprivate_key=" + hex(lanPriv) + "\nlisten_port=51820\npublic_key=" + hex(pub(wanPriv))
                    + "\nallowed_ip=10.99.0.2/32\n\n");
            lan.ok("ip", "link", "set", "wg0", "up");
            wan.ok("ip", "link", "set", "wg0", "up");

            String endpoint = p.await(l -> l.startsWith("ENDPOINT ") && !l.equals("ENDPOINT none"), 15_000).substring(9);
            assertEquals("203.0.114.1:" + port, endpoint, "external address from the protocol's own answer : granted port");
            p.await(l -> l.startsWith("STATUS " + protocol + " mapped"), 2_000);
            assertTrue(natRules(rtr).contains(rule), () -> "mapping at the router:\n" + natRules(rtr));
            assertTrue(read(Miniupnpd.leaseFile(rtr)).contains("UDP:" + port + ":" + lanIp + ":51820:"), read(Miniupnpd.leaseFile(rtr)));

            // The WAN host has never talked to the LAN host: it only gets the endpoint the client reported.
            uapi(ww.socket(), "set=1\nprivate_key=" + hex(wanPriv) + "\npublic_key=" + hex(pub(lanPriv)) + "\nendpoint=" + endpoint
                    + "\npersistent_keepalive_interval=1\nallowed_ip=10.99.0.1/32\n\n");
            waitUntil(() -> !field(uapi(ww.socket(), "get=1\n\n"), "last_handshake_time_sec").equals("0")
                    && !field(uapi(ww.socket(), "get=1\n\n"), "last_handshake_time_sec").isEmpty(), 10_000,
                    () -> "no handshake from the WAN host via " + endpoint);
            assertTrue(field(uapi(wl.socket(), "get=1\n\n"), "endpoint").startsWith("203.0.114.2:"), "the LAN host learned the WAN address");

            // Lifetime 2 s, renewed at half: watched for 4 s, the mapping never lapses and is renewed.
            long until = System.nanoTime() + 4_000_000_000L;
            while (System.nanoTime() < until) {
                assertTrue(natRules(rtr).contains(rule), () -> "mapping lapsed instead of being renewed:\n" + p.log());
                Thread.sleep(250);
            }
            long statuses = p.log().lines().filter(l -> l.startsWith("STATUS " + protocol + " mapped")).count();
            assertTrue(statuses >= 3, "renewed (each renewal moves lease_until):\n" + p.log());
            assertEquals(1, p.log().lines().filter(l -> l.contains("forwards UDP 203.0.114.1:" + port)).count(), "said once:\n" + p.log());

            Netns.stop(p.process, 10_000);
            assertTrue(p.log().contains("CLOSED"), p.log());
            assertTrue(p.log().contains("deleted the mapping of UDP port " + port), p.log());
            assertFalse(natRules(rtr).contains(rule), () -> "mapping deleted on SIGTERM:\n" + natRules(rtr));
        } finally {
            wl.close();
            ww.close();
        }
    }

    @Test
    void pcpOpensAnIpv6PinholeThatAWanHostReachesAndThatIsRenewed() throws Exception {
        String rule = "th dport 51820 @nh,192,128 0x20010db8000100000000000000000010 @nh,48,8 0x11 accept"; // ip6 daddr a, UDP
        assertFalse(filterRules().contains("0x20010db8000100000000000000000010"), filterRules());
        byte[] aPriv = privateKey(), bPriv = privateKey();
        WireguardGo wa = wg(a), wb = wg(b);
        try {
            uapi(wa.socket(), "set=1\nprivate_key=" + hex(aPriv) + "\nlisten_port=51820\npublic_key=" + hex(pub(bPriv))
                    + "\nallowed_ip=10.99.0.2/32\n\n");
            a.ok("ip", "link", "set", "wg0", "up");
            b.ok("ip", "link", "set", "wg0", "up");

            Probe p = probe(a, "pinhole=true", "protocols=pcp", "external=40013", "listen=51820", "lease_s=2");
            String status = p.await(l -> l.startsWith("STATUS pcp mapped"), 15_000);
            assertTrue(status.contains("gateway=[fe80:0:0:0:0:0:0:1%eth0]:5351") && status.contains("external=[2001:db8:1:0:0:0:0:10]:51820"), status);
            assertTrue(p.log().contains("gateway [fe80:0:0:0:0:0:0:1%eth0]:5351 lets UDP to [2001:db8:1:0:0:0:0:10]:51820 in to our port 51820"), p.log());
            assertTrue(filterRules().contains(rule), () -> "pinhole at the router:\n" + filterRules());

            // The forward chain drops unsolicited WAN traffic: only the pinhole lets b's handshake in.
            uapi(wb.socket(), "set=1\nprivate_key=" + hex(bPriv) + "\npublic_key=" + hex(pub(aPriv))
                    + "\nendpoint=[2001:db8:1::10]:51820\npersistent_keepalive_interval=1\nallowed_ip=10.99.0.1/32\n\n");
            waitUntil(() -> !field(uapi(wb.socket(), "get=1\n\n"), "last_handshake_time_sec").equals("0")
                    && !field(uapi(wb.socket(), "get=1\n\n"), "last_handshake_time_sec").isEmpty(), 10_000,
                    () -> "no handshake from b to a through the pinhole");

            long until = System.nanoTime() + 4_000_000_000L;
            while (System.nanoTime() < until) {
                assertTrue(filterRules().contains(rule), () -> "pinhole lapsed instead of being renewed:\n" + p.log());
                Thread.sleep(250);
            }
            assertTrue(p.log().lines().filter(l -> l.startsWith("STATUS pcp mapped")).count() >= 3, "renewed:\n" + p.log());
            Netns.stop(p.process, 10_000);
            // Debian's miniupnpd 2.3.1 (nft backend) stores no description with a pinhole rule, so its check that
            // a deletion carries the nonce that made the mapping always fails: it answers NOT_AUTHORIZED and the
            // pinhole lapses with its lifetime instead. The client must say so; deletion itself is shown against
            // the RFC-shaped responder in PcpPinholeLoopbackTest.
            String log = p.log();
            assertTrue(log.contains("PCP IPv6 pinhole: deleted the mapping of UDP port 51820")
                    || log.contains("PCP IPv6 pinhole: could not delete the mapping of UDP port 51820: PCP gateway refused: result 2 "
                            + "NOT_AUTHORIZED") && log.contains("it expires with its lifetime"), log);
            waitUntil(() -> !filterRules().contains(rule), 6_000, () -> "pinhole neither deleted nor expired:\n" + filterRules());
        } finally {
            wa.close();
            wb.close();
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"natpmp", "pcp"})
    void aPortTakenByAnotherMappingGetsAnotherPortWhichIsAnnounced(String protocol) throws Exception {
        int port = protocol.equals("pcp") ? 40021 : 40020;
        // Another mapping holds the port (c's port 51821); ours (51820) then gets some other external port.
        Probe other = probe(c, "protocols=" + protocol, "external=" + port, "listen=51821", "lease_s=30");
        other.await(l -> l.equals("ENDPOINT 203.0.114.1:" + port), 15_000);
        Probe p = probe(c, "protocols=" + protocol, "external=" + port, "listen=51820", "lease_s=30");
        String endpoint = p.await(l -> l.startsWith("ENDPOINT 203.0.114.1:"), 15_000).substring(9);
        int granted = Integer.parseInt(endpoint.substring(endpoint.indexOf(':') + 1));
        assertTrue(granted != port && granted > 0, "another port granted and announced: " + endpoint);
        assertTrue(p.log().contains("(asked for " + port + ", the gateway granted " + granted + ")"), p.log());
        assertTrue(router2.ok("nft", "list", "chain", "inet", "filter", "prerouting_miniupnpd").out()
                .contains("th dport " + granted + " dnat ip to 192.168.2.10:51820"));
        Netns.stop(p.process, 10_000);
        Netns.stop(other.process, 10_000);
        assertFalse(router2.ok("nft", "list", "chain", "inet", "filter", "prerouting_miniupnpd").out().contains("192.168.2.10"),
                "both deleted");
    }

    // ---- helpers ----

    private static String filterRules() {
        return router.ok("nft", "list", "chain", "inet", "filter", "miniupnpd").out();
    }

    private static String natRules(Netns rtr) {
        return rtr.ok("nft", "list", "chain", "inet", "filter", "prerouting_miniupnpd").out();
    }

    private record Probe(Process process, Path logFile) {
        String log() {
            return read(logFile);
        }

        String await(Predicate<String> match, long ms) throws InterruptedException {
            long deadline = System.nanoTime() + ms * 1_000_000;
            while (true) {
                var l = log().lines().filter(match).findFirst();
                if (l.isPresent()) return l.get();
                if (System.nanoTime() > deadline || !process.isAlive()) {
                    fail("probe output has no expected line:\n" + log() + "\nrouters:\n" + read(router.dir().resolve("miniupnpd.log"))
                            + "\n" + read(router2.dir().resolve("miniupnpd.log")));
                }
                Thread.sleep(50);
            }
        }
    }

    private static Probe probe(Netns ns, String... args) {
        String cp = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-XX:TieredStopAtLevel=1", "-Xshare:auto", "-Dorg.slf4j.simpleLogger.showDateTime=true",
                "-Dorg.slf4j.simpleLogger.dateTimeFormat=HH:mm:ss.SSS", "-cp", cp, PortMapProbeMain.class.getName()));
        cmd.addAll(List.of(args));
        Path log = ns.dir().resolve("probe-" + (++probeCount) + ".log");
        Probe p = new Probe(ns.spawn(cmd, log), log);
        cleanup.add(() -> Netns.stop(p.process, 5000));
        return p;
    }

    private static Netns ns(String role) {
        Netns n = Netns.create(Netns.uniqueName("apm" + role));
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
            assertTrue(sb.toString().contains("errno=0"), "UAPI failed: " + sb);
            return sb.toString();
        } catch (IOException e) {
            throw new IllegalStateException("UAPI " + socket + ": " + e.getMessage(), e);
        }
    }

    private static String field(String uapiReply, String key) {
        return uapiReply.lines().filter(l -> l.startsWith(key + "=")).map(l -> l.substring(key.length() + 1)).findFirst().orElse("");
    }

    private static String read(Path p) {
        try {
            return Files.exists(p) ? Files.readString(p) : "";
        } catch (IOException e) {
            return "";
        }
    }

    private static void waitUntil(java.util.function.BooleanSupplier cond, long ms, java.util.function.Supplier<String> why)
            throws InterruptedException {
        long deadline = System.nanoTime() + ms * 1_000_000;
        while (!cond.getAsBoolean()) {
            if (System.nanoTime() > deadline) throw new AssertionError(why.get());
            Thread.sleep(25);
        }
    }
}
