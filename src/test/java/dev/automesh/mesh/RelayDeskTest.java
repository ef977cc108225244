package dev.automesh.mesh;

import static dev.automesh.testsupport.TestValues.ep;
import static dev.automesh.testsupport.TestValues.key;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.automesh.wg.IpPrefix;
import dev.automesh.wg.WgPeer;
import dev.automesh.wire.Extension;
import dev.automesh.wire.Extension.Refusal;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The relay role on its own: which requests open a session, refreshes, closing, and the bounds under a flood. */
class RelayDeskTest {
    static final int GOSSIP = 1666;
    static final long T0 = 1_800_000_000_000L;
    static final Extension.Capabilities CAPS = new Extension.Capabilities(1, 1, 1700, "automesh");

    final Map<String, PeerPath> byB64 = new HashMap<>();
    final List<PeerPath> peers = new ArrayList<>();
    final Neighbours neighbours = new Neighbours();

    PeerPath peer(int n, boolean automesh) {
        PeerPath p = new PeerPath(FakeDevice.peerConfig("p" + n, key(n), "10.9." + (n / 250) + "." + (n % 250 + 1), null),
                key(0).toBase64(), GOSSIP);
        byB64.put(p.b64(), p);
        peers.add(p);
        if (automesh) neighbours.capabilities(p.key(), CAPS);
        live(p, T0);
        return p;
    }

    static void live(PeerPath p, long now) {
        p.observe(Optional.of(new WgPeer(p.key(), Optional.of(ep("198.51.100.9:51820")), now / 1000, 30,
                List.of(IpPrefix.host(p.gossipAddress().getAddress())), now, now)), now, new Out());
    }

    RelayDesk desk(boolean willing) {
        return new RelayDesk(willing, 1667, GOSSIP, new SplittableRandom(7), neighbours, byB64::get);
    }

    static List<Extension> extensions(Out out) {
        return out.actions().stream().filter(Action.Send.class::isInstance).map(Action.Send.class::cast)
                .flatMap(s -> s.extensions().stream()).toList();
    }

    static <T> List<T> of(List<?> l, Class<T> t) {
        return l.stream().filter(t::isInstance).map(t::cast).toList();
    }

    @Test
    void servesTwoLiveAutomeshPeersAndTellsBoth() {
        PeerPath a = peer(1, true), b = peer(2, true);
        RelayDesk d = desk(true);
        Out out = new Out();
        d.onRequest(a, new Extension.RelayRequest(42, b.b64()), T0, out);
        Action.RelayServe serve = of(out.actions(), Action.RelayServe.class).get(0);
        assertEquals(new java.net.InetSocketAddress(a.gossipAddress().getAddress(), 1700), serve.x());
        assertEquals(new java.net.InetSocketAddress(b.gossipAddress().getAddress(), 1700), serve.y());
        List<Extension.RelayReady> ready = of(extensions(out), Extension.RelayReady.class);
        assertEquals(List.of(new Extension.RelayReady(42, serve.sessionId(), b.b64(), 1667, 60),
                new Extension.RelayReady(42, serve.sessionId(), a.b64(), 1667, 60)), ready);
        List<Action.Send> to = of(out.actions(), Action.Send.class);
        assertEquals(List.of(a.gossipAddress(), b.gossipAddress()), to.stream().map(Action.Send::to).toList());
        // a refresh returns the same session
        Out again = new Out();
        d.onRequest(a, new Extension.RelayRequest(43, b.b64()), T0 + 20_000, again);
        assertEquals(serve.sessionId(), of(again.actions(), Action.RelayServe.class).get(0).sessionId());
        assertEquals(List.of(new MeshStatus.RelayServed("p1", "p2", serve.sessionId())), d.status());
    }

    @Test
    void refusesWhatItMustNotServe() {
        PeerPath a = peer(1, true), b = peer(2, true), w = peer(3, false), dead = peer(4, true);
        live(dead, T0 - (PeerPath.CONNECTED_S + 20) * 1000); // its last handshake is too old
        assertEquals(Refusal.OPTED_OUT, refusal(desk(false), a, b.b64()));
        RelayDesk d = desk(true);
        assertEquals(Refusal.NOT_A_PEER, refusal(d, a, a.b64()));
        assertEquals(Refusal.NOT_A_PEER, refusal(d, a, key(99).toBase64()));
        assertEquals(Refusal.PEER_NOT_AUTOMESH, refusal(d, a, w.b64()));
        assertEquals(Refusal.NO_TUNNEL_TO_PEER, refusal(d, a, dead.b64()));
        assertEquals(0, d.sessionCount());
        assertEquals(4, d.counters().refused());
    }

    int refusal(RelayDesk d, PeerPath from, String target) {
        Out out = new Out();
        d.onRequest(from, new Extension.RelayRequest(1, target), T0, out);
        assertTrue(of(out.actions(), Action.RelayServe.class).isEmpty());
        return of(extensions(out), Extension.RelayRefused.class).get(0).reason();
    }

    @Test
    void aDeadEndClosesTheSessionAndTellsTheOther() {
        PeerPath a = peer(1, true), b = peer(2, true);
        RelayDesk d = desk(true);
        Out out = new Out();
        d.onRequest(a, new Extension.RelayRequest(1, b.b64()), T0, out);
        long id = of(out.actions(), Action.RelayServe.class).get(0).sessionId();
        // a refreshes the session while b's handshake still counts; then b's ages out, a's not
        long refresh = T0 + (PeerPath.CONNECTED_S - 100) * 1000;
        live(a, refresh);
        d.onRequest(a, new Extension.RelayRequest(2, b.b64()), refresh, new Out());
        Out later = new Out();
        d.drive(T0 + (PeerPath.CONNECTED_S + 1) * 1000, later);
        assertEquals(List.of(new Action.RelayUnserve(id)), of(later.actions(), Action.RelayUnserve.class));
        assertEquals(List.of(new Extension.RelayClose(id, Extension.Closing.TUNNEL_GONE)), extensions(later));
        assertEquals(a.gossipAddress(), of(later.actions(), Action.Send.class).get(0).to());
        assertEquals(0, d.sessionCount());
    }

