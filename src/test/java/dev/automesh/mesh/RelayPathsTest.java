package dev.automesh.mesh;

import static dev.automesh.testsupport.TestValues.ep;
import static dev.automesh.testsupport.TestValues.key;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.automesh.crypto.WgKey;
import dev.automesh.mesh.Action.Notice;
import dev.automesh.mesh.RelayEnd.Phase;
import dev.automesh.testsupport.TestValues;
import dev.automesh.wg.IpPrefix;
import dev.automesh.wg.PeerUpdate;
import dev.automesh.wg.WgPeer;
import dev.automesh.wire.Extension;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The end side on its own: when it asks, whom, the timeouts and refusals, and what it ignores. */
class RelayPathsTest {
    static final int GOSSIP = 1666;
    static final long T0 = 1_800_000_000_000L;
    static final Extension.Capabilities CAPS = new Extension.Capabilities(1, 1, 1700, "automesh");

    final Map<String, PeerPath> byB64 = new HashMap<>();
    final List<PeerPath> peers = new ArrayList<>();
    final Neighbours neighbours = new Neighbours();
    WgKey own = key(0);

    PeerPath peer(int n, boolean relay) {
        PeerPath p = new PeerPath(FakeDevice.peerConfig("p" + n, key(n), "10.9.0." + n, null), own.toBase64(), GOSSIP);
        byB64.put(p.b64(), p);
        peers.add(p);
        if (relay) neighbours.capabilities(p.key(), CAPS);
        return p;
    }

    static void live(PeerPath p, long now) {
        p.observe(Optional.of(new WgPeer(p.key(), Optional.of(ep("198.51.100.9:51820")), now / 1000, 30,
                List.of(IpPrefix.host(p.gossipAddress().getAddress())), now, now)), now, new Out());
    }

    /** A peer without a session, judged once at T0 (probing begins) with no candidates. */
    static void down(PeerPath p) {
        p.observe(Optional.of(new WgPeer(p.key(), Optional.empty(), 0, 0, List.of(IpPrefix.host(p.gossipAddress().getAddress())),
                0, 0)), T0, new Out());
        p.judge(List.of(), T0, new Out());
    }

    RelayPaths paths() {
        return new RelayPaths(own, new SplittableRandom(3), neighbours, byB64::get, peers);
    }

    static List<Map.Entry<String, Extension>> relayExts(Out out) {
        List<Map.Entry<String, Extension>> l = new ArrayList<>();
        for (Action a : out.actions()) {
            if (a instanceof Action.Send s) for (Extension e : s.extensions()) l.add(Map.entry(s.to().getAddress().getHostAddress(), e));
        }
        return l;
    }

    @Test
    void theInitiatorAsksTheLowestRoundTripRelayAfterEightSecondsThenTheNextOnTimeoutAndRefusal() {
        PeerPath slow = peer(1, true), fast = peer(2, true), b = peer(3, false), optOut = peer(4, false);
        RelayPaths r = paths();
        assertTrue(r.initiator(b), "key(0) is the smallest");
        down(b);
        neighbours.pinged(slow.key(), T0 - 1000);
        neighbours.ponged(slow.key(), T0 - 800);
        neighbours.pinged(fast.key(), T0 - 1000);
        neighbours.ponged(fast.key(), T0 - 990);
        long t = T0 + RelayPaths.RELAY_AFTER_MS - 1000;
        for (PeerPath p : List.of(slow, fast, optOut)) live(p, t);
        Out early = new Out();
        r.afterDirect(b, List.of(), t, early);
        assertTrue(relayExts(early).isEmpty(), "not before 8 s");
        t += 1000;
        for (PeerPath p : List.of(slow, fast, optOut)) live(p, t);
        Out ask = new Out();
        r.afterDirect(b, List.of(), t, ask);
        assertEquals("10.9.0.2", relayExts(ask).get(0).getKey(), "the lowest round trip first");
        Extension.RelayRequest req = (Extension.RelayRequest) relayExts(ask).get(0).getValue();
        assertEquals(b.b64(), req.peer());
        // no answer within the setup timeout: the next one
        t += RelayPaths.SETUP_TIMEOUT_MS;
        for (PeerPath p : List.of(slow, fast)) live(p, t);
        Out next = new Out();
        r.afterDirect(b, List.of(), t, next);
        assertEquals("10.9.0.1", relayExts(next).get(0).getKey());
        long id = ((Extension.RelayRequest) relayExts(next).get(0).getValue()).requestId();
        // a refusal: none left (the opted-out peer never offered), said clearly
        Out refused = new Out();
        r.onRefused(slow, new Extension.RelayRefused(id, b.b64(), Extension.Refusal.NO_TUNNEL_TO_PEER), t, refused);
        assertEquals(Optional.of(Phase.IDLE), r.phase(b.key()));
        MeshStatus.Peer st = r.status(b, b.status(List.of(), t), t);
        assertEquals(Optional.of("no relay available"), st.relayNote());
    }

