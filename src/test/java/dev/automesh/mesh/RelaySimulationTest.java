package dev.automesh.mesh;

import static dev.automesh.testsupport.TestValues.ip;
import static dev.automesh.testsupport.TestValues.key;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.automesh.config.HostPort;
import dev.automesh.config.PeerConfig;
import dev.automesh.crypto.WgKey;
import dev.automesh.mesh.Action.Notice;
import dev.automesh.mesh.MeshStatus.State;
import dev.automesh.wire.Extension;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * Several real Mesh instances against a simulated network where some pairs cannot punch, with the
 * relay data plane simulated too: a RelayServe opens a session at the relay node, a RelayUse gives
 * the end a loopback address at once (onRelayEndpoint), and a WireGuard packet sent to that loopback
 * arrives at the other end when both ends use the same session, the relay serves it, and both ends'
 * tunnels to the relay are up. The other end's WireGuard sees the sender at its own loopback.
 *
 * <p>NATs: endpoint-independent mapping, address-and-port-dependent filtering unless {@code
 * permissive} (then any WAN input is let in); a {@code symmetric} node cannot reach or be reached
 * directly by another NAT-ed node. A {@code wgautomesh} node sends no extensions and ignores them.
 */
class RelaySimulationTest {
    static final int GOSSIP = 1666;
    static final long T0 = 1_800_000_000_000L;

    record Proxy(WgKey peer, long session, InetSocketAddress relaySocket, InetSocketAddress loopback) {}

    record Sent(String from, String to, Extension ext, long at) {}

    static final class Node {
        final String name;
        final WgKey key;
        final InetAddress mesh;
        final InetAddress lanIp;
        final boolean natted;
        final InetAddress wanIp;
        final int wanPort;
        final int port = 51820;
        final FakeDevice dev;
        boolean symmetric, permissive, dead, wgautomesh;
        /** The agent is gone but WireGuard is up: the tunnel lives, nothing is answered or relayed. */
        boolean agentDead;
        Mesh mesh_;
        final Map<WgKey, Long> lastInit = new HashMap<>();
        final Map<WgKey, Long> lastKeepalive = new HashMap<>();
        final Map<WgKey, InetSocketAddress> initTo = new HashMap<>();
        final Map<Long, InetSocketAddress[]> served = new HashMap<>();
        final Map<WgKey, Proxy> proxies = new HashMap<>();
        /** Sessions whose relayed frames its agent drops (a probe of the direct path is on). */
        final java.util.Set<Long> muted = new java.util.HashSet<>();
        int nextLoopPort = 30000;
        /** When this node last sent to each public address: its NAT's filter (conntrack) lets answers in for 30 s. */
        final Map<InetSocketAddress, Long> sentTo = new HashMap<>();

        Node(String name, int n, String lanIp, String wanIp, int wanPort) {
            this.name = name;
            this.key = key(n);
            this.mesh = ip("10.9.0." + n);
            this.lanIp = ip(lanIp);
            this.natted = wanIp != null;
            this.wanIp = wanIp == null ? null : ip(wanIp);
            this.wanPort = wanPort;
            this.dev = new FakeDevice(key, port);
        }

        InetSocketAddress face() {
            return natted ? new InetSocketAddress(wanIp, wanPort) : new InetSocketAddress(lanIp, port);
        }
    }

    final List<Node> nodes = new ArrayList<>();
    final ArrayDeque<Runnable> inFlight = new ArrayDeque<>();
    final List<String> log = new ArrayList<>();
    final List<Map.Entry<String, Notice>> heard = new ArrayList<>();
    final List<Sent> sent = new ArrayList<>();
    final List<String> mutes = new ArrayList<>();
    final List<Map.Entry<Long, Action.RelayServe>> serves = new ArrayList<>();
    long now = T0;

    Node node(String name, int n, String lanIp, String wanIp, int wanPort) {
        Node x = new Node(name, n, lanIp, wanIp, wanPort);
        nodes.add(x);
        return x;
    }

    Node byMesh(InetAddress a) {
        return nodes.stream().filter(n -> n.mesh.equals(a)).findFirst().orElse(null);
    }

    Node byKey(WgKey k) {
        return nodes.stream().filter(n -> n.key.equals(k)).findFirst().orElseThrow();
    }

