package dev.automesh.mesh;

import static dev.automesh.mesh.FakeDevice.announces;
import static dev.automesh.mesh.FakeDevice.only;
import static dev.automesh.mesh.FakeDevice.peerConfig;
import static dev.automesh.mesh.FakeDevice.sends;
import static dev.automesh.mesh.FakeDevice.updates;
import static dev.automesh.testsupport.TestValues.ep;
import static dev.automesh.testsupport.TestValues.ip;
import static dev.automesh.testsupport.TestValues.key;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.automesh.config.HostPort;
import dev.automesh.config.PeerConfig;
import dev.automesh.crypto.WgKey;
import dev.automesh.mesh.Action.Notice;
import dev.automesh.mesh.MeshStatus.Source;
import dev.automesh.mesh.MeshStatus.SourceKind;
import dev.automesh.mesh.MeshStatus.State;
import dev.automesh.wg.IpPrefix;
import dev.automesh.wg.PeerUpdate;
import dev.automesh.wire.Message;
import dev.automesh.wire.TimedEndpoint;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

class MeshTest {
    static final int GOSSIP = 1666;
    static final long T0 = 1_800_000_000_000L;
    static final long S0 = T0 / 1000;
    static final WgKey ME = key(0), PUB = key(1), B = key(2), C = key(3);
    static final String PUB_EP = "203.0.113.1:51820";

    final FakeDevice dev = new FakeDevice(ME, 51820);
    final List<PeerConfig> configs = new ArrayList<>(List.of(
            peerConfig("me", ME, "10.9.0.1", null), // the same peer list on every node includes ourselves
            peerConfig("pub", PUB, "10.9.0.2", PUB_EP),
            peerConfig("b", B, "10.9.0.3", null),
            peerConfig("c", C, "10.9.0.4", null)));

    Mesh mesh(boolean lan) {
        return new Mesh(new MeshSettings(ME, GOSSIP, lan, configs, List.of(new IpPrefix(ip("192.168.1.0"), 24))));
    }

    /** Starts, reads the device once, resolves pub's config endpoint; applies all Configure actions. */
    Mesh started(boolean lan, long now) {
        Mesh m = mesh(lan);
        dev.apply(m.start(Map.of(), now));
        dev.apply(m.onDevice(dev.snapshot(), now));
        dev.apply(m.onResolved(PUB, List.of(ep(PUB_EP)), now));
        return m;
    }

    /** A Ping to a configured peer: it carries our Capabilities (relay willing, relay port = gossip port + 1). */
    static Action.Send pingTo(String meshIp) {
        return new Action.Send(gossipAt(meshIp), new Message.Ping(),
                List.of(new dev.automesh.wire.Extension.Capabilities(1, 1, GOSSIP + 1, "automesh")));
    }

    static InetSocketAddress gossipAt(String meshIp) {
        return new InetSocketAddress(ip(meshIp), GOSSIP);
    }

    static Message.Announce announce(WgKey k, Object... endpointThenTime) {
        List<TimedEndpoint> l = new ArrayList<>();
        for (int i = 0; i < endpointThenTime.length; i += 2) {
            l.add(new TimedEndpoint(ep((String) endpointThenTime[i]), (Long) endpointThenTime[i + 1]));
        }
        return new Message.Announce(k.toBase64(), l);
    }

    /**
     * A LanBroadcast from {@code from}, the Ping it makes us send there to prove it, and the Pong that
     * comes back: the actions of the broadcast and the Pong, applied.
     */
    List<Action> lanProven(Mesh m, InetSocketAddress from, WgKey k, int port, long now) {
        List<Action> out = new ArrayList<>(m.onDatagram(from, new Message.LanBroadcast(k.toBase64(), port), now));
        assertTrue(sends(out).contains(new Action.Send(new InetSocketAddress(from.getAddress(), GOSSIP), new Message.Ping())),
                "a LAN endpoint proves itself first: " + out);
        assertTrue(updates(out).stream().noneMatch(u -> u.endpoint().isPresent()), "nothing moves before the proof");
        out.addAll(m.onDatagram(from, new Message.Pong(), now));
        dev.apply(out);
        return out;
    }

    static List<Notice> notices(List<Action> actions) {
        return only(actions, Notice.class);
    }

    /** A Connected notice about {@code peer}, in {@code state}, at {@code endpoint}. */
    static boolean connectedAt(Notice n, String peer, State state, String endpoint) {
        return n instanceof Notice.Connected c && c.peer().equals(peer) && c.to() == state
                && c.endpoint().equals(Optional.of(ep(endpoint)));
    }

    void connect(WgKey k, String endpoint, long handshakeS) {
        FakeDevice.P p = dev.peer(k);
        p.endpoint = ep(endpoint);
        p.handshake = handshakeS;
    }

    @Test
    void startConfiguresEveryOtherPeerButProvokesNoHandshake() {
        Mesh m = mesh(false);
        List<Action> out = m.start(Map.of(), T0);
        List<PeerUpdate> ups = updates(out);
        assertEquals(List.of(PUB, B, C), ups.stream().map(PeerUpdate::publicKey).toList(), "ourselves is skipped");
        assertEquals(Optional.of(List.of(new IpPrefix(ip("10.9.0.3"), 32))), ups.get(1).replaceAllowedIps());
        assertTrue(ups.stream().allMatch(u -> u.endpoint().isEmpty()), "endpoints wait for the first device read");
        // A keepalive or a datagram into the tunnel would make WireGuard attempt a handshake with no
        // endpoint, and that failed attempt holds back the real one by 5 s.
        assertTrue(ups.stream().allMatch(u -> u.persistentKeepalive().isEmpty()), "no keepalive without an endpoint");
        assertTrue(sends(out).isEmpty(), "no gossip into endpointless tunnels");
    }

    @Test
    void firstDeviceReadRequestsTablesOfConnectedPeersAndSetsKeepaliveOnlyWithAnEndpoint() {
        Mesh m = mesh(false);
        dev.apply(m.start(Map.of(), T0));
        connect(B, "198.51.100.3:51820", S0 - 5); // still up from before a restart
        List<Action> out = m.onDevice(dev.snapshot(), T0);
        assertTrue(sends(out).stream().anyMatch(s -> s.to().equals(gossipAt("10.9.0.3")) && s.message() instanceof Message.Request),
                "the connected peer is asked for its table at once");
        assertTrue(sends(out).stream().noneMatch(s -> s.to().equals(gossipAt("10.9.0.4"))), "c has no endpoint: nothing sent");
        assertTrue(updates(out).stream().filter(u -> u.publicKey().equals(C)).allMatch(u -> u.persistentKeepalive().isEmpty()));
        // pub's config endpoint arrives: endpoint and keepalive go together, with traffic right after.
        out = m.onResolved(PUB, List.of(ep(PUB_EP)), T0 + 10);
        List<PeerUpdate> pubUps = updates(out).stream().filter(x -> x.publicKey().equals(PUB)).toList();
        assertEquals(1, pubUps.size(), pubUps.toString());
        PeerUpdate u = pubUps.get(0);
        assertEquals(Optional.of(ep(PUB_EP)), u.endpoint());
        assertEquals(Optional.of(10), u.persistentKeepalive());
        assertTrue(sends(out).stream().anyMatch(s -> s.to().equals(gossipAt("10.9.0.2"))));
    }

    @Test
    void ipv6MeshAddressGetsSlash128() {
        configs.add(peerConfig("v6", key(9), "fd00::9", null));
        List<PeerUpdate> ups = updates(mesh(false).start(Map.of(), T0));
        assertEquals(Optional.of(List.of(new IpPrefix(ip("fd00::9"), 128))), ups.get(3).replaceAllowedIps());
    }

