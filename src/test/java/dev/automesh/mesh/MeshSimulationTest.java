package dev.automesh.mesh;

import static dev.automesh.testsupport.TestValues.ip;
import static dev.automesh.testsupport.TestValues.key;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.automesh.config.HostPort;
import dev.automesh.config.PeerConfig;
import dev.automesh.crypto.WgKey;
import dev.automesh.wire.Message;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * Several Mesh instances wired to a simulated network, one simulated second per step.
 *
 * <p>The network: a node is public, or behind a NAT with endpoint-independent mapping (one WAN port per
 * node) and address-and-port-dependent filtering, like a Linux masquerade; a LAN segment connects the
 * nodes behind one NAT, without hairpinning. The toy WireGuard: a peer with an endpoint sends a
 * handshake initiation every 5 s until it has a session, and keepalives at the configured interval; a
 * packet arrives when it is sent to the address at which the receiver is seen from the sender and the
 * receiver's NAT lets it in (the receiver sent to that sender's address before). An arriving
 * initiation completes a handshake on both sides; any arriving packet makes the receiver roam its
 * endpoint to the source. Gossip flows between mesh addresses only over a live session.
 */
class MeshSimulationTest {
    static final int GOSSIP = 1666;
    static final long T0 = 1_800_000_000_000L;

    static final class Node {
        final String name;
        final WgKey key;
        final InetAddress mesh;
        final InetAddress lanIp;
        final String segment; // null: public
        final InetAddress wanIp;
        int wanPort;
        final int port = 51820;
        final FakeDevice dev;
        Mesh mesh_;
        final Map<WgKey, Long> lastInit = new HashMap<>();
        final Map<WgKey, Long> lastKeepalive = new HashMap<>();
        final Map<WgKey, InetSocketAddress> initTo = new HashMap<>();

        Node(String name, int n, String lanIp, String segment, String wanIp, int wanPort) {
            this.name = name;
            this.key = key(n);
            this.mesh = ip("10.9.0." + n);
            this.lanIp = ip(lanIp);
            this.segment = segment;
            this.wanIp = wanIp == null ? null : ip(wanIp);
            this.wanPort = wanPort;
            this.dev = new FakeDevice(key, port);
        }
    }

    final List<Node> nodes = new ArrayList<>();
    final ArrayDeque<Runnable> inFlight = new ArrayDeque<>();
    /** Every notice, as "time node: notice", for failure messages. */
    final List<String> notices = new ArrayList<>();
    final List<Heard> heard = new ArrayList<>();

    record Heard(String node, Action.Notice notice) {}
    long now = T0;
    int datagrams;

    Node node(String name, int n, String lanIp, String segment, String wanIp, int wanPort) {
        Node x = new Node(name, n, lanIp, segment, wanIp, wanPort);
        nodes.add(x);
        return x;
    }

    /** Where {@code y} is seen from {@code x}: its LAN address on a shared segment, else its public face. */
    static InetSocketAddress seen(Node y, Node x) {
        if (y.segment == null) return new InetSocketAddress(y.lanIp, y.port);
        if (y.segment.equals(x.segment)) return new InetSocketAddress(y.lanIp, y.port);
        return new InetSocketAddress(y.wanIp, y.wanPort);
    }

    /** Does a packet from x to {@code to} arrive at y? */
    static boolean arrives(Node x, Node y, InetSocketAddress to) {
        if (!to.equals(seen(y, x))) return false;
        if (y.segment == null || y.segment.equals(x.segment)) return true;
        FakeDevice.P back = y.dev.peers.get(x.key); // the filter: y must have sent to x's face
        return back != null && seen(x, y).equals(back.endpoint);
    }

    Node byMesh(InetAddress a) {
        return nodes.stream().filter(n -> n.mesh.equals(a)).findFirst().orElse(null);
    }

    void start(boolean lanDiscovery, String publicNode) {
        Node pub = nodes.stream().filter(n -> n.name.equals(publicNode)).findFirst().orElseThrow();
        List<PeerConfig> peers = new ArrayList<>();
        for (Node n : nodes) {
            Optional<HostPort> ep = n == pub ? Optional.of(new HostPort(pub.lanIp.getHostAddress(), pub.port)) : Optional.empty();
            peers.add(new PeerConfig(n.key, n.mesh, ep, Optional.of(n.name)));
        }
        for (Node n : nodes) {
            List<dev.automesh.wg.IpPrefix> lan = n.segment == null ? List.of() : List.of(new dev.automesh.wg.IpPrefix(n.lanIp, 24));
            n.mesh_ = new Mesh(new MeshSettings(n.key, GOSSIP, lanDiscovery, peers, lan));
            handle(n, n.mesh_.start(Map.of(), now));
            if (n != pub) handle(n, n.mesh_.onResolved(pub.key, List.of(new InetSocketAddress(pub.lanIp, pub.port)), now));
        }
        deliver();
    }

