package dev.automesh.wg;

import static org.junit.jupiter.api.Assertions.*;

import dev.automesh.net.Relay;
import dev.automesh.net.RelayCounters;
import dev.automesh.net.RelayServer;
import dev.automesh.net.RelaySettings;
import dev.automesh.testbed.InGuest;
import dev.automesh.testbed.InNetns;
import dev.automesh.testbed.Netns;
import dev.automesh.testbed.Sh;
import io.netty.channel.EventLoop;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * A relayed pair on KERNEL WireGuard, inside the QEMU guest (run by KernelWireGuardGuestTest): three
 * namespaces pub, a, b, each with a kernel wg0; a and b reach only pub (no route between them, and pub
 * does not forward). The relay classes run in each namespace on the mesh address, the session is set
 * up through the API as the mesh would, and a↔b WireGuard runs through pub's relay socket, inside the
 * a↔pub and b↔pub kernel tunnels.
 */
class RelayKernelInGuest extends InGuest {
    private static final int WG_PORT = 51820;
    private static final int RELAY_PORT = 51821;



    private record Host(Netns ns, String publicKey, String meshIp) {
        /** `wg show wg0 dump` fields of the peer: [pubkey, psk, endpoint, allowed-ips, handshake, rx, tx, keepalive]. */
        Optional<String[]> peer(Host other) {
            Sh.Result r = ns.exec("wg", "show", "wg0", "dump");
            if (r.exit() != 0) return Optional.empty();
            return r.out().lines().skip(1).map(l -> l.split("\t")).filter(f -> f[0].equals(other.publicKey)).findFirst();
        }

        String dump() {
            return ns.exec("wg", "show", "wg0", "dump").out();
        }

        InetSocketAddress relayAt() {
            return new InetSocketAddress(meshIp, RELAY_PORT);
        }

        void addPeer(Host other, String endpoint, String keepalive) {
            List<String> cmd = new ArrayList<>(List.of("wg", "set", "wg0", "peer", other.publicKey,
                    "allowed-ips", other.meshIp + "/32", "persistent-keepalive", keepalive));
            if (endpoint != null) cmd.addAll(List.of("endpoint", endpoint));
            ns.ok(cmd.toArray(String[]::new));
        }
    }

    /** One host's relay: its own event loop, whose thread (and so its sockets) lives in the host's namespace. */
    private record Node(NioEventLoopGroup group, EventLoop loop, Relay relay) {
        <T> T on(Callable<T> c) throws Exception {
            return loop.submit(c).get(10, TimeUnit.SECONDS);
        }
    }

    private Host host(String meshIp) throws Exception {
        KernelWg k = kernelWg("amr", meshIp, WG_PORT);
        return new Host(k.ns(), k.publicKey(), meshIp);
    }

    private Node relay(Host h, List<Host> peers) throws Exception {
        NioEventLoopGroup group = new NioEventLoopGroup(1, new DefaultThreadFactory("relay-" + h.meshIp, true));
        EventLoop loop = group.next();
        InNetns.call(h.ns().name(), () -> loop.submit(() -> { }).get());
        Set<InetAddress> peerAddresses = Set.copyOf(peers.stream().map(p -> addr(p.meshIp)).toList());
        Relay r = loop.submit(() -> Relay.bind(loop, addr(h.meshIp), RelaySettings.defaults(RELAY_PORT), peerAddresses,
                System::nanoTime, s -> { })).get(10, TimeUnit.SECONDS);
        Node n = new Node(group, loop, r);
        cleanup.add(() -> {
            r.close();
            group.shutdownGracefully(0, 100, TimeUnit.MILLISECONDS).await(2, TimeUnit.SECONDS);
        });
        return n;
    }