    /** Where y's WireGuard sees a packet from x sent to {@code to}, or null when it does not arrive. */
    InetSocketAddress arrival(Node x, Node y, InetSocketAddress to, boolean viaRelayAllowed) {
        if (x.dead || y.dead) return null;
        if (to.getAddress().isLoopbackAddress()) {
            if (!viaRelayAllowed) return null;
            Proxy px = x.proxies.get(y.key);
            Proxy py = y.proxies.get(x.key);
            if (px == null || !px.loopback().equals(to) || py == null || py.session() != px.session()) return null;
            Node c = byMesh(px.relaySocket().getAddress());
            if (c == null || c.dead || c.agentDead || !c.served.containsKey(px.session())) return null;
            if (y.muted.contains(py.session())) return null;
            return tunnelUp(x, c, false) && tunnelUp(c, y, false) ? py.loopback() : null;
        }
        if (!to.equals(y.face())) return null;
        if (x.natted && y.natted && (x.symmetric || y.symmetric)) return null;
        if (!y.natted || y.permissive) return x.face();
        Long sent = y.sentTo.get(x.face()); // the filter: y must have sent to x's face lately
        return sent != null && now - sent < 30_000 ? x.face() : null;
    }

    boolean tunnelUp(Node x, Node y, boolean viaRelayAllowed) {
        FakeDevice.P p = x.dev.peers.get(y.key);
        return p != null && p.handshake > 0 && now / 1000 - p.handshake < 180 && p.endpoint != null
                && arrival(x, y, p.endpoint, viaRelayAllowed) != null;
    }

    void start(String... configuredEndpoints) {
        List<String> pubs = List.of(configuredEndpoints);
        List<PeerConfig> peers = new ArrayList<>();
        for (Node n : nodes) {
            Optional<HostPort> ep = pubs.contains(n.name) ? Optional.of(new HostPort(n.lanIp.getHostAddress(), n.port)) : Optional.empty();
            peers.add(new PeerConfig(n.key, n.mesh, ep, Optional.of(n.name)));
        }
        long seed = 1;
        for (Node n : nodes) {
            n.mesh_ = new Mesh(new MeshSettings(n.key, GOSSIP, false, peers, !n.wgautomesh, GOSSIP + 1, seed++));
            handle(n, n.mesh_.start(Map.of(), now));
            for (Node p : nodes) {
                if (p != n && pubs.contains(p.name)) {
                    handle(n, n.mesh_.onResolved(p.key, List.of(new InetSocketAddress(p.lanIp, p.port)), now));
                }
            }
        }
        deliver();
    }

    void handle(Node n, List<Action> actions) {
        n.dev.apply(actions);
        for (Action a : actions) {
            if (a instanceof Notice notice) {
                log.add(String.format("%5.1f s %s: %s", (now - T0) / 1000.0, n.name, notice));
                heard.add(Map.entry(n.name, notice));
            } else if (a instanceof Action.Send s) {
                Node to = byMesh(s.to().getAddress());
                if (to == null) continue;
                List<Extension> exts = n.wgautomesh ? List.of() : s.extensions();
                for (Extension e : exts) sent.add(new Sent(n.name, to.name, e, now));
                if (tunnelUp(n, to, true)) {
                    // a gossip datagram is WireGuard data: it moves the counters and the receiver roams to its source
                    FakeDevice.P out = n.dev.peers.get(to.key);
                    FakeDevice.P in = to.dev.peer(n.key);
                    out.tx += 100;
                    in.rx += 100;
                    n.sentTo.put(out.endpoint, now);
                    in.endpoint = arrival(n, to, out.endpoint, true);
                    List<Extension> heardExts = to.wgautomesh ? List.of() : exts;
                    if (to.agentDead) { // its WireGuard still answers data with a (passive) keepalive
                        in.tx += 32;
                        out.rx += 32;
                        continue;
                    }
                    inFlight.add(() -> handle(to, to.mesh_.onDatagram(new InetSocketAddress(n.mesh, GOSSIP), s.message(),
                            heardExts, now)));
                }
            } else if (a instanceof Action.RelayServe r) {
                n.served.put(r.sessionId(), new InetSocketAddress[] {r.x(), r.y()});
                serves.add(Map.entry(now, r));
            } else if (a instanceof Action.RelayUnserve r) {
                n.served.remove(r.sessionId());
            } else if (a instanceof Action.RelayUse u) {
                InetSocketAddress loop = new InetSocketAddress(ip("127.0.0.1"), n.nextLoopPort++);
                n.proxies.put(u.peer(), new Proxy(u.peer(), u.sessionId(), u.relaySocket(), loop));
                inFlight.add(() -> handle(n, n.mesh_.onRelayEndpoint(u.peer(), u.sessionId(), loop, now)));
            } else if (a instanceof Action.RelayMute m) {
                mutes.add(n.name + (m.muted() ? " mutes" : " unmutes") + " at " + (now - T0) / 1000);
                if (m.muted()) n.muted.add(m.sessionId());
                else n.muted.remove(m.sessionId());
            } else if (a instanceof Action.RelayDrop d) {
                n.muted.remove(d.sessionId());
                Proxy p = n.proxies.get(d.peer());
                if (p != null && p.session() == d.sessionId()) n.proxies.remove(d.peer());
            }
        }
    }