    void handle(Node n, List<Action> actions) {
        n.dev.apply(actions);
        for (Action a : actions) {
            if (a instanceof Action.Notice notice) {
                notices.add(String.format("%5.1f s %s: %s", (now - T0) / 1000.0, n.name, notice));
                heard.add(new Heard(n.name, notice));
            } else if (a instanceof Action.Send s) {
                Node to = byMesh(s.to().getAddress());
                if (to != null && tunnelUp(n, to)) {
                    inFlight.add(() -> handle(to, to.mesh_.onDatagram(new InetSocketAddress(n.mesh, GOSSIP), s.message(), now)));
                }
                // Outside the tunnel, on the LAN segment (a LAN endpoint proving itself).
                Node onLan = nodes.stream().filter(y -> y.lanIp.equals(s.to().getAddress()) && y.segment != null
                        && y.segment.equals(n.segment)).findFirst().orElse(null);
                if (onLan != null) {
                    inFlight.add(() -> handle(onLan, onLan.mesh_.onDatagram(new InetSocketAddress(n.lanIp, GOSSIP), s.message(), now)));
                }
            } else if (a instanceof Action.Broadcast b) {
                for (Node to : nodes) {
                    if (n.segment != null && n.segment.equals(to.segment)) { // loops back to the sender too
                        inFlight.add(() -> handle(to, to.mesh_.onDatagram(new InetSocketAddress(n.lanIp, GOSSIP), b.message(), now)));
                    }
                }
            }
        }
    }

    boolean tunnelUp(Node x, Node y) {
        FakeDevice.P p = x.dev.peers.get(y.key);
        return p != null && p.handshake > 0 && now / 1000 - p.handshake < 180 && p.endpoint != null
                && arrives(x, y, p.endpoint);
    }

    void deliver() {
        while (!inFlight.isEmpty()) {
            inFlight.poll().run();
            assertTrue(++datagrams < 100_000, "gossip storm");
        }
    }

    /** One second of WireGuard: initiations every 5 s without a session, keepalives, roaming. */
    void wireguardStep() {
        long s = now / 1000;
        for (Node x : nodes) {
            for (FakeDevice.P p : x.dev.peers.values()) {
                Node y = nodes.stream().filter(n -> n.key.equals(p.key)).findFirst().orElseThrow();
                if (p.endpoint == null) continue;
                boolean session = p.handshake > 0 && s - p.handshake < 120;
                if (!session) {
                    long last = x.lastInit.getOrDefault(y.key, Long.MIN_VALUE / 2);
                    boolean moved = !p.endpoint.equals(x.initTo.get(y.key));
                    if (moved || now - last >= 5000) {
                        x.lastInit.put(y.key, now);
                        x.initTo.put(y.key, p.endpoint);
                        p.tx += 148;
                        if (arrives(x, y, p.endpoint)) {
                            FakeDevice.P q = y.dev.peer(x.key);
                            q.endpoint = seen(x, y);
                            q.rx += 148;
                            p.handshake = s;
                            q.handshake = s;
                            p.rx += 92;
                            q.tx += 92;
                        }
                    }
                } else if (p.keepalive > 0 && now - x.lastKeepalive.getOrDefault(y.key, Long.MIN_VALUE / 2) >= p.keepalive * 1000L) {
                    x.lastKeepalive.put(y.key, now);
                    p.tx += 32;
                    if (arrives(x, y, p.endpoint)) {
                        FakeDevice.P q = y.dev.peer(x.key);
                        q.endpoint = seen(x, y);
                        q.rx += 32;
                    }
                }
            }
        }
    }

    void second() {
        for (Node n : nodes) {
            handle(n, n.mesh_.onDevice(n.dev.snapshot(), now));
            handle(n, n.mesh_.onTick(now));
        }
        deliver();
        wireguardStep();
        now += 1000;
    }

    boolean direct(Node x, Node y) {
        return tunnelUp(x, y) && tunnelUp(y, x);
    }

    boolean fullMesh() {
        for (Node x : nodes) for (Node y : nodes) if (x != y && !direct(x, y)) return false;
        return true;
    }

    /** Runs until the full mesh stands; returns the simulated seconds it took. */
    long runToFullMesh(long maxSeconds) {
        long start = now;
        while (!fullMesh()) {
            assertTrue(now - start < maxSeconds * 1000, "no full mesh after " + maxSeconds + " s:\n" + String.join("\n", notices));
            second();
        }
        return (now - start) / 1000;
    }