    @Test
    void theOtherEndNeverAsksButFollowsTheRelaysReady() {
        own = key(3);
        PeerPath c = peer(1, true), b = peer(2, false);
        RelayPaths r = paths();
        assertTrue(Arrays.compareUnsigned(own.bytes(), b.key().bytes()) > 0 && !r.initiator(b), "we hold the larger key");
        down(b);
        long t = T0 + 60_000;
        live(c, t);
        Out out = new Out();
        r.afterDirect(b, List.of(), t, out);
        assertTrue(relayExts(out).isEmpty(), "the larger key never sends RelayRequest");
        Out ready = new Out();
        r.onReady(c, new Extension.RelayReady(9, 77, b.b64(), 1667, 60), t, ready);
        assertEquals(List.of(new Action.RelayUse(b.key(), 77, new java.net.InetSocketAddress(c.gossipAddress().getAddress(), 1667))),
                ready.actions());
        Out endpoint = new Out();
        r.onEndpoint(b, 77, ep("127.0.0.1:30000"), t, endpoint);
        Action.Configure conf = (Action.Configure) endpoint.actions().get(0);
        assertEquals(Optional.of(ep("127.0.0.1:30000")), conf.updates().get(0).endpoint());
        assertEquals(Optional.of(0), conf.updates().get(0).persistentKeepalive(), "no keepalive until it works: it does not initiate");
        assertFalse(conf.updates().get(0).fresh(), "only the initiator re-creates the peer: ours may have answered it already");
        assertTrue(b.relayed());
    }

    @Test
    void aReadyNobodyAskedForIsClosedAndAWgautomeshRelayIsNeverAsked() {
        PeerPath w = peer(1, false), b = peer(2, false);
        RelayPaths r = paths();
        down(b);
        long t = T0 + 60_000;
        live(w, t);
        Out out = new Out();
        r.afterDirect(b, List.of(), t, out);
        assertTrue(relayExts(out).isEmpty(), "a peer without Capabilities is never asked");
        assertEquals(Optional.of(Phase.IDLE), r.phase(b.key()));
        PeerPath c = peer(3, true);
        live(c, t);
        Out stray = new Out();
        r.onReady(c, new Extension.RelayReady(5, 6, b.b64(), 1667, 60), t, stray);
        assertEquals(List.of(Map.entry("10.9.0.3", (Extension) new Extension.RelayClose(6, Extension.Closing.NOT_NEEDED))),
                relayExts(stray));
    }

    static Optional<WgPeer> read(PeerPath p, String endpoint, long handshakeS, long rx) {
        return Optional.of(new WgPeer(p.key(), Optional.ofNullable(endpoint).map(TestValues::ep), handshakeS, 10,
                List.of(IpPrefix.host(p.gossipAddress().getAddress())), rx, rx));
    }

    static List<PeerUpdate> updates(Out out) {
        List<PeerUpdate> l = new ArrayList<>();
        for (Action a : out.actions()) if (a instanceof Action.Configure c) l.addAll(c.updates());
        return l;
    }