    void deliver() {
        int count = 0;
        while (!inFlight.isEmpty()) {
            inFlight.poll().run();
            assertTrue(++count < 100_000, "gossip storm");
        }
    }

    /** One second of toy WireGuard: initiations every 5 s without a session, keepalives, roaming. */
    void wireguardStep() {
        long s = now / 1000;
        for (Node x : nodes) {
            if (x.dead) continue;
            for (FakeDevice.P p : x.dev.peers.values()) {
                Node y = byKey(p.key);
                if (p.endpoint == null) continue;
                boolean session = p.handshake > 0 && s - p.handshake < 120;
                if (!session) {
                    long last = x.lastInit.getOrDefault(y.key, Long.MIN_VALUE / 2);
                    boolean moved = !p.endpoint.equals(x.initTo.get(y.key));
                    if ((moved || now - last >= 5000) && (p.keepalive > 0 || moved)) {
                        x.lastInit.put(y.key, now);
                        x.initTo.put(y.key, p.endpoint);
                        x.sentTo.put(p.endpoint, now);
                        p.tx += 148;
                        InetSocketAddress src = arrival(x, y, p.endpoint, true);
                        if (src != null) {
                            FakeDevice.P q = y.dev.peer(x.key);
                            q.endpoint = src;
                            q.rx += 148;
                            p.handshake = s;
                            q.handshake = s;
                            p.rx += 92;
                            q.tx += 92;
                        }
                    }
                } else if (p.keepalive > 0 && now - x.lastKeepalive.getOrDefault(y.key, Long.MIN_VALUE / 2) >= p.keepalive * 1000L) {
                    x.lastKeepalive.put(y.key, now);
                    x.sentTo.put(p.endpoint, now);
                    p.tx += 32;
                    InetSocketAddress src = arrival(x, y, p.endpoint, true);
                    if (src != null) {
                        FakeDevice.P q = y.dev.peer(x.key);
                        q.endpoint = src;
                        q.rx += 32;
                    }
                }
            }
        }
    }

    void second() {
        for (Node n : nodes) {
            if (n.dead || n.agentDead) continue;
            handle(n, n.mesh_.onDevice(n.dev.snapshot(), now));
            handle(n, n.mesh_.onTick(now));
        }
        deliver();
        wireguardStep();
        now += 1000;
    }

    void seconds(int n) {
        for (int i = 0; i < n; i++) second();
    }

    boolean reachable(Node x, Node y) {
        return tunnelUp(x, y, true) && tunnelUp(y, x, true);
    }

    MeshStatus.Peer statusOf(Node x, Node y) {
        return x.mesh_.status(now).peers().stream().filter(p -> p.name().equals(y.name)).findFirst().orElseThrow();
    }

    boolean relayedVia(Node x, Node y, Node via) {
        MeshStatus.Peer p = statusOf(x, y);
        return p.state() == State.RELAYED && p.relayedVia().equals(Optional.of(via.name));
    }

    long secondsUntil(java.util.function.BooleanSupplier cond, int max) {
        long start = now;
        while (!cond.getAsBoolean()) {
            assertTrue(now - start < max * 1000L, () -> "not within " + max + " s:\n" + String.join("\n", log) + "\n" + trace());
            second();
        }
        return (now - start) / 1000;
    }