    @Test
    void savedTableIsReannouncedOnFirstDeviceReadAndItsEndpointsTried() {
        Mesh m = mesh(false);
        dev.apply(m.start(Map.of(B.toBase64(), List.of(new TimedEndpoint(ep("198.51.100.7:4000"), S0 - 50))), T0));
        connect(PUB, PUB_EP, S0 - 5);
        List<Action> out = m.onDevice(dev.snapshot(), T0);
        dev.apply(out);
        assertTrue(sends(out).stream().anyMatch(s -> s.to().equals(gossipAt("10.9.0.2"))
                && s.message().equals(announce(B, "198.51.100.7:4000", S0 - 50))), "re-announced to the live peer");
        assertEquals(ep("198.51.100.7:4000"), dev.peer(B).endpoint, "saved endpoint tried for disconnected b");
        assertEquals(SourceKind.STATE_FILE, m.status(T0).peers().get(1).endpointSource().orElseThrow().kind());
    }

    @Test
    void pingIsAnsweredWithPongAndRequestWithOneAnnouncePerPubkey() {
        Mesh m = started(false, T0);
        InetSocketAddress src = new InetSocketAddress(ip("10.9.0.3"), 40000);
        assertEquals(List.of(new Action.Send(src, new Message.Pong())), m.onDatagram(src, new Message.Ping(), T0));
        m.onDatagram(gossipAt("10.9.0.2"), announce(B, "198.51.100.7:4000", S0), T0);
        m.onDatagram(gossipAt("10.9.0.2"), announce(key(50), "198.51.100.50:4000", S0), T0);
        List<Action> out = m.onDatagram(src, new Message.Request(), T0);
        assertEquals(List.of(new Action.Send(src, announce(B, "198.51.100.7:4000", S0)),
                new Action.Send(src, announce(key(50), "198.51.100.50:4000", S0))), out);
    }

    @Test
    void mergeRuleKeepsNewestFiveAndIgnoresWhatIsNotNewer() {
        Mesh m = started(false, T0);
        connect(PUB, PUB_EP, S0);
        dev.apply(m.onDevice(dev.snapshot(), T0));
        String c = C.toBase64();
        m.onDatagram(gossipAt("10.9.0.2"), announce(C, "198.51.100.1:1", S0 - 10, "198.51.100.2:2", S0 - 20), T0);
        assertEquals(List.of(new TimedEndpoint(ep("198.51.100.1:1"), S0 - 10), new TimedEndpoint(ep("198.51.100.2:2"), S0 - 20)),
                m.persistentState().get(c));

        // same address, same or older time: not new, nothing sent, nothing saved
        List<Action> out = m.onDatagram(gossipAt("10.9.0.2"), announce(C, "198.51.100.1:1", S0 - 10, "198.51.100.2:2", S0 - 30), T0);
        assertTrue(announces(out).isEmpty());
        assertTrue(only(out, Action.Persist.class).isEmpty());

        // same address, newer time: replaces the entry, list re-sorted newest first and persisted; only
        // re-dated (no new address, not an hour newer), so not fanned out (Forwarding)
        out = m.onDatagram(gossipAt("10.9.0.2"), announce(C, "198.51.100.2:2", S0 - 5), T0);
        List<TimedEndpoint> expect = List.of(new TimedEndpoint(ep("198.51.100.2:2"), S0 - 5), new TimedEndpoint(ep("198.51.100.1:1"), S0 - 10));
        assertEquals(expect, m.persistentState().get(c));
        assertTrue(announces(out).isEmpty(), out.toString());
        assertEquals(1, only(out, Action.Persist.class).size());
        // a new address is news: the whole list goes out (from the peer itself: 10.9.0.2 already fills
        // the two slots one relay may fill)
        out = m.onDatagram(gossipAt("10.9.0.4"), announce(C, "198.51.100.7:7", S0 - 50), T0);
        List<TimedEndpoint> three = new java.util.ArrayList<>(expect);
        three.add(new TimedEndpoint(ep("198.51.100.7:7"), S0 - 50));
        assertEquals(List.of(new Action.Send(gossipAt("10.9.0.2"), new Message.Announce(c, three))), sends(out).stream()
                .filter(s -> s.message() instanceof Message.Announce).toList());

        // more than five: the five newest stay (from the peer itself: one relay may fill only two slots)
        m.onDatagram(gossipAt("10.9.0.4"), announce(C, "198.51.100.3:3", S0 - 1, "198.51.100.4:4", S0 - 2,
                "198.51.100.5:5", S0 - 40, "198.51.100.6:6", S0 - 3), T0);
        assertEquals(List.of(S0 - 1, S0 - 2, S0 - 3, S0 - 5, S0 - 10),
                m.persistentState().get(c).stream().map(TimedEndpoint::unixSeconds).toList());
    }

    @Test
    void fanOutGoesToTenLivePeersWithLowestXxh3Rank() {
        List<WgKey> many = new ArrayList<>();
        for (int i = 10; i < 24; i++) {
            WgKey k = key(i);
            many.add(k);
            configs.add(peerConfig("n" + i, k, "10.9.1." + i, null));
        }
        Mesh m = started(false, T0);
        for (int i = 0; i < many.size(); i++) {
            connect(many.get(i), "198.51.100." + (10 + i) + ":51820", i == 0 ? S0 - 301 : S0 - 100); // n10 is stale
        }
        dev.peer(many.get(1)).endpoint = null; // n11: handshake but no endpoint (wgautomesh skips it too)
        dev.apply(m.onDevice(dev.snapshot(), T0));

        List<Action> out = m.onDatagram(gossipAt("10.9.1.12"), announce(B, "192.0.2.77:5000", S0), T0);
        List<InetSocketAddress> got = sends(out).stream().filter(s -> s.message().equals(announce(B, "192.0.2.77:5000", S0)))
                .map(Action.Send::to).toList();
        List<InetSocketAddress> expected = many.subList(2, many.size()).stream()
                .sorted(Comparator.comparing(k -> Xxh3.hash64((ME.toBase64() + "-" + k.toBase64()).getBytes(StandardCharsets.UTF_8)),
                        Long::compareUnsigned))
                .limit(10)
                .map(k -> gossipAt(configs.stream().filter(c -> c.pubkey().equals(k)).findFirst().orElseThrow().address().getHostAddress()))
                .toList();
        assertEquals(10, got.size());
        assertEquals(expected, got, "the 10 lowest unsigned xxh3 ranks among live peers, in rank order");
    }

    @Test
    void hostileAnnouncesAreDroppedAndCounted() {
        Mesh m = started(false, T0);
        assertTrue(m.onDatagram(gossipAt("10.9.0.2"), new Message.Announce("not a key", List.of()), T0).isEmpty());
        m.onDatagram(gossipAt("10.9.0.2"), announce(C,
                "224.0.0.1:51820", S0, "0.0.0.0:51820", S0, "198.51.100.9:0", S0, "255.255.255.255:51820", S0,
                "10.9.0.1:51820", S0, "10.9.0.3:51820", S0, // mesh addresses: never endpoints
                "198.51.100.9:51820", S0 + 100_000, // far future: counts as now
                "198.51.100.10:51820", S0 + 60, // beyond 10 s of skew: now too
                "198.51.100.11:51820", S0 + 5), T0); // slight skew is fine
        // .9 and .10 both count as now: equal dates are ordered by address (GossipTable.NEWEST_FIRST)
        assertEquals(List.of(new TimedEndpoint(ep("198.51.100.11:51820"), S0 + 5), new TimedEndpoint(ep("198.51.100.10:51820"), S0)),
                m.persistentState().get(C.toBase64()), "and one relay fills at most two slots");
        MeshStatus.Counters k = m.status(T0).counters();
        assertEquals(1, k.badPubkeys());
        assertEquals(6, k.badEndpoints());
        assertEquals(2, k.futureTimestamps());
        assertEquals(1, k.sourceCapped());

        // a huge list: only the five newest are kept
        Object[] big = new Object[2 * 60];
        for (int i = 0; i < 60; i++) {
            big[2 * i] = "198.51.100." + (i + 1) + ":7000";
            big[2 * i + 1] = S0 - 1000 + i;
        }
        m.onDatagram(gossipAt("10.9.0.3"), announce(B, big), T0); // from b itself: all five slots are its own
        assertEquals(List.of(S0 - 941, S0 - 942, S0 - 943, S0 - 944, S0 - 945),
                m.persistentState().get(B.toBase64()).stream().map(TimedEndpoint::unixSeconds).toList());
    }