    @Test
    void aSwitchWithoutASessionReCreatesThePeerOnceMoreIfNoHandshakeFollowsAndCopesWithCountersStartingOver() {
        PeerPath c = peer(1, true), b = peer(2, false);
        RelayPaths r = paths();
        // b had a session long ago (its counters are high), none now
        b.observe(read(b, "198.51.100.2:40000", T0 / 1000 - 3600, 5000), T0, new Out());
        b.judge(List.of(), T0, new Out());
        long t = T0 + RelayPaths.RELAY_AFTER_MS;
        live(c, t);
        Out ask = new Out();
        r.afterDirect(b, List.of(), t, ask);
        long req = ((Extension.RelayRequest) relayExts(ask).get(0).getValue()).requestId();
        r.onReady(c, new Extension.RelayReady(req, 77, b.b64(), 1667, 60), t, new Out());
        Out sw = new Out();
        r.onEndpoint(b, 77, ep("127.0.0.1:30000"), t, sw);
        PeerUpdate u = updates(sw).get(0);
        assertTrue(u.fresh(), "no session to keep: re-created, so it may initiate at once");
        assertEquals(Optional.of(List.of(IpPrefix.host(b.gossipAddress().getAddress()))), u.replaceAllowedIps());
        assertEquals(Optional.of(ep("127.0.0.1:30000")), u.endpoint());
        assertEquals(Optional.of(PeerPath.KEEPALIVE_PROBING), u.persistentKeepalive());

        // the re-created peer: counters at 0, no handshake yet; one retry after FRESH_RETRY_MS, not before, not twice
        t += 1000;
        live(c, t);
        b.observe(read(b, "127.0.0.1:30000", 0, 0), t, new Out());
        Out early = new Out();
        r.drive(b, List.of(), t, early);
        assertTrue(updates(early).isEmpty());
        t += RelayPaths.FRESH_RETRY_MS;
        live(c, t);
        b.observe(read(b, "127.0.0.1:30000", 0, 0), t, new Out());
        Out retry = new Out();
        r.drive(b, List.of(), t, retry);
        assertEquals(1, updates(retry).size());
        assertTrue(updates(retry).get(0).fresh());
        t += 1000;
        live(c, t);
        b.observe(read(b, "127.0.0.1:30000", 0, 0), t, new Out());
        Out once = new Out();
        r.drive(b, List.of(), t, once);
        assertTrue(updates(once).isEmpty(), "one retry only");

        // the handshake: 92 bytes, far below the old 5000, is traffic through the relay
        t += 500;
        live(c, t);
        b.observe(read(b, "127.0.0.1:30000", t / 1000, 92), t, new Out());
        Out works = new Out();
        assertTrue(r.drive(b, List.of(), t, works), "traffic came back through the relay");
        assertTrue(works.actions().stream().anyMatch(a -> a instanceof Notice.Relayed));
        assertTrue(updates(works).stream().noneMatch(PeerUpdate::fresh), "a working session is never re-created");
    }

    @Test
    void aSwitchToTheNextRelayWithTheSessionStillHoldingKeysKeepsThePeer() {
        PeerPath c = peer(1, true), c2 = peer(3, true), b = peer(2, false);
        RelayPaths r = paths();
        down(b);
        long t = T0 + RelayPaths.RELAY_AFTER_MS;
        live(c, t);
        live(c2, t);
        neighbours.pinged(c.key(), T0);
        neighbours.ponged(c.key(), T0 + 1);
        Out ask = new Out();
        r.afterDirect(b, List.of(), t, ask);
        assertEquals("10.9.0.1", relayExts(ask).get(0).getKey());
        long req = ((Extension.RelayRequest) relayExts(ask).get(0).getValue()).requestId();
        r.onReady(c, new Extension.RelayReady(req, 77, b.b64(), 1667, 60), t, new Out());
        r.onEndpoint(b, 77, ep("127.0.0.1:30000"), t, new Out());
        t += 500;
        b.observe(read(b, "127.0.0.1:30000", t / 1000, 92), t, new Out());
        assertTrue(r.drive(b, List.of(), t, new Out()));
        // the relay goes away; the session made through it still holds keys
        Out closed = new Out();
        r.onClose(c, new Extension.RelayClose(77, Extension.Closing.TUNNEL_GONE), t, closed);
        Extension next = relayExts(closed).stream().filter(x -> x.getKey().equals("10.9.0.3")).findFirst().orElseThrow().getValue();
        r.onReady(c2, new Extension.RelayReady(((Extension.RelayRequest) next).requestId(), 78, b.b64(), 1667, 60), t, new Out());
        Out sw = new Out();
        r.onEndpoint(b, 78, ep("127.0.0.1:30001"), t, sw);
        assertFalse(updates(sw).get(0).fresh(), "a session with keys carries on through the new endpoint");
        assertEquals(Optional.of(ep("127.0.0.1:30001")), updates(sw).get(0).endpoint());
    }