    /** For failure messages: the relay extensions sent, and every node's view of every peer. */
    String trace() {
        StringBuilder sb = new StringBuilder();
        for (Sent x : sent) {
            if (!(x.ext() instanceof Extension.Capabilities)) {
                sb.append(String.format("%5.1f s %s -> %s: %s%n", (x.at() - T0) / 1000.0, x.from(), x.to(), x.ext()));
            }
        }
        for (Node x : nodes) {
            if (x.mesh_ == null) continue;
            for (MeshStatus.Peer p : x.mesh_.status(now).peers()) {
                sb.append(x.name).append(" sees ").append(p.name()).append(": ").append(p.state()).append(' ')
                        .append(p.endpoint()).append(' ').append(p.relayedVia()).append(' ').append(p.relayNote()).append('\n');
            }
        }
        return sb.toString();
    }

    static boolean smaller(Node x, Node y) {
        return Arrays.compareUnsigned(x.key.bytes(), y.key.bytes()) < 0;
    }

    long notices(String at, Class<?> type) {
        return heard.stream().filter(h -> h.getKey().equals(at) && type.isInstance(h.getValue())).count();
    }

    // ---------------------------------------------------------------- the cases

    /** pub public, a behind a symmetric NAT, b behind a plain one: a↔b can never punch. */
    void symmetricBed() {
        node("pub", 1, "203.0.113.1", null, 0);
        node("a", 2, "192.168.1.2", "198.51.100.1", 40002).symmetric = true;
        node("b", 3, "192.168.2.3", "198.51.100.2", 40003);
    }

    Node n(String name) {
        return nodes.stream().filter(x -> x.name.equals(name)).findFirst().orElseThrow();
    }

    @Test
    void aPairThatCannotPunchIsRelayedWithinTenSecondsAndOnlyTheSmallerKeyAsks() {
        symmetricBed();
        Node pub = n("pub"), a = n("a"), b = n("b");
        start("pub");
        long direct = secondsUntil(() -> reachable(a, pub) && reachable(b, pub), 10);
        assertTrue(direct <= 5, "direct pairs up in " + direct + " s");
        long relayed = direct + secondsUntil(() -> reachable(a, b), 15);
        System.out.println("relayed pair reachable " + relayed + " simulated s after a cold start\n" + String.join("\n", log));
        // ≤ 10 s is the goal; ≤ 7 s holds only while the other end's PunchReport lets the relay be asked
        // 3 s after both tried (without it: a whole 6 s window, 8 s here)
        assertTrue(relayed <= 7, "relayed pair reachable after " + relayed + " s");
        seconds(2);
        assertTrue(relayedVia(a, b, pub), () -> String.join("\n", log) + trace());
        assertTrue(relayedVia(b, a, pub), statusOf(b, a).toString());
        assertTrue(a.mesh_.status(now).allConnected());
        assertEquals(List.of(new MeshStatus.RelayServed(smaller(a, b) ? "a" : "b", smaller(a, b) ? "b" : "a",
                pub.served.keySet().iterator().next())), pub.mesh_.status(now).relaying());
        Node initiator = smaller(a, b) ? a : b;
        assertTrue(sent.stream().filter(s -> s.ext() instanceof Extension.RelayRequest).allMatch(s -> s.from().equals(initiator.name)),
                "only the smaller key asks");
        assertTrue(heard.stream().anyMatch(h -> h.getValue() instanceof Notice.Relayed r && r.via().equals("pub")
                && r.noDirectSeconds() > 0), () -> String.join("\n", log));
        // the relayed peer's loopback endpoint is never gossiped
        for (Node x : nodes) {
            assertTrue(x.mesh_.persistentState().values().stream().flatMap(List::stream)
                    .noneMatch(e -> e.address().getAddress().isLoopbackAddress()), x.name + " " + x.mesh_.persistentState());
        }
        // pub itself is never relayed, and the direct pairs never lost their path
        assertEquals(0, notices("pub", Notice.Relayed.class));
        assertEquals(0, heard.stream().filter(h -> h.getValue() instanceof Notice.Lost).count(), String.join("\n", log));
    }

