package dev.automesh.wg;

import dev.automesh.testsupport.TestValues;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.automesh.crypto.WgKey;
import dev.automesh.testbed.Sh;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.bouncycastle.math.ec.rfc7748.X25519;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The behaviour every {@link WireGuard} backend must show against a real WireGuard implementation.
 * A subclass supplies a {@link Bed} of fresh interfaces (wireguard-go in namespaces, kernel
 * {@code ip link add ... type wireguard} in a guest, ...); the cases here set private key and listen
 * port with the real {@code wg} tool and drive everything else through the backend.
 *
 * <p>Requirements on a bed: every interface is fresh (no key, no port, no peers) and UP; the nodes of
 * one bed reach each other's UDP listen ports at {@link Node#underlay()}; the bed is isolated (its
 * namespaces have no route out), because peers get documentation-range endpoints and keepalives.
 */
public abstract class WireGuardContract {
    /** One fresh WireGuard interface of a bed. */
    public interface Node {
        String ifname();

        /** The backend under test, opened on this interface (the bed closes it). */
        WireGuard wg();

        /** Address at which the other nodes of the same bed reach this node's listen port. */
        InetAddress underlay();

        /** Runs {@code wg args...} in this interface's context (namespace, private /run/wireguard...). */
        Sh.Result runWg(String... args);
    }

    /** Fresh interfaces for one test case; close() removes everything it made. */
    public interface Bed extends AutoCloseable {
        List<Node> nodes();

        /**
         * Opens the backend for an interface name that may not exist, in the bed's context. May throw
         * (then the contract checks that exception) or defer the failure to read().
         */
        WireGuard open(String ifname) throws WireGuardException;

        /** A writable scratch directory (key files). */
        Path scratch();

        @Override
        void close();
    }

    /** n fresh, UP interfaces that can reach each other. Called once per case; skip via Facility here. */
    protected abstract Bed createBed(int n) throws Exception;

    /** Generous for a TCG guest; the userspace bed handshakes in well under a second. */
    protected long handshakeTimeoutMillis() {
        return 10_000;
    }

    private static final SecureRandom RNG = new SecureRandom();

    // ---- helpers -------------------------------------------------------------------------------

    protected static WgKey randomKey() {
        byte[] b = new byte[32];
        RNG.nextBytes(b);
        return WgKey.of(b);
    }

    /** A key pair as wg would make it: clamped private key and its Curve25519 public key. */
    protected record KeyPair(WgKey privateKey, WgKey publicKey) {
        static KeyPair generate() {
            byte[] priv = new byte[32];
            X25519.generatePrivateKey(RNG, priv);
            byte[] pub = new byte[32];
            X25519.generatePublicKey(priv, 0, pub, 0);
            return new KeyPair(WgKey.of(priv), WgKey.of(pub));
        }
    }