    @Test
    void aCandidateLearntLateGetsOneWholeWindowBeforeTheRelayIsAsked() {
        PeerPath c = peer(1, true), b = peer(2, false);
        RelayPaths r = paths();
        down(b);
        List<PathCandidate> cands = List.of(new PathCandidate(ep("198.51.100.2:40000"),
                new MeshStatus.Source(MeshStatus.SourceKind.GOSSIP, ""), T0 / 1000, java.util.OptionalLong.empty()));
        // our tunnel to the gossiping node came up late: b's endpoint is tried 7 s after probing began
        long tried = T0 + 7_000;
        b.judge(cands, tried, new Out());
        b.move(cands, tried, new Out());
        for (long t = tried; t < tried + PeerPath.TRY_WINDOW_MS; t += 1000) {
            live(c, t);
            b.judge(cands, t, new Out());
            Out out = new Out();
            r.afterDirect(b, cands, t, out);
            assertTrue(relayExts(out).isEmpty(), "asked " + (t - tried) + " ms after the only candidate's first try");
        }
        long t = tried + PeerPath.TRY_WINDOW_MS;
        live(c, t);
        Out ask = new Out();
        r.afterDirect(b, cands, t, ask);
        assertTrue(relayExts(ask).get(0).getValue() instanceof Extension.RelayRequest, "asked once the window is over");
    }

    @Test
    void aDirectPathThatBrokeGetsLongerBeforeTheRelayEvenWhenItsOldCandidateFailed() {
        PeerPath c = peer(1, true), b = peer(2, false);
        RelayPaths r = paths();
        List<PathCandidate> cands = List.of(new PathCandidate(ep("198.51.100.2:40000"),
                new MeshStatus.Source(MeshStatus.SourceKind.GOSSIP, ""), T0 / 1000, java.util.OptionalLong.empty()));
        live(b, T0);
        b.judge(cands, T0, new Out());
        assertTrue(b.up());
        // a NAT re-map: the session ages out with nothing received (as a dead path is judged)
        long lost = T0 + (PeerPath.CONNECTED_S + 1) * 1000;
        boolean asked = false;
        long askedAt = 0;
        for (long t = lost; t <= lost + RelayPaths.RELAY_AFTER_LOSS_MS + 3_000 && !asked; t += 1000) {
            live(c, t);
            b.judge(cands, t, new Out());
            b.move(cands, t, new Out());
            Out out = new Out();
            r.afterDirect(b, cands, t, out);
            if (!relayExts(out).isEmpty()) {
                asked = true;
                askedAt = t;
            }
        }
        assertTrue(b.brokeDown());
        assertTrue(b.allFailed(cands), "its only candidate had its window and failed");
        assertTrue(asked, "asked in the end");
        assertTrue(askedAt - lost >= RelayPaths.RELAY_AFTER_LOSS_MS, "asked " + (askedAt - lost) + " ms after the loss");
    }

    static final MeshStatus.Source GOSSIPED = new MeshStatus.Source(MeshStatus.SourceKind.GOSSIP, "");