    @Test
    void aSourcesNewerWordReplacesItsOwnOldestSlotNeverAnothers() {
        Mesh m = started(false, T0);
        dev.apply(m.onDatagram(gossipAt("10.9.0.4"), announce(B, "198.51.100.40:4000", S0 - 50), T0)); // c's word
        dev.apply(m.onDatagram(gossipAt("10.9.0.2"), announce(B, "198.51.100.20:1000", S0 - 40), T0));
        dev.apply(m.onDatagram(gossipAt("10.9.0.2"), announce(B, "198.51.100.20:2000", S0 - 30), T0));
        // a third address from pub at once: over its two slots, and too soon to replace one
        dev.apply(m.onDatagram(gossipAt("10.9.0.2"), announce(B, "198.51.100.20:2500", S0 - 25), T0 + 1_000));
        assertEquals(1, m.status(T0).counters().sourceCapped());
        // 30 s on, pub saw b re-map once more: its newer address replaces pub's oldest, c's stays
        long later = T0 + GossipTable.SOURCE_REPLACE_MS;
        dev.apply(m.onDatagram(gossipAt("10.9.0.2"), announce(B, "198.51.100.20:3000", S0 + 20), later));
        assertEquals(List.of("198.51.100.20:3000", "198.51.100.20:2000", "198.51.100.40:4000"),
                m.persistentState().get(B.toBase64()).stream().map(e -> HostPort.format(e.address())).toList());
        // an older one from pub is still refused and counted, however late
        dev.apply(m.onDatagram(gossipAt("10.9.0.2"), announce(B, "198.51.100.20:500", S0 - 100), later + 60_000));
        assertEquals(3, m.persistentState().get(B.toBase64()).size());
        assertEquals(2, m.status(later).counters().sourceCapped());
    }

    @Test
    void unknownPubkeysAreKeptAndForwardedLikeWgautomeshButBounded() {
        Mesh m = started(false, T0);
        connect(PUB, PUB_EP, S0);
        dev.apply(m.onDevice(dev.snapshot(), T0));
        List<Action> out = m.onDatagram(gossipAt("10.9.0.2"), announce(key(77), "198.51.100.77:1", S0), T0);
        assertEquals(1, announces(out).size(), "forwarded, as wgautomesh does (its table has any pubkey)");
        assertTrue(updates(out).isEmpty(), "but it configures nothing");
        for (int i = 0; i < 100; i++) m.onDatagram(gossipAt("10.9.0.2"), announce(key(100 + i), "198.51.100.1:1", S0), T0);
        assertEquals(GossipTable.MAX_UNKNOWN_PUBKEYS, m.persistentState().keySet().stream().filter(k -> !k.equals(PUB.toBase64())).count());
        assertEquals(100 - (GossipTable.MAX_UNKNOWN_PUBKEYS - 1), m.status(T0).counters().unknownPeersFull());
    }

    @Test
    void newHandshakeIsAnnouncedAtOnceThenReDatingsOnlyWhenAnHourNewer() {
        Mesh m = started(false, T0);
        connect(PUB, PUB_EP, S0);
        connect(B, "198.51.100.20:3333", S0);
        List<Action> out = m.onDevice(dev.snapshot(), T0);
        assertTrue(sends(out).contains(new Action.Send(gossipAt("10.9.0.2"), announce(B, "198.51.100.20:3333", S0))));
        assertEquals(1, only(out, Action.Persist.class).size());
        assertTrue(notices(out).stream().anyMatch(n -> connectedAt(n, "b", State.CONNECTED, "198.51.100.20:3333")), out.toString());

        dev.peer(B).handshake = S0 + 120; // a normal rekey: not worth gossip
        assertTrue(announces(m.onDevice(dev.snapshot(), T0 + 121_000)).stream().noneMatch(a -> a.pubkey().equals(B.toBase64())));
        dev.peer(B).handshake = S0 + 300;
        dev.peer(PUB).handshake = S0 + 300;
        // 300 s newer: re-dated in our table, but a re-dating alone is not forwarded (see Forwarding)
        assertTrue(announces(m.onDevice(dev.snapshot(), T0 + 301_000)).stream().noneMatch(a -> a.pubkey().equals(B.toBase64())));
        assertEquals(List.of(new TimedEndpoint(ep("198.51.100.20:3333"), S0 + 300)), m.persistentState().get(B.toBase64()));
        long hourLater = S0 + Forwarding.REFRESH_S + Forwarding.JITTER_S;
        dev.peer(B).handshake = hourLater;
        dev.peer(PUB).handshake = hourLater;
        assertTrue(announces(m.onDevice(dev.snapshot(), hourLater * 1000 + 1_000)).contains(announce(B, "198.51.100.20:3333", hourLater)),
                "an hour newer: forwarded, so that other nodes' dates do not age without bound");
        dev.peer(B).endpoint = ep("198.51.100.21:4444"); // roamed: a new endpoint is news at once
        dev.peer(B).handshake = hourLater + 2;
        assertEquals(List.of(new TimedEndpoint(ep("198.51.100.21:4444"), hourLater + 2), new TimedEndpoint(ep("198.51.100.20:3333"), hourLater)),
                announces(m.onDevice(dev.snapshot(), hourLater * 1000 + 3_000)).stream().filter(a -> a.pubkey().equals(B.toBase64()))
                        .findFirst().orElseThrow().endpoints());
    }

    /** Announces about {@code about} sent to the peer at mesh address {@code to}. */
    static long announcesAbout(List<Action> out, String to, WgKey about) {
        return sends(out).stream().filter(s -> s.to().equals(gossipAt(to)) && s.message() instanceof Message.Announce a
                && a.pubkey().equals(about.toBase64())).count();
    }

    @Test
    void aConnectedPeerThatTurnsUpAtANewAddressIsSentWhatChangedLately() {
        Mesh m = started(false, T0);
        connect(PUB, PUB_EP, S0);
        connect(B, "198.51.100.20:3333", S0);
        connect(C, "198.51.100.30:5555", S0);
        dev.apply(m.onDevice(dev.snapshot(), T0));
        dev.apply(m.onDevice(dev.snapshot(), T0 + 1_000));
        dev.peer(B).endpoint = ep("198.51.100.21:4444"); // b's NAT re-mapped: we tell our peers, c among them
        List<Action> told = new ArrayList<>(m.onDevice(dev.snapshot(), T0 + 2_000));
        told.addAll(m.onTick(T0 + 2_500));
        assertEquals(1, announcesAbout(told, "10.9.0.4", B), told.toString());
        // Had c's NAT re-mapped too, that went to its old address; nothing sends it again by itself.
        assertEquals(0, announcesAbout(m.onDevice(dev.snapshot(), T0 + 3_000), "10.9.0.4", B));
        dev.peer(C).endpoint = ep("198.51.100.31:6666"); // c turns up at a new address: it hears of b's again
        List<Action> moved = new ArrayList<>(m.onDevice(dev.snapshot(), T0 + 4_000));
        moved.addAll(m.onTick(T0 + 4_500));
        assertEquals(1, announcesAbout(moved, "10.9.0.4", B), moved.toString());
        // What changed longer ago is not sent again.
        dev.peer(C).endpoint = ep("198.51.100.32:7777");
        long later = T0 + 2_000 + Spreading.MOVED_CATCH_UP_MS + 1_000;
        for (WgKey k : List.of(PUB, B, C)) dev.peer(k).handshake = later / 1000 - 5;
        List<Action> muchLater = new ArrayList<>(m.onDevice(dev.snapshot(), later));
        muchLater.addAll(m.onTick(later + 500));
        assertEquals(0, announcesAbout(muchLater, "10.9.0.4", B), muchLater.toString());
    }

