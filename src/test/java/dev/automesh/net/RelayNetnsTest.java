package dev.automesh.net;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.automesh.testbed.InNetns;
import dev.automesh.testbed.NatTopology;
import dev.automesh.testbed.NatTopology.Host;
import dev.automesh.testbed.NatTopology.Nat;
import dev.automesh.testsupport.Facility;
import dev.automesh.wire.RelayFrame;
import io.netty.channel.EventLoop;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The relay data plane with real WireGuard: both NATs symmetric (punching cannot work), tunnels a↔pub
 * and b↔pub up, the relay classes running inside the hosts' namespaces, the session set up through
 * the API; then a↔b WireGuard runs end to end through pub's relay socket, inside the two tunnels.
 */
@Tag("real")
class RelayNetnsTest {
    private static final int RELAY_PORT = 51830; // clear of the bed's WireGuard ports (51820, a2 51821)

    /** One host's relay: its own event loop, whose thread lives in the host's namespace. */
    private record Node(Host host, NioEventLoopGroup group, EventLoop loop, Relay relay) {
        <T> T on(Callable<T> c) throws Exception {
            return loop.submit(c).get(5, TimeUnit.SECONDS);
        }

        InetSocketAddress relayAt() {
            return new InetSocketAddress(host.meshIp, RELAY_PORT);
        }
    }

    private static Node start(Host h, List<Host> peers) throws Exception {
        NioEventLoopGroup group = new NioEventLoopGroup(1, new DefaultThreadFactory("relay-" + h.role, true));
        EventLoop loop = group.next();
        // The loop's thread is created from a thread inside the namespace, so it and its sockets live there.
        InNetns.call(h.ns.name(), () -> loop.submit(() -> { }).get());
        Set<InetAddress> peerAddresses = Set.copyOf(peers.stream().map(p -> addr(p.meshIp)).toList());
        LongSupplier clock = System::nanoTime;
        Relay r = loop.submit(() -> Relay.bind(loop, addr(h.meshIp), RelaySettings.defaults(RELAY_PORT), peerAddresses,
                clock, s -> { })).get(5, TimeUnit.SECONDS);
        return new Node(h, group, loop, r);
    }

    @Test
    void wireGuardEndToEndThroughARelayInsideTheTunnels() throws Exception {
        Facility.requireRoot();
        Facility.requireCommands("ip", "nft", "wireguard-go", "wg", "unshare", "ping");
        List<Node> nodes = new ArrayList<>();
        try (NatTopology t = NatTopology.create(Nat.SYMMETRIC, Nat.SYMMETRIC)) {
            for (Host h : List.of(t.a, t.a2, t.b)) tunnelToPub(t, h);
            for (Host h : List.of(t.a, t.a2, t.b)) assertTrue(pings(h, t.pub.meshIp, 10_000), h + " ↔ pub tunnel");

            Node pub = start(t.pub, List.of(t.a, t.a2, t.b));
            Node a = start(t.a, List.of(t.pub, t.b));
            Node b = start(t.b, List.of(t.pub, t.a));
            nodes.addAll(List.of(pub, a, b));

            long id = pub.on(() -> pub.relay().server().openSession(a.relayAt(), b.relayAt()));
            InetSocketAddress aSeesB = a.on(() -> {
                a.relay().client().setWireGuardPort(t.a.listenPort);
                return a.relay().client().open(id, pub.relayAt());
            });
            InetSocketAddress bSeesA = b.on(() -> {
                b.relay().client().setWireGuardPort(t.b.listenPort);
                return b.relay().client().open(id, pub.relayAt());
            });
            // Only one side initiates the first handshake: when both do at once, each drops the other's
            // response as stale, round after round. The mesh phase picks the smaller key; here, a.
            peer(t.b, t.a, bSeesA, false);
            peer(t.a, t.b, aSeesB, true);

            assertTrue(pings(t.a, t.b.meshIp, 10_000), () -> "a → b through the relay; a " + a.relay().counters()
                    + "; pub " + pub.relay().counters() + "; b " + b.relay().counters() + "; a's wg " + t.a.dump());
            assertEquals(0, t.b.ns.exec("ping", "-c", "1", "-W", "2", t.a.meshIp).exit(), "b → a through the relay");
            assertEquals("127.0.0.1:" + aSeesB.getPort(), t.a.dump().get(t.b.publicKey).endpoint());
            assertEquals("127.0.0.1:" + bSeesA.getPort(), t.b.dump().get(t.a.publicKey).endpoint());

            // Large packets: 1400 bytes of ICMP payload are fragmented by the inner tunnel (MTU 1420); a
            // full 1420-byte inner packet with DF set still passes because the kernel fragments the
            // relay frame (1464 bytes of UDP) locally before it enters the a↔pub tunnel.
            assertEquals(0, t.a.ns.exec("ping", "-c", "3", "-i", "0.2", "-W", "2", "-s", "1400", t.b.meshIp).exit(),
                    "ping -s 1400 through the relay");
            assertEquals(0, t.a.ns.exec("ping", "-c", "3", "-i", "0.2", "-W", "2", "-M", "do", "-s", "1392", t.b.meshIp).exit(),
                    "ping -M do -s 1392 (a 1420-byte inner packet) through the relay");

            // One byte more does not fit the inner tunnel with DF set: refused at a, as on any 1420-MTU tunnel.
            assertNotEquals(0, t.a.ns.exec("ping", "-c", "1", "-W", "2", "-M", "do", "-s", "1393", t.b.meshIp).exit());
            for (Host h : List.of(t.pub, t.a, t.b)) {
                assertEquals("0", h.ns.ok("sysctl", "-n", "net.ipv4.ip_forward").out().strip(), h + " ip_forward");
            }

            RelayCounters.Snapshot c = pub.relay().counters();
            List<RelayServer.Session> sessions = pub.on(() -> pub.relay().server().sessions());
            assertEquals(1, sessions.size());
            RelayServer.Session s = sessions.get(0);
            assertEquals(a.relayAt(), s.x());
            assertEquals(b.relayAt(), s.y());
            assertTrue(s.framesXtoY() > 0 && s.framesYtoX() > 0, s.toString());
            // Everything pub forwarded belongs to the a↔b session (the loop is quiet while we read).
            RelaySnap both = pub.on(() -> new RelaySnap(pub.relay().counters(), pub.relay().server().sessions().get(0)));
            assertEquals(both.c.bytesForwarded(), both.s.bytesXtoY() + both.s.bytesYtoX());
            assertEquals(both.c.framesForwarded(), both.s.framesXtoY() + both.s.framesYtoX());
            assertEquals(0, c.droppedWrongSource() + c.droppedUnknownSession() + c.droppedMalformed() + c.droppedRateLimited()
                    + c.droppedBackpressure(), c.toString());
            assertTrue(a.relay().counters().framesToRelay() > 0 && b.relay().counters().framesFromRelay() > 0);

            // Forgeries, each dropped and counted at pub.
            byte[] payload = new byte[100];
            sendFrom(t.a, t.a.meshIp, 0, t.pub.meshIp, RelayFrame.encode(id ^ 0x5a5a, payload));  // forged session
            await(() -> pub.relay().counters().droppedUnknownSession() == 1, "forged session counted");
            sendFrom(t.a, t.a.meshIp, 0, t.pub.meshIp, RelayFrame.encode(id, payload));           // a, not its relay socket
            await(() -> pub.relay().counters().droppedWrongSource() == 1, "wrong source port counted");
            sendFrom(t.a2, t.a2.meshIp, RELAY_PORT, t.pub.meshIp, RelayFrame.encode(id, payload)); // a peer not in the session
            await(() -> pub.relay().counters().droppedWrongSource() == 2, "non-member peer counted");
            byte[] bad = RelayFrame.encode(id, payload);
            bad[2] = 'X';
            sendFrom(t.a, t.a.meshIp, RELAY_PORT + 1, t.pub.meshIp, bad);
            await(() -> pub.relay().counters().droppedMalformed() == 1, "malformed frame counted");
            RelayCounters.Snapshot after = pub.relay().counters();
            assertEquals(1, after.droppedUnknownSession());
            assertEquals(2, after.droppedWrongSource());
            assertEquals(1, after.droppedMalformed());
            // And the tunnel still works.
            assertEquals(0, t.a.ns.exec("ping", "-c", "1", "-W", "2", t.b.meshIp).exit());
        } finally {
            for (Node n : nodes) {
                n.relay().close();
                n.group().shutdownGracefully(0, 100, TimeUnit.MILLISECONDS);
            }
        }
    }