    /** Sets private key and listen port with the real `wg` tool; returns the key pair. */
    protected static KeyPair configure(Bed bed, Node node, int listenPort) throws Exception {
        KeyPair kp = KeyPair.generate();
        Path f = Files.createTempFile(bed.scratch(), "key", ".b64",
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        Files.writeString(f, kp.privateKey().toBase64() + "\n");
        try {
            node.runWg("set", node.ifname(), "private-key", f.toString(), "listen-port", Integer.toString(listenPort))
                    .orThrow();
        } finally {
            Files.deleteIfExists(f);
        }
        return kp;
    }

    protected static InetAddress ip(String literal) {
        return TestValues.ip(literal);
    }

    protected static IpPrefix prefix(String s) {
        int slash = s.indexOf('/');
        return new IpPrefix(ip(s.substring(0, slash)), Integer.parseInt(s.substring(slash + 1)));
    }

    protected static InetSocketAddress ep(String literal, int port) {
        return new InetSocketAddress(ip(literal), port);
    }

    private static WgPeer peerOf(WgDevice d, WgKey k) {
        return WgPeers.peer(d, k).orElseThrow(() -> new AssertionError("peer " + k + " not on " + d.name()
                + " (has " + d.peers().size() + " peers)"));
    }

    private static void assertPeer(WgPeer p, Optional<InetSocketAddress> endpoint, int keepalive, List<IpPrefix> allowed) {
        assertEquals(endpoint, p.endpoint(), "endpoint of " + p.publicKey());
        assertEquals(keepalive, p.persistentKeepalive(), "keepalive of " + p.publicKey());
        assertEquals(Set.copyOf(allowed), Set.copyOf(p.allowedIps()), "allowed IPs of " + p.publicKey());
        assertEquals(allowed.size(), p.allowedIps().size(), "no duplicate allowed IPs on " + p.publicKey());
    }

    // ---- cases ---------------------------------------------------------------------------------

    @Test
    @Timeout(60)
    void freshDeviceHasNoKeyThenOwnKeyPortAndNoPeers() throws Exception {
        try (Bed bed = createBed(1)) {
            Node n = bed.nodes().get(0);
            WgDevice before = n.wg().read();
            assertEquals(n.ifname(), before.name());
            assertEquals(Optional.empty(), before.publicKey(), "no private key set yet");
            assertTrue(before.peers().isEmpty());

            KeyPair kp = configure(bed, n, 41001);
            WgDevice d = n.wg().read();
            assertEquals(n.ifname(), d.name());
            assertEquals(Optional.of(kp.publicKey()), d.publicKey());
            assertEquals(41001, d.listenPort());
            assertEquals(List.of(), d.peers());
        }
    }

    @Test
    @Timeout(60)
    void peersWithEndpointKeepaliveAndAllowedIpsReadBackExactly() throws Exception {
        try (Bed bed = createBed(1)) {
            Node n = bed.nodes().get(0);
            configure(bed, n, 41002);
            WgKey a = randomKey(), b = randomKey(), c = randomKey();
            List<IpPrefix> aIps = List.of(prefix("10.99.0.1/32"), prefix("10.100.0.0/16"));
            List<IpPrefix> bIps = List.of(prefix("fd00:99::1/128"), prefix("2001:db8:1::/48"), prefix("10.99.0.2/32"));
            n.wg().apply(List.of(
                    PeerUpdate.of(a).endpoint(ep("192.0.2.10", 51820)).keepalive(25).allowedIps(aIps).build(),
                    PeerUpdate.of(b).endpoint(ep("2001:db8::5", 4500)).allowedIps(bIps).build(),
                    PeerUpdate.of(c).build()));

            WgDevice d = n.wg().read();
            assertEquals(3, d.peers().size());
            WgPeer pa = peerOf(d, a), pb = peerOf(d, b), pc = peerOf(d, c);
            assertPeer(pa, Optional.of(ep("192.0.2.10", 51820)), 25, aIps);
            assertPeer(pb, Optional.of(ep("2001:db8::5", 4500)), 0, bIps);
            assertPeer(pc, Optional.empty(), 0, List.of());
            for (WgPeer p : d.peers()) {
                assertEquals(0, p.lastHandshakeEpochSeconds(), "never handshaked: " + p.publicKey());
                assertEquals(0, p.rxBytes(), "nothing received from " + p.publicKey());
            }

            // Absent fields stay as they are; present ones change.
            n.wg().apply(List.of(PeerUpdate.of(a).keepalive(0).build(),
                    PeerUpdate.of(b).allowedIps(List.of(prefix("10.99.0.3/32"))).build()));
            WgDevice d2 = n.wg().read();
            assertPeer(peerOf(d2, a), Optional.of(ep("192.0.2.10", 51820)), 0, aIps);
            assertPeer(peerOf(d2, b), Optional.of(ep("2001:db8::5", 4500)), 0, List.of(prefix("10.99.0.3/32")));
            assertPeer(peerOf(d2, c), Optional.empty(), 0, List.of());
        }
    }

    @Test
    @Timeout(60)
    void twoInterfacesHandshakeAndCountBytes() throws Exception {
        try (Bed bed = createBed(2)) {
            Node x = bed.nodes().get(0), y = bed.nodes().get(1);
            KeyPair kx = configure(bed, x, 41011);
            KeyPair ky = configure(bed, y, 41012);
            long start = System.currentTimeMillis() / 1000;
            // Only x initiates (keepalive 1 s): when both sides initiate at once, each may drop the other's
            // response as stale, round after round on a slow (emulated) machine. y's keepalive, which keeps
            // traffic flowing both ways for the counters below, is switched on after the handshake.
            y.wg().apply(List.of(PeerUpdate.of(kx.publicKey()).endpoint(new InetSocketAddress(x.underlay(), 41011))
                    .allowedIps(List.of(prefix("10.77.0.1/32"))).build()));
            x.wg().apply(List.of(PeerUpdate.of(ky.publicKey()).endpoint(new InetSocketAddress(y.underlay(), 41012))
                    .keepalive(1).allowedIps(List.of(prefix("10.77.0.2/32"))).build()));

            long deadline = System.nanoTime() + handshakeTimeoutMillis() * 1_000_000;
            WgPeer px, py;
            while (true) {
                px = peerOf(x.wg().read(), ky.publicKey());
                py = peerOf(y.wg().read(), kx.publicKey());
                if (px.lastHandshakeEpochSeconds() > 0 && py.lastHandshakeEpochSeconds() > 0) break;
                if (System.nanoTime() > deadline) {
                    fail("no handshake within " + handshakeTimeoutMillis() + " ms: " + px + " / " + py);
                }
                Thread.sleep(50);
            }
            long now = System.currentTimeMillis() / 1000;
            for (WgPeer p : List.of(px, py)) {
                assertTrue(p.lastHandshakeEpochSeconds() >= start - 2 && p.lastHandshakeEpochSeconds() <= now + 2,
                        "handshake time is epoch seconds of just now: " + p.lastHandshakeEpochSeconds()
                                + " not in [" + start + ", " + now + "]");
            }
            y.wg().apply(List.of(PeerUpdate.of(kx.publicKey()).keepalive(1).build()));
            // Counters grow as keepalives flow (every second, both ways).
            long rx0 = px.rxBytes(), tx0 = px.txBytes();
            deadline = System.nanoTime() + handshakeTimeoutMillis() * 1_000_000;
            while (true) {
                px = peerOf(x.wg().read(), ky.publicKey());
                if (rx0 > 0 && tx0 > 0 && px.rxBytes() > rx0 && px.txBytes() > tx0) break;
                if (px.rxBytes() > 0 && px.txBytes() > 0 && rx0 == 0) {
                    rx0 = px.rxBytes();
                    tx0 = px.txBytes();
                }
                if (System.nanoTime() > deadline) fail("rx/tx did not grow: " + rx0 + "/" + tx0 + " -> " + px);
                Thread.sleep(100);
            }
            // The endpoint we set is still the one reported (the peer roams to the address it used).
            assertEquals(Optional.of(new InetSocketAddress(y.underlay(), 41012)), px.endpoint());
        }
    }

    /** Polls until n's peer k reports a handshake; the peer as last read. */
    private WgPeer awaitHandshake(Node n, WgKey k) throws Exception {
        long deadline = System.nanoTime() + handshakeTimeoutMillis() * 1_000_000;
        while (true) {
            WgPeer p = peerOf(n.wg().read(), k);
            if (p.lastHandshakeEpochSeconds() > 0 && p.rxBytes() > 0) return p;
            if (System.nanoTime() > deadline) fail("no handshake within " + handshakeTimeoutMillis() + " ms: " + p);
            Thread.sleep(50);
        }
    }

    @Test
    @Timeout(90)
    void freshUpdateReCreatesThePeerWithExactlyItsStateAndItHandshakesAgain() throws Exception {
        try (Bed bed = createBed(2)) {
            Node x = bed.nodes().get(0), y = bed.nodes().get(1);
            KeyPair kx = configure(bed, x, 41013);
            KeyPair ky = configure(bed, y, 41014);
            InetSocketAddress yAddr = new InetSocketAddress(y.underlay(), 41014);
            // Only x initiates (see twoInterfacesHandshakeAndCountBytes); y never sends on its own.
            y.wg().apply(List.of(PeerUpdate.of(kx.publicKey()).endpoint(new InetSocketAddress(x.underlay(), 41013))
                    .allowedIps(List.of(prefix("10.77.0.1/32"))).build()));
            WgKey other = randomKey();
            List<IpPrefix> otherIps = List.of(prefix("10.78.0.9/32"), prefix("fd00:78::9/128"));
            x.wg().apply(List.of(
                    PeerUpdate.of(ky.publicKey()).endpoint(yAddr).keepalive(1).allowedIps(List.of(prefix("10.77.0.2/32"))).build(),
                    PeerUpdate.of(other).endpoint(ep("192.0.2.77", 7777)).keepalive(0).allowedIps(otherIps).build()));
            WgPeer before = awaitHandshake(x, ky.publicKey());
            assertTrue(before.txBytes() > 0, "the old peer object has sent: " + before);

            // Re-created without keepalive and with nothing to send: the new peer object is silent, so
            // its counters and handshake stay at zero, and only what the update carries is set.
            List<IpPrefix> newIps = List.of(prefix("10.77.0.22/32"), prefix("fd00:77::2/128"));
            x.wg().apply(List.of(PeerUpdate.of(ky.publicKey()).fresh().endpoint(ep("198.51.100.14", 41014)).keepalive(0)
                    .allowedIps(newIps).build()));
            WgDevice d = x.wg().read();
            assertEquals(2, d.peers().size(), "still exactly two peers: " + d.peers());
            WgPeer renewed = peerOf(d, ky.publicKey());
            assertPeer(renewed, Optional.of(ep("198.51.100.14", 41014)), 0, newIps);
            assertEquals(0, renewed.lastHandshakeEpochSeconds(), "a new peer object has no handshake: " + renewed);
            assertEquals(0, renewed.rxBytes(), "a new peer object has received nothing: " + renewed);
            assertEquals(0, renewed.txBytes(), "a new peer object has sent nothing: " + renewed);
            assertPeer(peerOf(d, other), Optional.of(ep("192.0.2.77", 7777)), 0, otherIps);

            // Fresh again, now towards y with a keepalive: the new peer initiates by itself and y, whose
            // peer was never touched, answers.
            List<IpPrefix> ips = List.of(prefix("10.77.0.2/32"));
            x.wg().apply(List.of(PeerUpdate.of(ky.publicKey()).fresh().endpoint(yAddr).keepalive(1).allowedIps(ips).build()));
            WgPeer after = awaitHandshake(x, ky.publicKey());
            assertPeer(after, Optional.of(yAddr), 1, ips);
            assertPeer(peerOf(x.wg().read(), other), Optional.of(ep("192.0.2.77", 7777)), 0, otherIps);
            WgDevice yAfter = y.wg().read();
            assertEquals(1, yAfter.peers().size());
            assertPeer(peerOf(yAfter, kx.publicKey()), Optional.of(new InetSocketAddress(x.underlay(), 41013)), 0,
                    List.of(prefix("10.77.0.1/32")));
        }
    }

    @Test
    @Timeout(60)
    void freshUpdateOfAnUnknownPeerCreatesItAndBatchesWithPlainOnes() throws Exception {
        try (Bed bed = createBed(1)) {
            Node n = bed.nodes().get(0);
            configure(bed, n, 41007);
            WgKey a = randomKey(), b = randomKey(), c = randomKey();
            List<IpPrefix> aIps = List.of(prefix("10.97.0.1/32")), bIps = List.of(prefix("10.97.0.2/32"));
            n.wg().apply(List.of(PeerUpdate.of(a).endpoint(ep("192.0.2.1", 1)).keepalive(25).allowedIps(aIps).build(),
                    PeerUpdate.of(b).endpoint(ep("192.0.2.2", 2)).keepalive(25).allowedIps(bIps).build()));
            // Plain, fresh without endpoint, fresh of a new peer, plain: applied in order.
            List<IpPrefix> cIps = List.of(prefix("10.97.0.3/32"), prefix("10.97.1.0/24"));
            n.wg().apply(List.of(
                    PeerUpdate.of(a).endpoint(ep("192.0.2.11", 11)).build(),
                    PeerUpdate.of(b).fresh().keepalive(0).allowedIps(List.of(prefix("10.97.0.20/32"))).build(),
                    PeerUpdate.of(c).fresh().endpoint(ep("2001:db8::3", 3)).keepalive(5).allowedIps(cIps).build(),
                    PeerUpdate.of(b).allowedIps(bIps).build()));
            WgDevice d = n.wg().read();
            assertEquals(3, d.peers().size(), "peers: " + d.peers());
            assertPeer(peerOf(d, a), Optional.of(ep("192.0.2.11", 11)), 25, aIps);
            assertPeer(peerOf(d, b), Optional.empty(), 0, bIps);
            assertPeer(peerOf(d, c), Optional.of(ep("2001:db8::3", 3)), 5, cIps);
        }
    }

    @Test
    @Timeout(60)
    void endpointChangesBetweenFamiliesAndKeepsTheRest() throws Exception {
        try (Bed bed = createBed(1)) {
            Node n = bed.nodes().get(0);
            configure(bed, n, 41003);
            WgKey k = randomKey();
            List<IpPrefix> ips = List.of(prefix("10.98.0.7/32"));
            n.wg().apply(List.of(PeerUpdate.of(k).endpoint(ep("192.0.2.1", 1000)).allowedIps(ips).build()));
            assertPeer(peerOf(n.wg().read(), k), Optional.of(ep("192.0.2.1", 1000)), 0, ips);

            n.wg().apply(List.of(PeerUpdate.of(k).endpoint(ep("2001:db8::99", 65535)).build()));
            assertPeer(peerOf(n.wg().read(), k), Optional.of(ep("2001:db8::99", 65535)), 0, ips);

            n.wg().apply(List.of(PeerUpdate.of(k).endpoint(ep("198.51.100.200", 1)).build()));
            assertPeer(peerOf(n.wg().read(), k), Optional.of(ep("198.51.100.200", 1)), 0, ips);
        }
    }

    @Test
    @Timeout(120)
    void batchOfThousandPeersAppliedAndReadBack() throws Exception {
        try (Bed bed = createBed(1)) {
            Node n = bed.nodes().get(0);
            configure(bed, n, 41005);
            int count = 1000;
            Map<WgKey, PeerUpdate> want = new HashMap<>();
            List<PeerUpdate> batch = new ArrayList<>();
            for (int i = 0; i < count; i++) {
                WgKey k = randomKey();
                InetSocketAddress e = i % 3 == 0
                        ? ep("2001:db8:" + Integer.toHexString(i) + "::1", 10000 + i)
                        : ep("198.51." + (i >> 8) + "." + (i & 255), 20000 + i);
                List<IpPrefix> ips = List.of(prefix("10." + (100 + (i >> 8)) + "." + (i & 255) + ".1/32"),
                        prefix("fd00:" + Integer.toHexString(i) + "::/64"));
                PeerUpdate u = PeerUpdate.of(k).endpoint(e).allowedIps(ips).build();
                want.put(k, u);
                batch.add(u);
            }
            n.wg().apply(batch);
            WgDevice d = n.wg().read();
            assertEquals(count, d.peers().size());
            for (WgPeer p : d.peers()) {
                PeerUpdate u = want.get(p.publicKey());
                if (u == null) fail("unexpected peer " + p.publicKey());
                assertPeer(p, u.endpoint(), 0, u.replaceAllowedIps().orElseThrow());
            }
        }
    }

    @Test
    @Timeout(60)
    void emptyBatchIsANoOp() throws Exception {
        try (Bed bed = createBed(1)) {
            Node n = bed.nodes().get(0);
            configure(bed, n, 41006);
            n.wg().apply(List.of());
            assertEquals(List.of(), n.wg().read().peers());
        }
    }

    @Test
    @Timeout(60)
    void missingInterfaceIsNoSuchDeviceNamingIt() throws Exception {
        try (Bed bed = createBed(1)) {
            String missing = "amunone" + Integer.toHexString(RNG.nextInt(0x10000));
            WireGuardException e = assertThrows(WireGuardException.class, () -> {
                try (WireGuard w = bed.open(missing)) {
                    w.read();
                }
            });
            assertEquals(WireGuardException.Reason.NO_SUCH_DEVICE, e.reason(), e.getMessage());
            assertTrue(e.getMessage().contains(missing), "names the interface: " + e.getMessage());
            assertFalse(e.getMessage().contains("\n"), "one line: " + e.getMessage());
        }
    }

}