    @Test
    void newlyLearnedEndpointIsTriedAtOnceWithKeepalive10AndAPing() {
        Mesh m = started(false, T0);
        connect(PUB, PUB_EP, S0);
        dev.apply(m.onDevice(dev.snapshot(), T0));
        List<Action> out = m.onDatagram(gossipAt("10.9.0.2"), announce(B, "198.51.100.30:5000", S0), T0 + 200);
        dev.apply(out);
        assertEquals(ep("198.51.100.30:5000"), dev.peer(B).endpoint);
        assertEquals(10, dev.peer(B).keepalive);
        assertTrue(sends(out).contains(pingTo("10.9.0.3")));
        assertTrue(out.indexOf(only(out, Action.Configure.class).get(0)) < out.indexOf(pingTo("10.9.0.3")),
                "the endpoint is set before the Ping that makes WireGuard handshake");

        // a fresher one arrives mid-window: it is tried at once too
        out = m.onDatagram(gossipAt("10.9.0.2"), announce(B, "198.51.100.31:5000", S0 + 1), T0 + 1000);
        dev.apply(out);
        assertEquals(ep("198.51.100.31:5000"), dev.peer(B).endpoint);
        // an older one waits for the current window (6 s), then goes before any retry
        dev.apply(m.onDatagram(gossipAt("10.9.0.4"), announce(B, "198.51.100.32:5000", S0 - 100), T0 + 2000));
        assertEquals(ep("198.51.100.31:5000"), dev.peer(B).endpoint);
        dev.apply(m.onTick(T0 + 6999));
        assertEquals(ep("198.51.100.31:5000"), dev.peer(B).endpoint);
        dev.apply(m.onTick(T0 + 7000));
        assertEquals(ep("198.51.100.32:5000"), dev.peer(B).endpoint);
    }

    @Test
    void aTryWithoutHandshakeIsInitiatedAgainOnAReCreatedPeerUntilWireGuardWouldRetryItself() {
        Mesh m = started(false, T0); // pub's configured endpoint is tried at once; its agent is not up yet
        List<PeerUpdate> fresh = new ArrayList<>();
        for (long t = T0 + 500; t <= T0 + 6_000; t += 500) {
            List<Action> out = new ArrayList<>(m.onDevice(dev.snapshot(), t));
            out.addAll(m.onTick(t));
            dev.apply(out);
            for (PeerUpdate u : updates(out)) if (u.publicKey().equals(PUB) && u.fresh()) fresh.add(u);
        }
        // at 1.5, 3 and 4.5 s into the try (WireGuard's own retry would come at 5 s), each with the whole peer
        assertEquals(3, fresh.size(), fresh.toString());
        for (PeerUpdate u : fresh) {
            assertEquals(Optional.of(ep(PUB_EP)), u.endpoint());
            assertTrue(u.replaceAllowedIps().isPresent() && u.persistentKeepalive().isPresent(), u.toString());
        }
        // once it has a session, never: re-creating it would throw its keys away
        connect(PUB, PUB_EP, S0);
        for (long t = T0 + 6_500; t <= T0 + 20_000; t += 500) {
            List<Action> out = new ArrayList<>(m.onDevice(dev.snapshot(), t));
            out.addAll(m.onTick(t));
            dev.apply(out);
            assertTrue(updates(out).stream().noneMatch(PeerUpdate::fresh), out.toString());
        }
    }

    @Test
    void candidatesCycleWithBackoffThatGrowsAndIsCapped() {
        Mesh m = started(false, T0);
        List<String> tried = new ArrayList<>();
        List<Long> triesOfFirst = new ArrayList<>();
        InetSocketAddress last = null;
        for (long t = T0; t < T0 + 900_000; t += 1000) {
            List<Action> out = new ArrayList<>(t > T0 ? List.of()
                    : m.onDatagram(gossipAt("10.9.0.2"), announce(B, "198.51.100.1:1", S0 - 1, "198.51.100.2:2", S0 - 2), T0));
            out.addAll(m.onTick(t));
            dev.apply(out);
            for (PeerUpdate u : updates(out)) {
                // not the in-window re-initiations of the endpoint just set
                if (u.publicKey().equals(B) && u.endpoint().isPresent() && !(u.fresh() && u.endpoint().get().equals(last))) {
                    tried.add((t - T0) / 1000 + "s " + u.endpoint().get().getPort());
                    if (u.endpoint().get().getPort() == 1) triesOfFirst.add((t - T0) / 1000);
                    last = u.endpoint().get();
                }
            }
            dev.apply(m.onDevice(dev.snapshot(), t));
        }
        // the newest first, each given 6 s, then the other; failures back off 5, 10, 20, ... capped at 120 s
        assertEquals(List.of("0s 1", "6s 2"), tried.subList(0, 2), tried.toString());
        List<Long> gaps = new ArrayList<>();
        for (int i = 1; i < triesOfFirst.size(); i++) gaps.add(triesOfFirst.get(i) - triesOfFirst.get(i - 1));
        for (int i = 1; i < gaps.size(); i++) assertTrue(gaps.get(i) >= gaps.get(i - 1), "backoff never shrinks: " + gaps);
        assertTrue(gaps.get(gaps.size() - 1) <= 120 + 6 + 1, "capped: " + gaps);
        assertTrue(gaps.get(gaps.size() - 1) >= 120, "grows to the cap: " + gaps);
        assertTrue(tried.stream().anyMatch(s -> s.endsWith(" 51820")) == false, "pub's endpoint is pub's, never b's");
        MeshStatus.Peer b = m.status(T0 + 900_000).peers().get(1);
        assertEquals(State.PROBING, b.state());
        assertEquals(2, b.candidates().size());
        assertEquals(triesOfFirst.size(), b.candidates().get(0).tries());
        assertTrue(last != null);
    }

    @Test
    void aFresherSightingResetsTheBackoff() {
        Mesh m = started(false, T0);
        m.onDatagram(gossipAt("10.9.0.2"), announce(B, "198.51.100.1:1", S0 - 1), T0);
        for (long t = T0; t < T0 + 120_000; t += 1000) dev.apply(m.onTick(t)); // several failures
        long retryIn = m.status(T0 + 120_000).peers().get(1).candidates().get(0).retryInMillis();
        assertTrue(retryIn > 0, "backing off");
        List<Action> out = m.onDatagram(gossipAt("10.9.0.2"), announce(B, "198.51.100.1:1", S0 + 100), T0 + 120_000);
        assertTrue(updates(out).stream().anyMatch(u -> u.endpoint().equals(Optional.of(ep("198.51.100.1:1")))), "tried at once");
    }

    @Test
    void connectedPeerIsNotThrashedByGossipAndGetsKeepalive30() {
        Mesh m = started(false, T0);
        connect(B, "198.51.100.20:3333", S0);
        dev.apply(m.onDevice(dev.snapshot(), T0));
        assertEquals(30, dev.peer(B).keepalive);
        List<Action> out = m.onDatagram(gossipAt("10.9.0.2"), announce(B, "198.51.100.99:1", S0 + 1), T0 + 1000);
        assertTrue(updates(out).isEmpty(), out.toString());
        boolean pinged = sends(out).contains(pingTo("10.9.0.3"));
        for (long t = T0 + 1000; t < T0 + 100_000; t += 1000) {
            dev.peer(B).rx += t % 30_000 == 0 || pinged ? 32 : 0; // its keepalives (or the Pong) keep coming
            out = m.onDevice(dev.snapshot(), t);
            assertTrue(updates(out).stream().noneMatch(u -> u.publicKey().equals(B)));
            List<Action> tick = m.onTick(t);
            assertTrue(updates(tick).stream().noneMatch(u -> u.publicKey().equals(B)));
            pinged = sends(out).contains(pingTo("10.9.0.3"))
                    || sends(tick).contains(pingTo("10.9.0.3"));
        }
    }

    @Test
    void lostPeerIsProbedAfter215sWithANotice() {
        Mesh m = started(false, T0);
        connect(B, "198.51.100.20:3333", S0);
        dev.apply(m.onDevice(dev.snapshot(), T0));
        List<Action> out = List.of();
        for (long t = T0; t <= T0 + 214_000; t += 1000) {
            dev.peer(B).rx += t % 30_000 == 0 ? 32 : 0; // its keepalives keep coming
            out = m.onDevice(dev.snapshot(), t);
            assertTrue(notices(out).isEmpty(), out.toString());
        }
        out = m.onDevice(dev.snapshot(), T0 + 215_000);
        assertEquals(List.of(new Notice.Lost("b", B.toBase64(), State.CONNECTED, State.PROBING, new Notice.Lost.Expired(215), 1)),
                notices(out));
        assertEquals(Optional.of(10), updates(out).get(0).persistentKeepalive());
    }