    @Test
    void theSessionIsRefreshedWellWithinTheIdleTimeoutAndStaysUp() {
        symmetricBed();
        Node pub = n("pub"), a = n("a"), b = n("b");
        start("pub");
        secondsUntil(() -> reachable(a, b), 15);
        long id = pub.served.keySet().iterator().next();
        long from = now;
        Node initiator = smaller(a, b) ? a : b;
        Node other = initiator == a ? b : a;
        int appliedBefore = other.dev.applied.size();
        int initiatorBefore = initiator.dev.applied.size();
        int unreachable = 0;
        for (int i = 0; i < 300; i++) {
            second();
            assertTrue(pub.served.containsKey(id), () -> "session open at " + (now - from) / 1000 + " s" + String.join("\n", log) + trace());
            if (!reachable(a, b)) unreachable++;
        }
        // only the probes of the direct path (at 30 s, 90 s, 210 s: one-sided, then two-sided, where the
        // other end is off the relay for the window the initiator asked for) take the pair off the relay
        long perProbe = (RelayProbes.PROBE_WINDOW_MS + RelayProbes.BOTH_ASKED_MS) / 1000;
        assertTrue(unreachable <= 3 * perProbe, unreachable + " s unreachable");
        assertTrue(reachable(a, b));
        List<Long> times = serves.stream().filter(e -> e.getValue().sessionId() == id).map(Map.Entry::getKey).toList();
        for (int i = 1; i < times.size(); i++) {
            assertTrue(times.get(i) - times.get(i - 1) < RelayDesk.IDLE_TIMEOUT_S * 1000L, "refresh gap " + times);
        }
        assertTrue(times.get(times.size() - 1) > now - RelayDesk.IDLE_TIMEOUT_S * 1000L, "refreshed lately: " + times);
        // while relayed, the other end points WireGuard at a direct address only once per two-sided probe
        // the initiator asked for (stale NAT state can expire in between)
        long asked = sent.stream().filter(x -> x.from().equals(initiator.name) && x.to().equals(other.name)
                && x.ext() instanceof Extension.ProbeDirect).count();
        long otherDirect = other.dev.applied.subList(appliedBefore, other.dev.applied.size()).stream()
                .filter(u -> u.publicKey().equals(initiator.key))
                .filter(u -> u.endpoint().map(e -> !e.getAddress().isLoopbackAddress()).orElse(false)).count();
        assertEquals(3, asked, String.join("\n", log));
        assertEquals(asked, otherDirect, other.dev.applied.toString());
        assertTrue(initiator.dev.applied.subList(initiatorBefore, initiator.dev.applied.size()).stream()
                .anyMatch(u -> u.publicKey().equals(other.key)
                && u.endpoint().map(e -> !e.getAddress().isLoopbackAddress()).orElse(false)), "the initiator probed the direct path meanwhile");
        assertEquals(1, notices("a", Notice.Relayed.class), String.join("\n", log));
        assertEquals(0, notices("a", Notice.RelayLost.class), String.join("\n", log));
    }

    /** The symmetric bed with a second public node; a↔b relayed. Returns {the relay in use, the other one}. */
    Node[] relayedWithTwoRelays() {
        symmetricBed();
        Node pub2 = node("pub2", 4, "203.0.113.4", null, 0);
        Node a = n("a"), b = n("b");
        start("pub", "pub2");
        secondsUntil(() -> reachable(a, b), 15);
        seconds(2);
        Node first = relayedVia(a, b, n("pub")) ? n("pub") : pub2;
        return new Node[] {first, first == pub2 ? n("pub") : pub2};
    }

    @Test
    void whenTheRelayDiesThePairMovesToAnotherWithinTenSecondsThenSaysNoneIsLeft() {
        Node[] relays = relayedWithTwoRelays();
        Node first = relays[0], second = relays[1];
        Node a = n("a"), b = n("b");
        assertTrue(relayedVia(a, b, first), statusOf(a, b).toString());
        first.dead = true;
        long took = secondsUntil(() -> reachable(a, b) && relayedVia(a, b, second) && relayedVia(b, a, second), 30);
        System.out.println("failover to " + second.name + " in " + took + " simulated s\n" + String.join("\n", log));
        assertTrue(took <= 10, "failover took " + took + " s");
        assertTrue(heard.stream().anyMatch(h -> h.getValue() instanceof Notice.RelayLost l && l.via().equals(first.name)));
        second.dead = true;
        secondsUntil(() -> statusOf(a, b).relayNote().equals(Optional.of("no relay available")), 30);
        assertFalse(a.mesh_.status(now).allConnected());
    }