    @Test
    void relayedPairOnKernelInterfaces() throws Exception {
        Host pub = host("10.81.0.1");
        Host a = host("10.81.0.2");
        Host b = host("10.81.0.3");
        Netns.joinByVeth(pub.ns(), "10.82.1.1/24", a.ns(), "10.82.1.2/24");
        Netns.joinByVeth(pub.ns(), "10.82.2.1/24", b.ns(), "10.82.2.2/24");
        // a and b have no route to each other's underlay; pub would not forward anyway.
        assertNotEquals(0, a.ns().exec("ping", "-c", "1", "-W", "1", "10.82.2.2").exit(), "a reaches b's underlay directly");

        a.addPeer(pub, "10.82.1.1:" + WG_PORT, "1");
        b.addPeer(pub, "10.82.2.1:" + WG_PORT, "1");
        pub.addPeer(a, null, "off");
        pub.addPeer(b, null, "off");
        assertTrue(pings(a, pub.meshIp, 30_000), "a ↔ pub kernel tunnel: " + a.dump());
        assertTrue(pings(b, pub.meshIp, 30_000), "b ↔ pub kernel tunnel: " + b.dump());

        Node rp = relay(pub, List.of(a, b));
        Node ra = relay(a, List.of(pub, b));
        Node rb = relay(b, List.of(pub, a));
        long id = rp.on(() -> rp.relay().server().openSession(a.relayAt(), b.relayAt()));
        InetSocketAddress aSeesB = ra.on(() -> {
            ra.relay().client().setWireGuardPort(WG_PORT);
            return ra.relay().client().open(id, pub.relayAt());
        });
        InetSocketAddress bSeesA = rb.on(() -> {
            rb.relay().client().setWireGuardPort(WG_PORT);
            return rb.relay().client().open(id, pub.relayAt());
        });
        // One side initiates, as the mesh does (the smaller key): simultaneous first handshakes keep
        // dropping each other's responses as stale.
        b.addPeer(a, "127.0.0.1:" + bSeesA.getPort(), "off");
        a.addPeer(b, "127.0.0.1:" + aSeesB.getPort(), "5");

        assertTrue(pings(a, b.meshIp, 30_000), () -> "a → b through the relay; pub " + rp.relay().counters()
                + "; a " + ra.relay().counters() + "; b " + rb.relay().counters() + "\na's wg:\n" + a.dump()
                + "b's wg:\n" + b.dump());
        assertEquals(0, b.ns().exec("ping", "-c", "1", "-W", "5", a.meshIp).exit(), "b → a through the relay");
        String[] bSeesAPeer = b.peer(a).orElseThrow();
        assertEquals("127.0.0.1:" + bSeesA.getPort(), bSeesAPeer[2], "b's kernel WireGuard endpoint of a");
        assertTrue(Long.parseLong(bSeesAPeer[4]) > 0, "b's kernel WireGuard has a handshake with a");
        assertEquals("127.0.0.1:" + aSeesB.getPort(), a.peer(b).orElseThrow()[2], "a's kernel WireGuard endpoint of b");
        assertEquals("0", pub.ns().ok("sysctl", "-n", "net.ipv4.ip_forward").out().strip(), "pub ip_forward");

        // Everything pub forwarded belongs to the a↔b session, both ways (read on the loop: consistent).
        record Snap(RelayCounters.Snapshot c, List<RelayServer.Session> s) {}
        Snap snap = rp.on(() -> new Snap(rp.relay().counters(), rp.relay().server().sessions()));
        assertEquals(1, snap.s().size(), snap.s().toString());
        RelayServer.Session s = snap.s().get(0);
        assertEquals(a.relayAt(), s.x());
        assertEquals(b.relayAt(), s.y());
        assertTrue(s.framesXtoY() > 0 && s.framesYtoX() > 0, s.toString());
        assertEquals(snap.c().framesForwarded(), s.framesXtoY() + s.framesYtoX(), snap.c().toString());
        assertEquals(0, snap.c().droppedWrongSource() + snap.c().droppedUnknownSession() + snap.c().droppedMalformed()
                + snap.c().droppedRateLimited() + snap.c().droppedBackpressure(), snap.c().toString());
    }

    private static boolean pings(Host from, String to, long millis) throws InterruptedException {
        long deadline = System.currentTimeMillis() + millis;
        while (System.currentTimeMillis() < deadline) {
            if (from.ns().exec("ping", "-c", "1", "-W", "1", to).exit() == 0) return true;
            Thread.sleep(100);
        }
        return false;
    }

    private static InetAddress addr(String ip) {
        try {
            return InetAddress.getByName(ip);
        } catch (java.net.UnknownHostException e) {
            throw new AssertionError(e);
        }
    }
}