    @Test
    void dataSentWithoutAnswerIsPingedThenProbed() {
        Mesh m = started(false, T0);
        connect(B, "198.51.100.20:3333", S0);
        dev.apply(m.onDevice(dev.snapshot(), T0));
        m.onDatagram(gossipAt("10.9.0.2"), announce(B, "198.51.100.21:4444", S0 - 1), T0 + 500);
        dev.peer(B).tx += 32;
        assertEquals(List.of(), sends(m.onDevice(dev.snapshot(), T0 + 1000)), "a lone keepalive needs no answer");
        dev.peer(B).rx += 32;
        dev.apply(m.onDevice(dev.snapshot(), T0 + 2000));
        dev.peer(B).tx += 148; // data (the peer's NAT has just re-mapped it: nothing comes back)
        assertEquals(List.of(), toB(m.onDevice(dev.snapshot(), T0 + 3000)));
        assertEquals(List.of(pingTo("10.9.0.3")),
                toB(m.onDevice(dev.snapshot(), T0 + 4000)), "a second without an answer: the path must prove itself");
        dev.peer(B).tx += 96;
        assertEquals(List.of(), toB(m.onDevice(dev.snapshot(), T0 + 5000)), "once");
        assertTrue(notices(m.onDevice(dev.snapshot(), T0 + 6000)).isEmpty());
        List<Action> out = m.onDevice(dev.snapshot(), T0 + 6500);
        dev.apply(out);
        assertEquals(List.of(new Notice.Lost("b", B.toBase64(), State.CONNECTED, State.PROBING,
                new Notice.Lost.Unanswered(Doubt.DATA_UNANSWERED, 4, 2), 2)), notices(out));
        assertEquals(ep("198.51.100.20:3333"), dev.peer(B).endpoint, "the freshest candidate first");
        MeshStatus.Peer st = m.status(T0 + 6500).peers().get(1);
        assertEquals(State.PROBING, st.state());
        assertEquals(Optional.of(new MeshStatus.Loss(new Notice.Lost.Unanswered(Doubt.DATA_UNANSWERED, 4, 2), S0 + 6)), st.lastLoss());
        dev.apply(m.onTick(T0 + 12_500));
        assertEquals(ep("198.51.100.21:4444"), dev.peer(B).endpoint, "then the next");
        dev.peer(B).rx += 92; // it answers there
        dev.peer(B).handshake = S0 + 13;
        out = m.onDevice(dev.snapshot(), T0 + 13_000);
        assertTrue(connectedAt(notices(out).get(0), "b", State.CONNECTED, "198.51.100.21:4444"), out.toString());
    }

    @Test
    void aBusyPathThatGoesQuietIsPingedOnceAndStaysWhenItAnswers() {
        Mesh m = started(false, T0);
        connect(B, "198.51.100.20:3333", S0);
        dev.apply(m.onDevice(dev.snapshot(), T0));
        for (long t = T0 + 1000; t <= T0 + 10_000; t += 1000) {
            dev.peer(B).rx += 420; // a ping 5 times a second arrives, we only answer
            dev.peer(B).tx += 420;
            assertEquals(List.of(), toB(m.onDevice(dev.snapshot(), t)));
        }
        assertEquals(List.of(pingTo("10.9.0.3")), toB(m.onDevice(dev.snapshot(), T0 + 11_000)));
        dev.peer(B).rx += 60; // the Pong: the traffic only stopped
        dev.peer(B).tx += 60;
        for (long t = T0 + 12_000; t <= T0 + 100_000; t += 1000) {
            List<Action> out = m.onDevice(dev.snapshot(), t);
            assertTrue(toB(out).isEmpty() && notices(out).isEmpty(), t + ": " + out);
        }
    }

    @Test
    void idleKeepalivesThatStopMakeTheReceiverPing() {
        Mesh m = started(false, T0);
        connect(B, "198.51.100.20:3333", S0);
        dev.apply(m.onDevice(dev.snapshot(), T0));
        for (long t = T0 + 1000; t <= T0 + 90_000; t += 1000) {
            if ((t - T0) % 30_000 == 0) dev.peer(B).rx += 32; // b's keepalives; ours are reset by them
            assertEquals(List.of(), toB(m.onDevice(dev.snapshot(), t)), "a healthy idle link is not pinged");
        }
        // b's keepalive at 120 s does not come; our timer fires at 120 s instead
        for (long t = T0 + 91_000; t < T0 + 120_000; t += 1000) assertEquals(List.of(), toB(m.onDevice(dev.snapshot(), t)));
        dev.peer(B).tx += 32;
        // pinged within a few seconds (the pair's own second of PeerPath.IDLE_SLOTS), once
        long pinged = -1;
        for (long t = T0 + 120_000; t < T0 + 120_000 + PeerPath.IDLE_SLOTS * 1000L; t += 1000) {
            List<Action.Send> s = toB(m.onDevice(dev.snapshot(), t));
            if (!s.isEmpty()) {
                assertEquals(-1, pinged, "once");
                assertEquals(List.of(pingTo("10.9.0.3")), s);
                pinged = t;
            }
        }
        assertTrue(pinged > 0, "pinged");
        List<Action> out = m.onDevice(dev.snapshot(), pinged + 2500);
        long quietS = (pinged + 2500 - T0 - 90_000) / 1000;
        assertEquals(List.of(new Notice.Lost("b", B.toBase64(), State.CONNECTED, State.PROBING,
                new Notice.Lost.Unanswered(Doubt.KEEPALIVES_STOPPED, quietS, 2), 1)), notices(out).subList(0, 1));
    }

    /** What went to b's mesh address (pub, unconnected in these tests, is being probed meanwhile). */
    static List<Action.Send> toB(List<Action> out) {
        return sends(out).stream().filter(x -> x.to().equals(gossipAt("10.9.0.3"))).toList();
    }

    @Test
    void aWallClockJumpDoesNotKeepAStaleSessionConnected() {
        Mesh m = started(false, T0);
        connect(B, "198.51.100.20:3333", S0);
        dev.apply(m.onDevice(dev.snapshot(), T0));
        dev.peer(B).rx += 32;
        dev.apply(m.onDevice(dev.snapshot(), T0 + 1000));
        // suspended for 10 minutes: the next read sees the same counters and a handshake 10 minutes old
        List<Action> out = m.onDevice(dev.snapshot(), T0 + 601_000);
        assertEquals(List.of(new Notice.Lost("b", B.toBase64(), State.CONNECTED, State.PROBING, new Notice.Lost.Expired(601), 1)),
                notices(out));
        assertEquals(State.PROBING, m.status(T0 + 601_000).peers().get(1).state());
    }

    @Test
    void ourNetworkChangingPingsEveryConnectedPeerAsksForEndpointsAndTellsTheLan() {
        Mesh m = started(true, T0);
        connect(B, "198.51.100.20:3333", S0);
        connect(PUB, PUB_EP, S0);
        dev.apply(m.onDevice(dev.snapshot(), T0));
        dev.apply(m.onTick(T0));
        dev.apply(m.onTick(T0 + 3000));
        List<Action> out = m.onNetworkChanged(T0 + 5000);
        List<Action.Send> s = sends(out);
        assertTrue(s.contains(pingTo("10.9.0.3")), out.toString());
        assertTrue(s.contains(pingTo("10.9.0.2")), out.toString());
        assertTrue(s.contains(new Action.Send(gossipAt("10.9.0.2"), new Message.Request())), out.toString());
        assertEquals(1, only(out, Action.Broadcast.class).size(), "the LAN hears us at once");
        // their endpoints are set again, unchanged (WireGuard drops the source address it kept), before the Pings
        assertTrue(updates(out).contains(PeerUpdate.of(B).endpoint(ep("198.51.100.20:3333")).build()), out.toString());
        assertTrue(out.get(0) instanceof Action.Configure, out.toString());
        // they answer: nothing is lost
        dev.peer(B).rx += 60;
        dev.peer(PUB).rx += 60;
        assertTrue(notices(m.onDevice(dev.snapshot(), T0 + 6000)).isEmpty());
        assertTrue(notices(m.onDevice(dev.snapshot(), T0 + 9000)).isEmpty());
    }