    @Test
    void aRelayWhoseAgentDiedButWhoseTunnelLivesIsNotAskedAgainAndTheLastWordIsNoneLeft() {
        Node[] relays = relayedWithTwoRelays();
        Node first = relays[0], second = relays[1];
        Node a = n("a"), b = n("b");
        Node initiator = smaller(a, b) ? a : b;
        Node other = initiator == a ? b : a;
        first.agentDead = true;
        secondsUntil(() -> reachable(a, b) && relayedVia(a, b, second) && relayedVia(b, a, second), 30);
        seconds((int) (RelayPaths.BAD_RELAY_MS / 1000) + 5); // the first relay's bad mark has run out
        long diedAt = now;
        second.agentDead = true;
        secondsUntil(() -> statusOf(initiator, other).relayNote().equals(Optional.of("no relay available")), 30);
        assertTrue(sent.stream().noneMatch(x -> x.at() >= diedAt && x.to().equals(first.name) && x.ext() instanceof Extension.RelayRequest),
                "the relay whose agent died was asked again although its Pings went unanswered:\n" + trace());
        List<String> after = heard.stream().filter(h -> h.getKey().equals(initiator.name)).map(h -> h.getValue().toString()).toList();
        Notice last = heard.stream().filter(h -> h.getKey().equals(initiator.name)
                        && (h.getValue() instanceof Notice.RelayLost || h.getValue() instanceof Notice.RelayDeclined))
                .reduce((x, y) -> y).orElseThrow().getValue();
        Optional<String> next = last instanceof Notice.RelayLost l ? l.next() : ((Notice.RelayDeclined) last).next();
        assertEquals(Optional.empty(), next, "the last relay notice says none is left: " + after);
    }

    @Test
    void aWgautomeshNodeIsNeverAskedToRelayNorSentARelayExtension() {
        symmetricBed();
        Node pub = n("pub"), a = n("a"), b = n("b");
        pub.wgautomesh = true;
        start("pub");
        seconds(40);
        assertFalse(reachable(a, b));
        assertTrue(sent.stream().filter(s -> s.to().equals("pub")).allMatch(s -> s.ext() instanceof Extension.Capabilities),
                "only Capabilities (a trailer wgautomesh ignores) ever went to pub");
        assertTrue(sent.stream().noneMatch(s -> s.from().equals("pub")));
        Node initiator = smaller(a, b) ? a : b;
        Node other = initiator == a ? b : a;
        assertEquals(Optional.of("no relay available"), statusOf(initiator, other).relayNote());
        assertTrue(a.mesh_.status(now).relaying().isEmpty() && b.mesh_.status(now).relaying().isEmpty());
    }

    @Test
    void backToDirectWhenTheNatBecomesPunchableAndNoFlapping() {
        symmetricBed();
        Node a = n("a"), b = n("b");
        a.permissive = true;
        b.permissive = true;
        start("pub");
        secondsUntil(() -> reachable(a, b), 15);
        seconds(2);
        assertTrue(relayedVia(a, b, n("pub")));
        seconds(20);
        a.symmetric = false; // NAT 1 goes back to plain masquerade
        // Direct in both statuses and on both devices: a status is as of the last device read.
        long took = secondsUntil(() -> statusOf(a, b).state() == State.CONNECTED && statusOf(b, a).state() == State.CONNECTED
                && a.face().equals(b.dev.peers.get(a.key).endpoint) && b.face().equals(a.dev.peers.get(b.key).endpoint), 400);
        System.out.println("back to direct " + took + " simulated s after the NAT allowed it\n" + String.join("\n", log));
        assertTrue(heard.stream().anyMatch(h -> h.getValue() instanceof Notice.DirectAgain), String.join("\n", log));
        assertEquals(a.face(), b.dev.peers.get(a.key).endpoint);
        assertEquals(b.face(), a.dev.peers.get(b.key).endpoint);
        int before = heard.size();
        seconds(600);
        assertTrue(reachable(a, b));
        assertEquals(State.CONNECTED, statusOf(a, b).state());
        assertEquals(before, heard.size(), String.join("\n", log.subList(Math.max(0, log.size() - 10), log.size())));
        assertTrue(n("pub").served.isEmpty(), "the relay let the session go");
        assertTrue(a.proxies.isEmpty() && b.proxies.isEmpty());
    }