    @Test
    void anEndsCloseEndsItAndOnlyAnEndMayCloseIt() {
        PeerPath a = peer(1, true), b = peer(2, true), c = peer(3, true);
        RelayDesk d = desk(true);
        Out out = new Out();
        d.onRequest(a, new Extension.RelayRequest(1, b.b64()), T0, out);
        long id = of(out.actions(), Action.RelayServe.class).get(0).sessionId();
        Out x = new Out();
        d.onClose(c, new Extension.RelayClose(id, 0), x);
        assertEquals(1, d.sessionCount(), "a stranger cannot close it");
        d.onClose(b, new Extension.RelayClose(id, 0), x);
        assertEquals(0, d.sessionCount());
        assertEquals(a.gossipAddress(), of(x.actions(), Action.Send.class).get(0).to());
    }

    @Test
    void aFloodOfRequestsStaysBoundedAndCounted() {
        List<PeerPath> ps = new ArrayList<>();
        for (int i = 1; i <= 40; i++) ps.add(peer(i, true));
        RelayDesk d = desk(true);
        Out out = new Out();
        long sent = 0;
        // every peer asks for every other, ten times, within one rate window
        for (int round = 0; round < 10; round++) {
            for (PeerPath from : ps) {
                for (PeerPath to : ps) {
                    if (from == to) continue;
                    d.onRequest(from, new Extension.RelayRequest(sent++, to.b64()), T0 + round, out);
                }
            }
        }
        MeshStatus.RelayDeskCounters c = d.counters();
        assertEquals(RelayDesk.MAX_SESSIONS, d.sessionCount());
        assertEquals(sent, c.served() + c.refused() + c.rateLimited());
        assertEquals(40L * RelayDesk.RATE_REQUESTS, c.served() + c.refused(), "each requester answered at most RATE_REQUESTS times");
        assertTrue(c.refused() > 0, c.toString());
        assertTrue(out.actions().size() <= 3 * 40 * RelayDesk.RATE_REQUESTS, "answers bounded by the rate, not by the flood");
        // a new window lets a requester in again
        Out next = new Out();
        d.onRequest(ps.get(0), new Extension.RelayRequest(1, ps.get(1).b64()), T0 + RelayDesk.RATE_WINDOW_MS, next);
        assertTrue(!next.actions().isEmpty());
    }

    @Test
    void unrefreshedSessionsAreForgotten() {
        PeerPath a = peer(1, true), b = peer(2, true);
        RelayDesk d = desk(true);
        Out out = new Out();
        d.onRequest(a, new Extension.RelayRequest(1, b.b64()), T0, out);
        long id = of(out.actions(), Action.RelayServe.class).get(0).sessionId();
        live(a, T0 + RelayDesk.FORGET_MS);
        live(b, T0 + RelayDesk.FORGET_MS);
        Out later = new Out();
        d.drive(T0 + RelayDesk.FORGET_MS, later);
        assertEquals(List.of(new Action.RelayUnserve(id)), of(later.actions(), Action.RelayUnserve.class));
        assertEquals(2, of(extensions(later), Extension.RelayClose.class).size());
    }

    @Test
    void aPunchReportIsPassedOnOnlyBetweenPeersItWouldRelayForAndAtMostOnceASecondPerPair() {
        PeerPath a = peer(1, true), b = peer(2, true), w = peer(3, false), dead = peer(4, true);
        live(dead, T0 - (PeerPath.CONNECTED_S + 20) * 1000);
        RelayDesk d = desk(true);
        java.net.InetSocketAddress at = ep("203.0.113.1:51000");
        Out out = new Out();
        d.onPunchReport(b, new Extension.PunchReport(a.b64(), at, 3_000), T0, out);
        assertEquals(List.of(new Extension.PunchNotice(b.b64(), at, 3_000)), extensions(out), "b's word, unchanged, naming b");
        assertEquals(List.of(a.gossipAddress()), of(out.actions(), Action.Send.class).stream().map(Action.Send::to).toList(),
                "to a's mesh address only");
        Out again = new Out();
        d.onPunchReport(b, new Extension.PunchReport(a.b64(), at, 3_500), T0 + 500, again);
        assertTrue(again.actions().isEmpty(), "once a second per pair");
        Out other = new Out();
        d.onPunchReport(b, new Extension.PunchReport(dead.b64(), at, 3_500), T0 + 500, other);
        d.onPunchReport(b, new Extension.PunchReport(w.b64(), at, 3_500), T0 + 500, other);
        d.onPunchReport(b, new Extension.PunchReport(key(99).toBase64(), at, 3_500), T0 + 500, other);
        d.onPunchReport(b, new Extension.PunchReport(b.b64(), at, 3_500), T0 + 500, other);
        desk(false).onPunchReport(b, new Extension.PunchReport(a.b64(), at, 3_000), T0, other);
        assertTrue(other.actions().isEmpty(), "no tunnel, wgautomesh, a stranger, itself, or relaying off: nothing");
        Out later = new Out();
        d.onPunchReport(b, new Extension.PunchReport(a.b64(), at, 4_000), T0 + RelayDesk.NOTICE_EVERY_MS, later);
        assertEquals(1, extensions(later).size());
        assertEquals(2, d.counters().noticesPassed());
        assertEquals(5, d.counters().noticesDropped());
    }
}