    @Test
    void beingSeenAtANewAddressPingsOurPeersAndALossAmongQuietPathsPingsTheOthers() {
        Mesh m = started(false, T0);
        connect(B, "198.51.100.20:3333", S0);
        connect(PUB, PUB_EP, S0);
        dev.apply(m.onDevice(dev.snapshot(), T0));
        m.onDatagram(gossipAt("10.9.0.2"), announce(ME, "198.51.100.2:51820", S0), T0 + 1000);
        assertTrue(sends(m.onDevice(dev.snapshot(), T0 + 2000)).isEmpty(), "the first sighting of ourselves is no change");
        List<Action> out = m.onDatagram(gossipAt("10.9.0.2"), announce(ME, "198.51.100.2:40001", S0 + 3), T0 + 3000);
        assertTrue(sends(out).contains(pingTo("10.9.0.3")), out.toString());
        assertTrue(sends(out).contains(pingTo("10.9.0.2")), out.toString());
        dev.peer(PUB).rx += 60; // pub answers, b does not
        out = m.onDevice(dev.snapshot(), T0 + 5500);
        assertTrue(notices(out).stream().anyMatch(n -> n instanceof Notice.Lost l && l.peer().equals("b")), out.toString());
        assertFalse(sends(out).contains(pingTo("10.9.0.2")), "pub received lately");
        // a later loss with every path quiet casts doubt on the others
        connect(C, "198.51.100.40:1", S0 + 100);
        dev.apply(m.onDevice(dev.snapshot(), T0 + 100_000));
        dev.peer(C).tx += 100;
        dev.apply(m.onDevice(dev.snapshot(), T0 + 101_000));
        dev.apply(m.onDevice(dev.snapshot(), T0 + 102_000)); // c pinged
        out = m.onDevice(dev.snapshot(), T0 + 104_500);
        assertTrue(notices(out).stream().anyMatch(n -> n instanceof Notice.Lost l && l.peer().equals("c")), out.toString());
        assertTrue(sends(out).contains(pingTo("10.9.0.2")), out.toString());
    }

    @Test
    void aLanNeighbourStillReceivingDoesNotHoldBackTheDoubtWhenAPathThroughOurNatDies() {
        // Our NAT re-mapped us: b (through it) goes silent, c on our LAN keeps talking. pub must hear from us.
        assertTrue(sends(bDiesWhileCKeepsReceivingAt("192.168.1.30:51820")).contains(pingTo("10.9.0.2")));
        // The same with c over the internet: something still gets through our NAT, no one else is doubted.
        dev.peers.clear();
        assertFalse(sends(bDiesWhileCKeepsReceivingAt("198.51.100.40:1")).contains(pingTo("10.9.0.2")));
    }

    @Test
    void aBusyPathGoingQuietPingsTheOthersAtOnceUnlessSomethingElseStillArrives() {
        // Our NAT re-mapped us mid-transfer: pub is pinged with b, not 2.5 s later at b's verdict, so
        // pub's WireGuard roams to our new port and gossips it while b's Ping is still out.
        List<Action> out = busyBGoesQuiet(false);
        assertTrue(sends(out).contains(pingTo("10.9.0.3")), out.toString());
        assertTrue(sends(out).contains(pingTo("10.9.0.2")), out.toString());
        // pub's packet arrived after b went quiet: our way out works, pub is left alone
        dev.peers.clear();
        out = busyBGoesQuiet(true);
        assertTrue(sends(out).contains(pingTo("10.9.0.3")), out.toString());
        assertFalse(sends(out).contains(pingTo("10.9.0.2")), out.toString());
    }

    @Test
    void aPeersPingAsksForADeviceReadAtOnceAtMostFourTimesASecond() {
        Mesh m = started(false, T0);
        connect(B, "198.51.100.20:3333", S0);
        dev.apply(m.onDevice(dev.snapshot(), T0));
        // b doubts its path: WireGuard may have just roamed it, which the next poll would see late
        assertEquals(1, only(m.onDatagram(gossipAt("10.9.0.3"), new Message.Ping(), T0 + 1000), Action.ReadDevice.class).size());
        assertEquals(0, only(m.onDatagram(gossipAt("10.9.0.3"), new Message.Ping(), T0 + 1100), Action.ReadDevice.class).size());
        assertEquals(1, only(m.onDatagram(gossipAt("10.9.0.3"), new Message.Ping(), T0 + 1250), Action.ReadDevice.class).size());
        InetSocketAddress stranger = new InetSocketAddress(ip("192.168.1.77"), GOSSIP);
        assertEquals(0, only(m.onDatagram(stranger, new Message.Ping(), T0 + 5000), Action.ReadDevice.class).size(),
                "only a configured peer's Ping, through its tunnel");
    }

    @Test
    void gossipPlacingAPeerElsewhereWhileOurPingIsOutJudgesThePathAfterOneSecond() {
        long t1 = T0 + 10_000;
        Mesh m = busyPathToB(false);
        dev.peer(B).tx += 100;
        assertTrue(sends(m.onDevice(dev.snapshot(), t1 + 5000)).contains(pingTo("10.9.0.3")));
        // pub's WireGuard saw b roam to a new port: our Ping went to the old one
        dev.apply(m.onDatagram(gossipAt("10.9.0.2"), announce(B, "198.51.100.20:4444", S0 + 15), t1 + 5300));
        List<Action> out = m.onDevice(dev.snapshot(), t1 + 6000);
        assertTrue(notices(out).stream().anyMatch(n -> n instanceof Notice.Lost l && l.peer().equals("b")), out.toString());
        dev.apply(out);
        assertEquals(ep("198.51.100.20:4444"), dev.peer(B).endpoint, "the new address is tried at once");
        // without that word from gossip the Ping gets its 2.5 s
        dev.peers.clear();
        Mesh m2 = busyPathToB(false);
        dev.peer(B).tx += 100;
        dev.apply(m2.onDevice(dev.snapshot(), t1 + 5000));
        assertTrue(notices(m2.onDevice(dev.snapshot(), t1 + 6000)).isEmpty());
        assertTrue(notices(m2.onDevice(dev.snapshot(), t1 + 7500)).stream().anyMatch(n -> n instanceof Notice.Lost));
    }

    @Test
    void savedSightingsAtARestartDoNotDoubtAPeerThatConnectsAfterwards() {
        Mesh m = mesh(false);
        // the state file says b was at port 4444 lately; read before any handshake is known
        dev.apply(m.start(Map.of(B.toBase64(), List.of(new TimedEndpoint(ep("198.51.100.20:4444"), S0 + 50))), T0));
        dev.apply(m.onDevice(dev.snapshot(), T0));
        connect(B, "198.51.100.20:3333", S0); // WireGuard's session with b, at another port
        dev.apply(m.onDevice(dev.snapshot(), T0 + 1000));
        // its greeting Ping is no doubt: nothing answering it within 2.5 s loses nothing
        assertTrue(notices(m.onDevice(dev.snapshot(), T0 + 4000)).stream().noneMatch(n -> n instanceof Notice.Lost),
                m.status(T0 + 4000).peers().toString());
        assertEquals(Optional.empty(), m.status(T0 + 4000).peers().get(1).inDoubt());
    }

    private List<Action> busyBGoesQuiet(boolean pubStillArrives) {
        Mesh m = busyPathToB(true);
        dev.peer(B).tx += 100;
        if (pubStillArrives) dev.peer(PUB).rx += 60;
        return m.onDevice(dev.snapshot(), T0 + 15_000);
    }