    static List<PathCandidate> at(String endpoint) {
        return List.of(new PathCandidate(ep(endpoint), GOSSIPED, T0 / 1000, java.util.OptionalLong.empty()));
    }

    /** Tries {@code cands} from {@code t} on, as the router does at each read. */
    static void tryFrom(PeerPath b, List<PathCandidate> cands, long t) {
        b.judge(cands, t, new Out());
        b.move(cands, t, new Out());
    }

    @Test
    void whenTheOtherEndSaysItTriedUsTooTheRelayIsAskedThreeSecondsAfterBothStartedAndTheRelayThatToldUsFirst() {
        PeerPath near = peer(1, true), vouching = peer(2, true), b = peer(3, false);
        neighbours.pinged(near.key(), T0 - 1000);
        neighbours.ponged(near.key(), T0 - 995);
        neighbours.pinged(vouching.key(), T0 - 1000);
        neighbours.ponged(vouching.key(), T0 - 900);
        RelayPaths r = paths();
        down(b);
        List<PathCandidate> cands = at("198.51.100.2:40000");
        long tried = T0 + 1_000;
        tryFrom(b, cands, tried);
        // b started trying us 1 s after we started trying it: 3 s count from there
        long noticeAt = tried + 3_500;
        for (long t = tried; t < tried + 4_000; t += 500) {
            for (PeerPath p : List.of(near, vouching)) live(p, t);
            if (t == noticeAt) {
                r.onPunchNotice(vouching, new Extension.PunchNotice(b.b64(), ep("203.0.113.1:51000"), 2_500), t);
            }
            b.judge(cands, t, new Out());
            Out out = new Out();
            r.afterDirect(b, cands, t, out);
            assertTrue(relayExts(out).isEmpty(), "asked " + (t - tried) + " ms after our first try");
        }
        long t = tried + 4_000;
        for (PeerPath p : List.of(near, vouching)) live(p, t);
        Out ask = new Out();
        r.afterDirect(b, cands, t, ask);
        assertEquals(List.of(Map.entry("10.9.0.2", (Extension) relayExts(ask).get(0).getValue())), relayExts(ask),
                "the relay that passed the notice on has tunnels to both: asked before the nearer one");
        assertTrue(t - tried < PeerPath.TRY_WINDOW_MS && t - T0 < RelayPaths.RELAY_AFTER_MS, "before the rules without evidence");
    }

    @Test
    void aNoticeIsNoEvidenceAboutAPrivateAddressForTheOtherEndOrOnceItIsOld() {
        PeerPath c = peer(1, true), b = peer(2, false);
        RelayPaths r = paths();
        down(b);
        live(c, T0);
        // b said so before we had anything of it to try: 6 s later that is spent
        r.onPunchNotice(c, new Extension.PunchNotice(b.b64(), ep("203.0.113.1:51000"), 5_000), T0);
        List<PathCandidate> cands = at("198.51.100.2:40000");
        tryFrom(b, cands, T0 + 3_500);
        long t = T0 + 3_500 + PunchEvidence.BOTH_TRIED_MS;
        live(c, t);
        Out old = new Out();
        r.afterDirect(b, cands, t, old);
        assertTrue(relayExts(old).isEmpty(), "a notice " + (t - T0) + " ms old is spent");
        r.onPunchNotice(c, new Extension.PunchNotice(b.b64(), ep("192.168.1.10:51820"), 5_000), t);
        Out priv = new Out();
        r.afterDirect(b, cands, t, priv);
        assertTrue(relayExts(priv).isEmpty(), "it tried our LAN address: says nothing about punching");
        r.onPunchNotice(c, new Extension.PunchNotice(b.b64(), ep("203.0.113.1:51000"), 5_000), t);
        Out now = new Out();
        r.afterDirect(b, cands, t, now);
        assertTrue(relayExts(now).get(0).getValue() instanceof Extension.RelayRequest, "a fresh one about our public address is");
        // the larger key: a notice is never evidence there (it does not ask)
        own = key(8);
        RelayPaths other = paths();
        other.onPunchNotice(c, new Extension.PunchNotice(b.b64(), ep("203.0.113.1:51000"), 5_000), t);
        Out none = new Out();
        other.afterDirect(b, cands, t, none);
        assertTrue(relayExts(none).stream().noneMatch(x -> x.getValue() instanceof Extension.RelayRequest));
    }