    /**
     * Address-and-port-dependent filtering on both NATs (as the NAT bed's plain masquerade): a probe
     * from one end alone is dropped at the other's NAT, so the pair leaves the relay only through a
     * two-sided probe (ProbeDirect), and then stays direct.
     */
    @Test
    void backToDirectThroughTwoFilteringNatsByATwoSidedProbe() {
        symmetricBed();
        Node a = n("a"), b = n("b"), pub = n("pub");
        start("pub");
        secondsUntil(() -> reachable(a, b), 15);
        seconds(2);
        assertTrue(relayedVia(a, b, pub));
        seconds(20);
        a.symmetric = false; // NAT 1 goes back to plain masquerade, still filtering
        secondsUntil(() -> statusOf(a, b).state() == State.CONNECTED && statusOf(b, a).state() == State.CONNECTED, 400);
        System.out.println(String.join("\n", log));
        Node initiator = smaller(a, b) ? a : b;
        Node other = initiator == a ? b : a;
        assertTrue(sent.stream().anyMatch(x -> x.from().equals(initiator.name) && x.to().equals(other.name)
                && x.ext() instanceof Extension.ProbeDirect), "the initiator asked for a two-sided probe");
        assertEquals(a.face(), b.dev.peers.get(a.key).endpoint);
        assertEquals(b.face(), a.dev.peers.get(b.key).endpoint);
        int before = heard.size();
        seconds(600);
        assertEquals(State.CONNECTED, statusOf(a, b).state());
        assertEquals(State.CONNECTED, statusOf(b, a).state());
        assertEquals(before, heard.size(), String.join("\n", log.subList(Math.max(0, log.size() - 10), log.size())));
        assertTrue(pub.served.isEmpty(), "the relay let the session go");
        assertTrue(a.proxies.isEmpty() && b.proxies.isEmpty());
    }

    @Test
    void aDirectPathThatBrokeIsProbedFromBothSidesSoonAfterTheRelayTookOver() {
        node("pub", 1, "203.0.113.1", null, 0);
        Node a = node("a", 2, "192.168.1.2", "198.51.100.1", 40002);
        Node b = node("b", 3, "192.168.2.3", "198.51.100.2", 40003);
        start("pub");
        secondsUntil(() -> reachable(a, b) && statusOf(a, b).state() == State.CONNECTED, 20);
        seconds(5);
        a.symmetric = true; // NAT 1 changes: a↔b cannot punch for now
        secondsUntil(() -> relayedVia(a, b, n("pub")) && relayedVia(b, a, n("pub")), 150);
        long relayedAt = now;
        a.symmetric = false; // and back to a plain (filtering) masquerade
        long took = secondsUntil(() -> statusOf(a, b).state() == State.CONNECTED && statusOf(b, a).state() == State.CONNECTED, 60);
        System.out.println("direct again " + took + " simulated s after the relay took over\n" + String.join("\n", log));
        assertTrue((now - relayedAt) / 1000 <= RelayProbes.PROBE_AFTER_BREAK_MS / 1000 + RelayProbes.BOTH_WINDOW_MS / 1000 + 3,
                "direct again only " + took + " s after the relay took over, not at the first probe");
        Node initiator = smaller(a, b) ? a : b;
        assertTrue(sent.stream().anyMatch(x -> x.from().equals(initiator.name) && x.ext() instanceof Extension.ProbeDirect),
                "the first probe was two-sided");
        assertEquals(a.face(), b.dev.peers.get(a.key).endpoint);
    }

    @Test
    void whileWireGuardPointsAtTheDirectEndpointForAProbeTheRelayedSessionIsMuted() {
        symmetricBed(); // never punchable: every probe fails and goes back to the relay
        Node a = n("a"), b = n("b");
        start("pub");
        secondsUntil(() -> relayedVia(a, b, n("pub")) && relayedVia(b, a, n("pub")), 30);
        Node initiator = smaller(a, b) ? a : b;
        Node other = initiator == a ? b : a;
        // the one-sided probe at 30 s, then the two-sided one
        secondsUntil(() -> mutes.stream().filter(m -> m.startsWith(other.name + " unmutes")).count() >= 1, 60);
        seconds(3);
        assertTrue(mutes.stream().filter(m -> m.startsWith(initiator.name + " mutes")).count() >= 2, mutes.toString());
        assertTrue(mutes.stream().anyMatch(m -> m.startsWith(other.name + " mutes")), mutes.toString());
        assertTrue(a.muted.isEmpty() && b.muted.isEmpty(), "both back on the relay, unmuted: " + mutes);
        assertTrue(reachable(a, b), "and carried by it again");
    }
}