    /** b connected (and pub, if asked), then a busy path to b: traffic both ways on every read from 10 s to 14 s. */
    private Mesh busyPathToB(boolean withPub) {
        Mesh m = started(false, T0);
        if (withPub) connect(PUB, PUB_EP, S0);
        connect(B, "198.51.100.20:3333", S0);
        dev.apply(m.onDevice(dev.snapshot(), T0));
        for (long t = T0 + 10_000; t < T0 + 15_000; t += 1000) {
            dev.peer(B).rx += 100;
            dev.peer(B).tx += 100;
            dev.apply(m.onDevice(dev.snapshot(), t));
        }
        return m;
    }

    private List<Action> bDiesWhileCKeepsReceivingAt(String cEndpoint) {
        Mesh m = started(false, T0);
        connect(PUB, PUB_EP, S0);
        connect(B, "198.51.100.20:3333", S0);
        connect(C, cEndpoint, S0);
        dev.apply(m.onDevice(dev.snapshot(), T0));
        long t1 = T0 + 10_000; // pub's first read is long past
        dev.peer(B).tx += 100;
        for (long t = t1; t <= t1 + 2000; t += 1000) {
            dev.peer(C).rx += 60;
            dev.apply(m.onDevice(dev.snapshot(), t)); // b is pinged at t1 + 1000
        }
        dev.peer(C).rx += 60;
        List<Action> out = m.onDevice(dev.snapshot(), t1 + 3500);
        assertTrue(notices(out).stream().anyMatch(n -> n instanceof Notice.Lost l && l.peer().equals("b")), out.toString());
        return out;
    }

    @Test
    void fresherSightingElsewhereMakesAConnectedPeerProveItsPath() {
        Mesh m = started(false, T0);
        connect(B, "198.51.100.20:3333", S0);
        dev.apply(m.onDevice(dev.snapshot(), T0));
        // a sighting older than our handshake: nothing to worry about
        assertTrue(sends(m.onDatagram(gossipAt("10.9.0.2"), announce(B, "198.51.100.21:1", S0 - 5), T0 + 1000)).stream()
                .noneMatch(s -> s.message() instanceof Message.Ping));
        // seen at another address after our handshake: ping it now
        List<Action> out = m.onDatagram(gossipAt("10.9.0.2"), announce(B, "198.51.100.22:2", S0 + 1), T0 + 2000);
        assertTrue(sends(out).contains(pingTo("10.9.0.3")), out.toString());
        assertTrue(updates(out).isEmpty(), "no endpoint change yet");
        // it answers: still connected, nothing changes
        dev.peer(B).rx += 60;
        assertTrue(updates(m.onDevice(dev.snapshot(), T0 + 3000)).stream().noneMatch(u -> u.publicKey().equals(B) && u.endpoint().isPresent()));
        assertEquals(State.CONNECTED, m.status(T0 + 20_000).peers().get(1).state());
        // next time it does not answer: probed 2.5 s after the Ping, freshest candidate first
        dev.apply(m.onDatagram(gossipAt("10.9.0.4"), announce(B, "198.51.100.23:3", S0 + 21), T0 + 21_000));
        assertEquals(State.CONNECTED, m.status(T0 + 23_499).peers().get(1).state());
        assertTrue(notices(m.onTick(T0 + 23_500)).isEmpty(), "judged by what a device read saw, not by the clock alone");
        out = m.onDevice(dev.snapshot(), T0 + 23_500);
        dev.apply(out);
        assertEquals(ep("198.51.100.23:3"), dev.peer(B).endpoint);
        assertTrue(notices(out).get(0) instanceof Notice.Lost l && l.peer().equals("b") && l.reason() instanceof Notice.Lost.Unanswered,
                out.toString());
    }

    @Test
    void lanBroadcastFromAConfiguredPeerIsPreferredWhileFresh() {
        Mesh m = started(true, T0);
        m.onDatagram(gossipAt("10.9.0.2"), announce(B, "198.51.100.1:1", S0), T0);
        InetSocketAddress from = new InetSocketAddress(ip("192.168.1.20"), GOSSIP);
        List<Action> out = lanProven(m, from, B, 51999, T0 + 1000);
        assertEquals(ep("192.168.1.20:51999"), dev.peer(B).endpoint, "a fresh LAN endpoint is tried at once, first");
        assertEquals(SourceKind.LAN, m.status(T0 + 1000).peers().get(1).candidates().get(0).source().kind());

        // our own broadcast, a stranger's, and garbage are ignored
        assertTrue(m.onDatagram(from, new Message.LanBroadcast(ME.toBase64(), 51820), T0 + 2000).isEmpty());
        assertTrue(m.onDatagram(from, new Message.LanBroadcast(key(88).toBase64(), 51820), T0 + 2000).isEmpty());
        assertTrue(m.onDatagram(from, new Message.LanBroadcast("x", 51820), T0 + 2000).isEmpty());
        assertTrue(m.onDatagram(from, new Message.LanBroadcast(C.toBase64(), 0), T0 + 2000).isEmpty(), "port 0");
        assertTrue(m.onDatagram(new InetSocketAddress(ip("10.9.0.4"), GOSSIP), new Message.LanBroadcast(C.toBase64(), 51820),
                T0 + 2000).isEmpty(), "a mesh address is no LAN endpoint");
        MeshStatus.Counters k = m.status(T0 + 2000).counters();
        assertEquals(1, k.foreignBroadcasts());
        assertEquals(2, k.badEndpoints());
        assertEquals(1, k.badPubkeys());

        connect(B, "192.168.1.20:51999", S0 + 3);
        out = m.onDevice(dev.snapshot(), T0 + 3000);
        assertEquals(State.LAN, m.status(T0 + 3000).peers().get(1).state());
        Notice lanUp = notices(out).get(0);
        assertTrue(connectedAt(lanUp, "b", State.LAN, "192.168.1.20:51999"), out.toString());
        assertEquals(Optional.of(SourceKind.LAN), ((Notice.Connected) lanUp).source().map(Source::kind));

        dev.peer(B).handshake = S0 + 290;
        dev.peer(B).rx += 32;
        m.onDevice(dev.snapshot(), T0 + 1000 + 300_000);
        // 300 s later the LAN endpoint is stale: no longer a candidate, the peer is plainly connected
        assertEquals(State.CONNECTED, m.status(T0 + 1000 + 300_000).peers().get(1).state());
        assertTrue(m.status(T0 + 1000 + 300_000).peers().get(1).candidates().stream()
                .noneMatch(c -> c.source().kind() == SourceKind.LAN));
    }

    @Test
    void lanBroadcastIsIgnoredWhenLanDiscoveryIsOff() {
        Mesh m = started(false, T0);
        InetSocketAddress from = new InetSocketAddress(ip("192.168.1.20"), GOSSIP);
        assertTrue(m.onDatagram(from, new Message.LanBroadcast(B.toBase64(), 51999), T0).isEmpty());
        assertEquals(State.NO_CANDIDATES, m.status(T0).peers().get(1).state());
    }

    @Test
    void connectedPeerMovesToAFreshLanEndpointAndBackIfItDoesNotWork() {
        Mesh m = started(true, T0);
        connect(B, "198.51.100.20:3333", S0);
        dev.apply(m.onDevice(dev.snapshot(), T0));
        InetSocketAddress from = new InetSocketAddress(ip("192.168.1.20"), GOSSIP);
        lanProven(m, from, B, 51999, T0 + 1000);
        assertEquals(ep("192.168.1.20:51999"), dev.peer(B).endpoint);
        // nothing comes back over the LAN within the window: back to the working endpoint
        dev.apply(m.onDevice(dev.snapshot(), T0 + 4000));
        assertEquals(ep("192.168.1.20:51999"), dev.peer(B).endpoint);
        dev.apply(m.onDevice(dev.snapshot(), T0 + 7000));
        assertEquals(ep("198.51.100.20:3333"), dev.peer(B).endpoint);
        assertEquals(30, dev.peer(B).keepalive);
        assertTrue(m.status(T0 + 7000).peers().get(1).candidates().stream()
                .filter(c -> c.source().kind() == SourceKind.LAN).findFirst().orElseThrow().retryInMillis() > 0, "LAN backs off");
        dev.apply(m.onDevice(dev.snapshot(), T0 + 8000)); // WireGuard is back at the old endpoint
        assertEquals(SourceKind.WIREGUARD, m.status(T0 + 8000).peers().get(1).endpointSource().orElseThrow().kind(),
                "the endpoint put back keeps its own source, not the LAN's");

        // next time it works: traffic arrives from the LAN address
        dev.apply(m.onDevice(dev.snapshot(), T0 + 20_000));
        assertEquals(ep("192.168.1.20:51999"), dev.peer(B).endpoint);
        dev.peer(B).rx += 148;
        List<Action> out = m.onDevice(dev.snapshot(), T0 + 27_000);
        dev.apply(out);
        assertEquals(ep("192.168.1.20:51999"), dev.peer(B).endpoint);
        assertEquals(List.of(new Notice.MovedToLan("b", B.toBase64(), ep("198.51.100.20:3333"), ep("192.168.1.20:51999"))),
                notices(out));
        assertEquals(State.LAN, m.status(T0 + 27_000).peers().get(1).state());
    }