    private record RelaySnap(RelayCounters.Snapshot c, RelayServer.Session s) {}

    private static void tunnelToPub(NatTopology t, Host h) {
        h.wgCmd("set", "wg0", "peer", t.pub.publicKey, "endpoint", NatTopology.PUBLIC_IP + ":" + NatTopology.WG_PORT,
                "allowed-ips", t.pub.meshIp + "/32", "persistent-keepalive", "1").orThrow();
        t.pub.wgCmd("set", "wg0", "peer", h.publicKey, "allowed-ips", h.meshIp + "/32").orThrow();
    }

    private static void peer(Host h, Host other, InetSocketAddress endpoint, boolean initiate) {
        h.wgCmd("set", "wg0", "peer", other.publicKey, "endpoint", "127.0.0.1:" + endpoint.getPort(),
                "allowed-ips", other.meshIp + "/32", "persistent-keepalive", initiate ? "5" : "off").orThrow();
    }

    private static boolean pings(Host from, String to, long millis) throws InterruptedException {
        long deadline = System.currentTimeMillis() + millis;
        while (System.currentTimeMillis() < deadline) {
            if (from.ns.exec("ping", "-c", "1", "-W", "1", to).exit() == 0) return true;
            Thread.sleep(100);
        }
        return false;
    }

    private static void sendFrom(Host h, String ip, int port, String to, byte[] frame) throws Exception {
        InNetns.call(h.ns.name(), () -> {
            try (DatagramSocket s = new DatagramSocket(new InetSocketAddress(ip, port))) {
                s.send(new DatagramPacket(frame, frame.length, new InetSocketAddress(to, RELAY_PORT)));
            }
            return null;
        });
    }

    private static void await(java.util.function.BooleanSupplier cond, String what) throws InterruptedException {
        long deadline = System.currentTimeMillis() + 5000;
        while (!cond.getAsBoolean()) {
            if (System.currentTimeMillis() > deadline) throw new AssertionError("timed out: " + what);
            Thread.sleep(20);
        }
    }

    private static InetAddress addr(String ip) {
        try {
            return InetAddress.getByName(ip);
        } catch (java.net.UnknownHostException e) {
            throw new AssertionError(e);
        }
    }
}