    @Test
    void twoNattedNodesConnectDirectlyThroughAPublicOneWithinSeconds() {
        Node pub = node("pub", 1, "203.0.113.1", null, null, 0);
        Node a = node("a", 2, "192.168.1.2", "nat1", "198.51.100.1", 40002);
        Node b = node("b", 3, "192.168.2.3", "nat2", "198.51.100.2", 40003);
        start(false, "pub");
        long took = runToFullMesh(30);
        second(); // the agents see it on their next device read
        System.out.println("NAT mesh of 3 converged in " + took + " simulated s\n" + String.join("\n", notices));
        assertTrue(took <= 10, "converged in " + took + " s");
        assertEquals(new InetSocketAddress(ip("198.51.100.2"), 40003), a.dev.peers.get(b.key).endpoint);
        assertEquals(new InetSocketAddress(ip("198.51.100.1"), 40002), b.dev.peers.get(a.key).endpoint);
        assertTrue(heard.stream().anyMatch(h -> h.node().equals("a") && h.notice() instanceof Action.Notice.Connected c
                        && c.peer().equals("b") && c.to() == MeshStatus.State.CONNECTED
                        && c.endpoint().equals(Optional.of(new InetSocketAddress(ip("198.51.100.2"), 40003)))
                        && c.source().equals(Optional.of(new MeshStatus.Source(MeshStatus.SourceKind.GOSSIP, "pub")))),
                String.join("\n", notices));
        MeshStatus st = a.mesh_.status(now);
        assertTrue(st.allConnected());
        assertEquals("gossip from pub", st.peers().get(1).endpointSource().orElseThrow().toString());
        assertTrue(pub.mesh_.status(now).allConnected());
    }

    @Test
    void lanPairUsesLanAddressesAndEveryoneConverges() {
        node("pub", 1, "203.0.113.1", null, null, 0);
        Node a = node("a", 2, "192.168.1.2", "nat1", "198.51.100.1", 40002);
        Node a2 = node("a2", 4, "192.168.1.4", "nat1", "198.51.100.1", 40004);
        Node b = node("b", 3, "192.168.2.3", "nat2", "198.51.100.2", 40003);
        start(true, "pub");
        long took = runToFullMesh(40);
        System.out.println("NAT+LAN mesh of 4 converged in " + took + " simulated s\n" + String.join("\n", notices));
        assertTrue(took <= 15, "converged in " + took + " s");
        assertEquals(new InetSocketAddress(ip("192.168.1.4"), 51820), a.dev.peers.get(a2.key).endpoint);
        assertEquals(new InetSocketAddress(ip("192.168.1.2"), 51820), a2.dev.peers.get(a.key).endpoint);
        assertEquals(new InetSocketAddress(ip("198.51.100.2"), 40003), a2.dev.peers.get(b.key).endpoint);
        assertEquals(MeshStatus.State.LAN, a.mesh_.status(now).peers().get(1).state());
        assertTrue(b.mesh_.persistentState().values().stream().flatMap(List::stream)
                        .noneMatch(e -> e.address().getAddress().isSiteLocalAddress()),
                "LAN addresses stay on the LAN: " + b.mesh_.persistentState());
        // and it stays up: no flapping over ten simulated minutes
        second(); // (the agents log the last connections on their next read)
        int before = notices.size();
        for (int i = 0; i < 600; i++) second();
        assertTrue(fullMesh());
        assertEquals(before, notices.size(), String.join("\n", notices.subList(before, notices.size())));
    }

    /** pub public, a and b behind NATs 1 and 2: a full mesh that has stood for a minute. */
    void natPairUpForAMinute() {
        node("pub", 1, "203.0.113.1", null, null, 0);
        node("a", 2, "192.168.1.2", "nat1", "198.51.100.1", 40002);
        node("b", 3, "192.168.2.3", "nat2", "198.51.100.2", 40003);
        start(false, "pub");
        runToFullMesh(30);
        for (int i = 0; i < 60; i++) second();
    }

    @Test
    void aNatRemapIsFollowedByReconnection() {
        natPairUpForAMinute();
        Node a = nodes.get(1), b = nodes.get(2);
        b.wanPort = 41003; // NAT 2 forgets its mapping and picks another port
        long took = runToFullMesh(400);
        System.out.println("reconnected " + took + " simulated s after a NAT remap\n" + String.join("\n", notices));
        assertTrue(took <= 45, "reconnected " + took + " s after the remap, not at the 180 s handshake expiry");
        assertEquals(new InetSocketAddress(ip("198.51.100.2"), 41003), a.dev.peers.get(b.key).endpoint);
    }

    @Test
    void bothNatsRemappingAtOnceAreFollowedDirectly() {
        natPairUpForAMinute();
        Node a = nodes.get(1), b = nodes.get(2);
        int before = notices.size();
        a.wanPort = 41002;
        b.wanPort = 41003;
        long took = runToFullMesh(400);
        System.out.println("reconnected " + took + " simulated s after both NATs re-mapped\n" + String.join("\n", notices.subList(before, notices.size())));
        assertTrue(took <= 45, "reconnected " + took + " s after the remap");
    }
}