    @Test
    void lanBroadcastsAtStartAFewSecondsLaterThenEveryMinute() {
        Mesh m = mesh(true);
        m.start(Map.of(), T0);
        assertTrue(m.onTick(T0).isEmpty(), "no listen port known before the first device read");
        m.onDevice(dev.snapshot(), T0);
        List<Long> at = new ArrayList<>();
        for (long t = T0; t <= T0 + 130_000; t += 1000) {
            for (Action a : m.onTick(t)) {
                if (a instanceof Action.Broadcast b) {
                    assertEquals(new Message.LanBroadcast(ME.toBase64(), 51820), b.message());
                    at.add((t - T0) / 1000);
                }
            }
        }
        assertEquals(List.of(0L, 3L, 63L, 123L), at);
        dev.listenPort = 51999; // the interface was recreated on another port: the LAN hears it at once
        m.onDevice(dev.snapshot(), T0 + 131_000);
        assertEquals(List.of(new Action.Broadcast(new Message.LanBroadcast(ME.toBase64(), 51999))),
                only(m.onTick(T0 + 131_000), Action.Broadcast.class));
        assertTrue(only(mesh(false).start(Map.of(), T0), Action.Broadcast.class).isEmpty());
    }

    @Test
    void externalEndpointIsAnnouncedAsOurOwn() {
        Mesh m = started(false, T0);
        connect(PUB, PUB_EP, S0);
        dev.apply(m.onDevice(dev.snapshot(), T0));
        List<Action> out = m.onExternalEndpoint(Optional.of(ep("198.51.100.200:51820")), T0 + 5000);
        assertEquals(List.of(new Action.Send(gossipAt("10.9.0.2"), announce(ME, "198.51.100.200:51820", S0 + 5))), sends(out));
        assertEquals(1, only(out, Action.Persist.class).size());
        assertTrue(m.onExternalEndpoint(Optional.of(ep("198.51.100.200:51820")), T0 + 65_000).isEmpty(), "renewals are quiet");
        assertEquals(Optional.of(ep("198.51.100.200:51820")), m.status(T0).externalEndpoint());
    }

    @Test
    void statusTellsStateEndpointSourceCandidatesAndBytes() {
        Mesh m = started(false, T0);
        MeshStatus s0 = m.status(T0);
        assertEquals(ME.toBase64(), s0.ownPubkey());
        assertEquals(51820, s0.listenPort());
        assertEquals(List.of("pub", "b", "c"), s0.peers().stream().map(MeshStatus.Peer::name).toList());
        assertEquals(State.PROBING, s0.peers().get(0).state());
        assertEquals("config", s0.peers().get(0).endpointSource().orElseThrow().toString());
        assertEquals(State.NO_CANDIDATES, s0.peers().get(2).state());
        assertFalse(s0.allConnected());

        connect(PUB, PUB_EP, S0 + 2);
        dev.apply(m.onDevice(dev.snapshot(), T0 + 2000));
        dev.apply(m.onDatagram(gossipAt("10.9.0.2"), announce(B, "198.51.100.30:5000", S0), T0 + 2500));
        connect(B, "198.51.100.30:5000", S0 + 4);
        dev.peer(B).rx = 1000;
        dev.peer(B).tx = 2000;
        List<Action> out = m.onDevice(dev.snapshot(), T0 + 3900);
        assertEquals(new Notice.Connected("b", B.toBase64(), Optional.of(State.PROBING), State.CONNECTED,
                        Optional.of(ep("198.51.100.30:5000")), Optional.of(new Source(SourceKind.GOSSIP, "pub")),
                        OptionalLong.of(1400), OptionalLong.empty()),
                notices(out).get(0));
        MeshStatus.Peer b = m.status(T0 + 10_000).peers().get(1);
        assertEquals(State.CONNECTED, b.state());
        assertEquals(Optional.of(ep("198.51.100.30:5000")), b.endpoint());
        assertEquals("gossip from pub", b.endpointSource().orElseThrow().toString());
        assertEquals(6, b.handshakeAgeSeconds().getAsLong());
        assertEquals(1000, b.rxBytes());
        assertEquals(2000, b.txBytes());
        assertEquals(1, b.candidates().get(0).tries());
        assertEquals(7500, b.candidates().get(0).lastTriedAgoMillis().getAsLong());
        assertEquals("connected", b.state().label());
        assertEquals("no candidates", State.NO_CANDIDATES.label());

        // c gossips the same address, fresher: status still names the source the connection came from,
        // as the log line did.
        dev.apply(m.onDatagram(gossipAt("10.9.0.4"), announce(B, "198.51.100.30:5000", S0 + 20), T0 + 21_000));
        assertEquals("gossip from pub", m.status(T0 + 22_000).peers().get(1).endpointSource().orElseThrow().toString());
    }

    @Test
    void anAddressTheConfigNamesIsShownAsTheConfigsEvenWhenGossipedFirst() {
        Mesh m = mesh(false);
        dev.apply(m.start(Map.of(), T0));
        dev.apply(m.onDevice(dev.snapshot(), T0));
        connect(B, "198.51.100.30:5000", S0);
        dev.apply(m.onDevice(dev.snapshot(), T0 + 500));
        // b gossips where it sees pub before pub's configured name has resolved.
        dev.apply(m.onDatagram(gossipAt("10.9.0.3"), announce(PUB, PUB_EP, S0), T0 + 600));
        dev.apply(m.onResolved(PUB, List.of(ep(PUB_EP)), T0 + 700));
        connect(PUB, PUB_EP, S0 + 1);
        List<Action> out = m.onDevice(dev.snapshot(), T0 + 1500);
        assertTrue(notices(out).stream().anyMatch(n -> connectedAt(n, "pub", State.CONNECTED, PUB_EP)
                && ((Notice.Connected) n).source().equals(Optional.of(new Source(SourceKind.CONFIG, "")))), out.toString());
        assertEquals("config", m.status(T0 + 2000).peers().get(0).endpointSource().orElseThrow().toString());
    }

    @Test
    void aConnectedPeerWhoseSessionVanishedIsNotSaidToBeDecadesOld() {
        Mesh m = started(false, T0);
        connect(PUB, PUB_EP, S0);
        dev.apply(m.onDevice(dev.snapshot(), T0 + 1000));
        dev.peers.remove(PUB); // the interface was recreated: peers and sessions gone
        dev.apply(m.onDevice(dev.snapshot(), T0 + 2000)); // configured again, without a session
        List<Action> out = m.onDevice(dev.snapshot(), T0 + 3000);
        List<Notice> lost = notices(out);
        assertTrue(lost.stream().anyMatch(n -> n instanceof Notice.Lost l && l.peer().equals("pub")
                && l.reason() instanceof Notice.Lost.NoSession), lost.toString());
    }

    @Test
    void peerRemovedBehindOurBackIsConfiguredAgain() {
        Mesh m = started(false, T0);
        dev.peers.remove(PUB);
        dev.apply(m.onDevice(dev.snapshot(), T0 + 1000));
        assertEquals(List.of(new IpPrefix(ip("10.9.0.2"), 32)), dev.peer(PUB).allowed);
        assertEquals(ep(PUB_EP), dev.peer(PUB).endpoint);
    }
}