    @Test
    void theEndThatDoesNotAskReportsItsTryOfAPublicAddressToTheTwoNearestRelays() {
        own = key(8);
        PeerPath r1 = peer(1, true), r2 = peer(2, true), r3 = peer(3, true), wg = peer(4, false), b = peer(5, false);
        long rtt = 5;
        for (PeerPath p : List.of(r3, r1, r2)) {
            neighbours.pinged(p.key(), T0 - 1000);
            neighbours.ponged(p.key(), T0 - 1000 + rtt);
            rtt += 10;
        }
        RelayPaths r = paths();
        assertFalse(r.initiator(b));
        down(b);
        List<PathCandidate> cands = at("198.51.100.2:40000");
        long tried = T0 + 500;
        tryFrom(b, cands, tried);
        List<Long> reportedAt = new ArrayList<>();
        for (long t = tried; t <= tried + 30_000; t += 500) {
            for (PeerPath p : List.of(r1, r2, r3, wg)) live(p, t);
            b.judge(cands, t, new Out());
            Out out = new Out();
            r.afterDirect(b, cands, t, out);
            List<Map.Entry<String, Extension>> ext = relayExts(out);
            if (ext.isEmpty()) continue;
            reportedAt.add(t - tried);
            Extension.PunchReport want = new Extension.PunchReport(b.b64(), ep("198.51.100.2:40000"), (int) (t - tried));
            assertEquals(List.of(Map.entry("10.9.0.3", (Extension) want), Map.entry("10.9.0.1", (Extension) want)), ext,
                    "the two nearest relays, never a wgautomesh peer");
        }
        assertEquals(List.of(3_000L, 6_000L), reportedAt, "twice a try: a pair no relay takes is not reported forever");
        // learnt from the farthest relay: it saw b there, so it goes first
        PeerPath c = peer(7, false);
        down(c);
        List<PathCandidate> told = List.of(new PathCandidate(ep("198.51.100.7:40000"),
                new MeshStatus.Source(MeshStatus.SourceKind.GOSSIP, r2.name()), T0 / 1000, java.util.OptionalLong.empty()));
        tryFrom(c, told, T0);
        for (PeerPath p : List.of(r1, r2, r3)) live(p, T0 + 3_000);
        Out first = new Out();
        r.afterDirect(c, told, T0 + 3_000, first);
        assertEquals(List.of("10.9.0.2", "10.9.0.3"), relayExts(first).stream().map(Map.Entry::getKey).toList(),
                "the peer that gossiped the address, then the nearest");
        // a private address of b's says nothing about its NAT
        PeerPath lan = peer(6, false);
        down(lan);
        List<PathCandidate> priv = at("192.168.1.20:51820");
        tryFrom(lan, priv, T0);
        Out out = new Out();
        r.afterDirect(lan, priv, T0 + 4_000, out);
        assertTrue(relayExts(out).isEmpty());
    }

    @Test
    void aPrivateAddressOnlyHeardOfIsTriedAfterThePublicOneHoweverNewer() {
        PeerPath b = peer(2, false);
        GossipTable table = new GossipTable(own.toBase64(), java.util.Set.of(b.b64()), java.util.Set.of());
        long s = T0 / 1000;
        table.announce(b.b64(), List.of(new dev.automesh.wire.TimedEndpoint(ep("192.168.1.10:51820"), s),
                new dev.automesh.wire.TimedEndpoint(ep("198.51.100.2:40000"), s - 30)), GOSSIPED, T0);
        assertEquals(List.of(ep("198.51.100.2:40000"), ep("192.168.1.10:51820")),
                b.candidates(table, T0).stream().map(PathCandidate::address).toList(),
                "a node on that LAN would have heard its broadcast");
    }
}
