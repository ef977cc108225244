package dev.automesh.mesh;

import static dev.automesh.mesh.FakeDevice.only;
import static dev.automesh.mesh.FakeDevice.peerConfig;
import static dev.automesh.mesh.FakeDevice.sends;
import static dev.automesh.mesh.FakeDevice.updates;
import static dev.automesh.testsupport.TestValues.ep;
import static dev.automesh.testsupport.TestValues.ip;
import static dev.automesh.testsupport.TestValues.key;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.automesh.config.PeerConfig;
import dev.automesh.crypto.WgKey;
import dev.automesh.mesh.MeshStatus.State;
import dev.automesh.wg.IpPrefix;
import dev.automesh.wg.PeerUpdate;
import dev.automesh.wire.Message;
import dev.automesh.wire.TimedEndpoint;
import dev.automesh.wire.WireCodec;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** The attacks of a hostile-input campaign, each against the real Mesh, showing that it no longer works. */
class MeshHostileTest {
    static final int GOSSIP = 1666;
    static final long T0 = 1_800_000_000_000L;
    static final long S0 = T0 / 1000;
    static final WgKey ME = key(0), PUB = key(1), B = key(2), C = key(3);

    final FakeDevice dev = new FakeDevice(ME, 51820);
    final List<PeerConfig> configs = new ArrayList<>(List.of(
            peerConfig("me", ME, "10.9.0.1", null),
            peerConfig("pub", PUB, "10.9.0.2", "203.0.113.1:51820"),
            peerConfig("b", B, "10.9.0.3", null),
            peerConfig("c", C, "10.9.0.4", null)));

    Mesh started(boolean lan) {
        Mesh m = new Mesh(new MeshSettings(ME, GOSSIP, lan, configs, List.of(new IpPrefix(ip("192.168.1.0"), 24))));
        dev.apply(m.start(Map.of(), T0));
        dev.apply(m.onDevice(dev.snapshot(), T0));
        dev.apply(m.onResolved(PUB, List.of(ep("203.0.113.1:51820")), T0));
        return m;
    }

    static InetSocketAddress gossipAt(String ip) {
        return new InetSocketAddress(ip(ip), GOSSIP);
    }

    static WgKey freshKey(int n) {
        byte[] b = new byte[32];
        for (int i = 0; i < 4; i++) b[i] = (byte) (n >>> (8 * i));
        b[31] = 0x55;
        return WgKey.of(b);
    }

    static long usedHeap() {
        Runtime rt = Runtime.getRuntime();
        for (int i = 0; i < 3; i++) System.gc();
        return rt.totalMemory() - rt.freeMemory();
    }

    // ------------------------------------------------------------------------------------ 1. memory

    @Test
    void aMillionFreshKeyAnnouncesLeaveMemoryFlatAndTheWorkBounded() {
        Mesh m = started(false);
        dev.peer(PUB).endpoint = ep("203.0.113.1:51820");
        dev.peer(PUB).handshake = S0;
        dev.apply(m.onDevice(dev.snapshot(), T0)); // pub is live: fan-outs go to it
        long before = usedHeap();
        long configures = 0, sends = 0, notices = 0, persists = 0;
        long now = T0;
        int n = 1_000_000;
        for (int i = 0; i < n; i++) {
            now = T0 + i / 5; // 5000 datagrams a second, as in the campaign: 200 simulated seconds
            Message.Announce a;
            InetSocketAddress from;
            if (i % 3 == 0) { // fresh key, no endpoints
                a = new Message.Announce(freshKey(i).toBase64(), List.of());
                from = gossipAt("10.9.0.2");
            } else if (i % 3 == 1) { // fresh key with endpoints
                a = new Message.Announce(freshKey(i).toBase64(), List.of(new TimedEndpoint(
                        new InetSocketAddress("198.51." + (i >>> 8 & 0xff) + "." + (i & 0xff), 51820), S0)));
                from = gossipAt("10.9.0.2");
            } else { // a fresh endpoint for a configured peer that is not connected, from ever new sources
                a = new Message.Announce(B.toBase64(), List.of(new TimedEndpoint(
                        new InetSocketAddress("198.18." + (i >>> 8 & 0xff) + "." + (i & 0xff), 1 + i % 60000), now / 1000)));
                from = new InetSocketAddress("100.64." + (i >>> 8 & 0xff) + "." + (i & 0xff), GOSSIP);
            }
            List<Action> out = m.onDatagram(from, a, now);
            if (i % 5000 == 0) out = concat(out, m.onTick(now));
            for (Action x : out) {
                if (x instanceof Action.Configure) configures++;
                else if (x instanceof Action.Send) sends++;
                else if (x instanceof Action.Notice) notices++;
                else if (x instanceof Action.Persist) persists++;
            }
            dev.apply(out);
        }
        long after = usedHeap();
        Mesh.Sizes s = m.sizes();
        System.out.printf("1M fresh-key Announces: heap %+d KiB, sizes %s, %d Configure, %d Send, %d Persist, %d notices, counters %s%n",
                (after - before) / 1024, s, configures, sends, persists, notices, m.status(now).counters());
        assertTrue(s.table() <= GossipTable.MAX_UNKNOWN_PUBKEYS + configs.size(), s.toString());
        assertTrue(s.learned() <= s.table(), "origin records only for listed keys: " + s);
        assertTrue(s.attempts() <= 3 * (GossipTable.KEEP_MAX_ADDRESSES + 2), "attempt records bounded: " + s);
        assertTrue(s.fanOutPending() <= s.table(), s.toString());
        // 200 simulated seconds of work budget (10/s, burst 40) plus one drive per tick.
        long seconds = (now - T0) / 1000 + 1;
        long work = (long) (Mesh.WORK_PER_S * seconds + Mesh.WORK_BURST);
        assertTrue(configures <= work + seconds, configures + " reconfigurations for " + n + " datagrams");
        assertTrue(persists <= work + seconds, persists + " saves");
        assertTrue(sends <= (work + seconds) * (Mesh.GOSSIP_PEERS + 1), sends + " sends");
        assertTrue(notices <= 4, "no notice per datagram: " + notices);
        assertTrue(m.status(now).counters().unknownPeersFull() > n / 2);
        assertTrue(m.status(now).counters().workDeferred() > 0);
        // Memory: the old code grew by ~194 MiB here; the bounded tables are a few hundred KiB.
        assertTrue(after - before < 24L << 20, "heap grew by " + (after - before) / 1024 + " KiB");
    }

    @Test
    void aCraftedStateFileLoadsNoMoreUnknownKeysThanGossipCould() {
        Map<String, List<TimedEndpoint>> saved = new LinkedHashMap<>();
        for (int i = 0; i < 200_000; i++) {
            saved.put(freshKey(i).toBase64(), List.of(new TimedEndpoint(ep("198.51.100.7:51820"), S0 - 10)));
        }
        saved.put("garbage", List.of());
        Mesh m = new Mesh(new MeshSettings(ME, GOSSIP, false, configs));
        m.start(saved, T0);
        assertEquals(GossipTable.MAX_UNKNOWN_PUBKEYS, m.persistentState().size());
        assertEquals(200_001 - GossipTable.MAX_UNKNOWN_PUBKEYS, m.status(T0).counters().stateFileDropped());
    }

    @Test
    void noCandidatesIsNoticedOncePerStateChangeNotPerDatagram() {
        Mesh m = started(false);
        int notices = 0;
        for (int i = 0; i < 10_000; i++) {
            List<Action> out = m.onDatagram(gossipAt("10.9.0.2"), new Message.Announce(freshKey(i).toBase64(), List.of()), T0 + i);
            out = concat(out, m.onTick(T0 + i));
            notices += only(out, Action.Notice.class).size();
        }
        assertEquals(0, notices, "unknown keys are no peers, and b and c said so once at start");
    }

    // ------------------------------------------------------------------------------------ 2. replay

    @Test
    void aReplayedLanBroadcastFromAnotherAddressDoesNotMoveAWorkingPeer() {
        Mesh m = started(true);
        InetSocketAddress b = new InetSocketAddress(ip("192.168.1.3"), GOSSIP);
        // b is on our LAN, proven and connected there
        dev.apply(m.onDatagram(b, new Message.LanBroadcast(B.toBase64(), 51820), T0 + 100));
        dev.apply(m.onDatagram(b, new Message.Pong(), T0 + 120));
        assertEquals(ep("192.168.1.3:51820"), dev.peer(B).endpoint);
        dev.peer(B).handshake = S0 + 1;
        dev.peer(B).rx = 148;
        dev.apply(m.onDevice(dev.snapshot(), T0 + 1000));
        assertEquals(State.LAN, m.status(T0 + 1000).peers().get(1).state());

        // The attacker replays b's captured broadcast from its own address, every 3 s for two minutes.
        InetSocketAddress replayer = new InetSocketAddress(ip("192.168.1.66"), GOSSIP);
        int pings = 0;
        for (long t = T0 + 2000; t < T0 + 122_000; t += 1000) {
            List<Action> out = new ArrayList<>();
            if ((t - T0) % 3000 == 0) out.addAll(m.onDatagram(replayer, new Message.LanBroadcast(B.toBase64(), 51820), t));
            dev.peer(B).rx += 32; // b's keepalives keep arriving over the LAN
            if ((t - T0) % 60_000 == 0) dev.apply(m.onDatagram(b, new Message.LanBroadcast(B.toBase64(), 51820), t));
            out.addAll(m.onDevice(dev.snapshot(), t));
            out.addAll(m.onTick(t));
            pings += (int) sends(out).stream().filter(s -> s.to().getAddress().equals(replayer.getAddress())).count();
            assertTrue(updates(out).stream().noneMatch(u -> u.publicKey().equals(B) && u.endpoint().isPresent()),
                    "b's endpoint is not touched at " + (t - T0) + " ms: " + out);
            dev.apply(out);
        }
        assertEquals(ep("192.168.1.3:51820"), dev.peer(B).endpoint);
        assertEquals(State.LAN, m.status(T0 + 122_000).peers().get(1).state());
        assertTrue(pings > 0 && pings <= 40, "one proof Ping per replay window at most: " + pings);
        MeshStatus.Counters k = m.status(T0 + 122_000).counters();
        assertEquals(1, k.lanProofsPassed(), "only b's own proof passed");
        assertTrue(k.lanProofsSent() > 1);
    }

    @Test
    void aPongFromAnAddressWeDidNotAskProvesNothing() {
        Mesh m = started(true);
        InetSocketAddress from = new InetSocketAddress(ip("192.168.1.66"), GOSSIP);
        dev.apply(m.onDatagram(from, new Message.Pong(), T0 + 100));
        dev.apply(m.onDatagram(from, new Message.LanBroadcast(B.toBase64(), 51820), T0 + 200));
        // the proof window passes without an answer; a late Pong is no answer
        dev.apply(m.onDatagram(from, new Message.Pong(), T0 + 200 + LanProof.WINDOW_MS));
        dev.apply(m.onTick(T0 + 6000));
        assertTrue(m.status(T0 + 6000).peers().get(1).candidates().isEmpty());
        assertEquals(0, m.status(T0 + 6000).counters().lanProofsPassed());
    }

    // ------------------------------------------------------------------------------------ 3. a lying member

    @Test
    void aLyingMemberCannotKeepAPairApart() {
        Mesh m = started(false);
        dev.peer(B).endpoint = ep("198.51.100.20:4000");
        dev.peer(B).handshake = S0;
        dev.peer(PUB).endpoint = ep("203.0.113.1:51820");
        dev.peer(PUB).handshake = S0;
        dev.apply(m.onDevice(dev.snapshot(), T0));
        assertEquals(State.CONNECTED, m.status(T0).peers().get(1).state());

        // c lies: b is at five bogus endpoints, dated ten minutes ahead, every 2 s.
        long t = T0;
        long remapAt = T0 + 60_000;
        long learnedAt = -1;
        long triedAt = -1;
        int steps = 0;
        for (; t < T0 + 180_000; t += 1000, steps++) {
            List<Action> out = new ArrayList<>();
            long s = t / 1000;
            if ((t - T0) % 2000 == 0) {
                List<TimedEndpoint> lies = new ArrayList<>();
                for (int i = 0; i < 5; i++) lies.add(new TimedEndpoint(ep("192.0.2." + (10 + i) + ":666"), s + 600));
                out.addAll(m.onDatagram(gossipAt("10.9.0.4"), new Message.Announce(B.toBase64(), lies), t));
            }
            if (t < remapAt) {
                dev.peer(B).rx += 32; // traffic flows
                dev.peer(B).handshake = Math.max(dev.peer(B).handshake, s - 100);
                dev.peer(B).endpoint = ep("198.51.100.20:4000");
            } else if (learnedAt < 0 && t >= remapAt + 5000) {
                // b's NAT re-mapped at remapAt; pub sees b at its new endpoint and says so
                learnedAt = t;
                out.addAll(m.onDatagram(gossipAt("10.9.0.2"),
                        new Message.Announce(B.toBase64(), List.of(new TimedEndpoint(ep("198.51.100.20:5001"), s - 2))), t));
            }
            out.addAll(m.onDevice(dev.snapshot(), t));
            out.addAll(m.onTick(t));
            dev.apply(out);
            if (triedAt < 0 && ep("198.51.100.20:5001").equals(dev.peer(B).endpoint)) {
                triedAt = t;
                break;
            }
        }
        System.out.printf("lying member: b's new endpoint tried %d ms after it was announced (%d steps)%n",
                triedAt - learnedAt, steps);
        assertTrue(learnedAt > 0 && triedAt > 0, "b's real endpoint was never tried: " + m.status(t).peers().get(1));
        // Its path went silent: Ping, 11 s, then candidates in order; the real one, being fresh, goes first.
        assertTrue(triedAt - learnedAt <= 15_000, "tried after " + (triedAt - learnedAt) + " ms");
        List<TimedEndpoint> listed = m.persistentState().get(B.toBase64());
        long endS = t / 1000;
        assertTrue(listed.stream().allMatch(e -> e.unixSeconds() <= endS + GossipTable.MAX_SKEW_S),
                "no date from the future is kept: " + listed);
        assertTrue(listed.stream().filter(e -> e.address().getPort() == 666).count() <= GossipTable.MAX_PER_SOURCE,
                "one source fills at most two slots: " + listed);
    }

    @Test
    void aFailedEndpointGoesToTheBackWhateverItsDate() {
        Mesh m = started(false);
        // c announces b at an endpoint that does not answer, dated newer than pub's
        dev.apply(m.onDatagram(gossipAt("10.9.0.4"), MeshTest.announce(B, "192.0.2.1:666", S0), T0));
        dev.apply(m.onDatagram(gossipAt("10.9.0.2"), MeshTest.announce(B, "198.51.100.20:5001", S0 - 30), T0));
        assertEquals(ep("192.0.2.1:666"), dev.peer(B).endpoint, "the newest is tried first");
        for (long t = T0 + 1000; t <= T0 + 7000; t += 1000) dev.apply(m.onTick(t));
        assertEquals(ep("198.51.100.20:5001"), dev.peer(B).endpoint, "then the next");
        List<MeshStatus.Candidate> cands = m.status(T0 + 7000).peers().get(1).candidates();
        assertEquals(List.of(ep("198.51.100.20:5001"), ep("192.0.2.1:666")),
                cands.stream().map(MeshStatus.Candidate::address).toList(), "a failure outranks a date: " + cands);
    }

    // ------------------------------------------------------------------------------------ 4. reflection

    @Test
    void requestsFromAForgedSourceGetNoAnswerAndLanAskersABoundedOne() {
        Mesh m = started(false);
        for (int i = 0; i < 64; i++) {
            m.onDatagram(gossipAt("10.9.0.2"), new Message.Announce(freshKey(i).toBase64(), List.of(
                    new TimedEndpoint(ep("198.51.100." + i + ":51820"), S0 - 1),
                    new TimedEndpoint(ep("198.51.101." + i + ":51820"), S0 - 2))), T0);
        }
        // A forged source that is no peer, not on a connected subnet, not loopback: nothing at all.
        InetSocketAddress victim = new InetSocketAddress(ip("198.51.100.200"), 53);
        for (int i = 0; i < 1000; i++) {
            assertTrue(m.onDatagram(victim, new Message.Request(), T0 + i).isEmpty());
            assertTrue(m.onDatagram(victim, new Message.Ping(), T0 + i).isEmpty());
        }
        assertEquals(2000, m.status(T0).counters().refusedAskers());

        // A LAN asker flooding Requests for 10 s: at most the burst plus the rate, in bytes.
        InetSocketAddress lan = new InetSocketAddress(ip("192.168.1.50"), GOSSIP);
        long bytes = 0;
        long announcesOut = 0;
        for (int i = 0; i < 10_000; i++) {
            for (Action.Send s : sends(m.onDatagram(lan, new Message.Request(), T0 + i))) {
                assertEquals(lan, s.to());
                bytes += WireCodec.encode(s.message()).length + 40;
                announcesOut++;
            }
        }
        long cap = (long) (Askers.BURST_BYTES + Askers.BYTES_PER_S * 10);
        System.out.printf("10 000 Requests from a LAN asker in 10 s: %d bytes in %d Announces out (cap %d)%n", bytes, announcesOut, cap);
        assertTrue(bytes <= cap, bytes + " bytes out");
        assertTrue(m.status(T0 + 10_000).counters().refusedAnswerBytes() > 0);
        // One Request's answer: every configured key, and at most 16 unconfigured ones.
        Mesh fresh = started(false);
        for (int i = 0; i < 64; i++) {
            fresh.onDatagram(gossipAt("10.9.0.2"), new Message.Announce(freshKey(i).toBase64(), List.of(
                    new TimedEndpoint(ep("198.51.100." + i + ":51820"), S0 - 1))), T0);
        }
        assertEquals(Mesh.ANSWER_MAX_UNKNOWN, sends(fresh.onDatagram(gossipAt("10.9.0.3"), new Message.Request(), T0)).size());
        // a configured peer's mesh address and loopback are askers
        // (a configured peer's Pong carries our Capabilities; the answer itself is what counts here)
        assertEquals(List.of(new Message.Pong()), sends(fresh.onDatagram(gossipAt("10.9.0.3"), new Message.Ping(), T0)).stream()
                .filter(s -> s.to().equals(gossipAt("10.9.0.3"))).map(Action.Send::message).toList());
        assertEquals(1, fresh.onDatagram(gossipAt("127.0.0.1"), new Message.Ping(), T0).size());
    }

    @Test
    void unknownPubkeysNeverGetConfigured() {
        Mesh m = started(false);
        Set<WgKey> configured = configs.stream().map(PeerConfig::pubkey).collect(Collectors.toSet());
        List<PeerUpdate> all = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            all.addAll(updates(m.onDatagram(gossipAt("10.9.0.2"), new Message.Announce(freshKey(i).toBase64(),
                    List.of(new TimedEndpoint(ep("198.51.100." + (i % 250) + ":51820"), S0))), T0 + i)));
            all.addAll(updates(m.onTick(T0 + i * 1000L)));
        }
        assertTrue(all.stream().allMatch(u -> configured.contains(u.publicKey())), all.toString());
    }

    // ------------------------------------------------------------------------------------ 5. endpoints

    @Test
    void endpointsThatCanNeverBeAPeerAreDroppedInEverySpelling() throws Exception {
        Map<String, String> bad = new LinkedHashMap<>();
        bad.put("[::ffff:10.9.0.1]:51820", "own mesh address, IPv4-mapped");
        bad.put("[::10.9.0.1]:51820", "own mesh address, IPv4-compatible");
        bad.put("10.9.0.1:51820", "own mesh address");
        bad.put("[::ffff:10.9.0.3]:51820", "a peer's mesh address, IPv4-mapped");
        bad.put("[::1]:51820", "IPv6 loopback");
        bad.put("127.0.0.1:51820", "loopback");
        bad.put("127.45.6.7:51820", "loopback /8");
        bad.put("[::ffff:127.0.0.1]:51820", "loopback, IPv4-mapped");
        bad.put("[fe80::1]:51820", "IPv6 link-local");
        bad.put("169.254.169.254:80", "cloud metadata, link-local");
        bad.put("0.0.0.0:51820", "unspecified");
        bad.put("0.1.2.3:51820", "0.0.0.0/8");
        bad.put("[::]:51820", "IPv6 unspecified");
        bad.put("[::ffff:0.0.0.0]:51820", "IPv4-mapped unspecified");
        bad.put("240.0.0.1:51820", "240/4");
        bad.put("254.255.255.255:51820", "240/4");
        bad.put("255.255.255.255:51820", "broadcast");
        bad.put("[::ffff:255.255.255.255]:51820", "broadcast, IPv4-mapped");
        bad.put("224.0.0.1:51820", "multicast");
        bad.put("[ff02::1]:51820", "IPv6 multicast");
        bad.put("198.51.100.9:0", "port 0");
        Mesh m = started(false);
        long dropped = 0;
        for (var e : bad.entrySet()) {
            // As the wire decodes it: 16 raw bytes for IPv6 forms.
            InetSocketAddress a = ep(e.getKey());
            a = new InetSocketAddress(InetAddress.getByAddress(a.getAddress().getAddress()), a.getPort());
            m.onDatagram(gossipAt("10.9.0.4"), new Message.Announce(B.toBase64(), List.of(new TimedEndpoint(a, S0))), T0);
            dropped++;
            assertEquals(dropped, m.status(T0).counters().badEndpoints(), e.getValue() + " " + e.getKey() + " was accepted");
        }
        assertTrue(m.persistentState().getOrDefault(B.toBase64(), List.of()).isEmpty(), m.persistentState().toString());
        // what is real stays: private, LAN, CGNAT, x.x.x.255 host addresses, global IPv6
        List<String> good = List.of("10.1.2.3:51820", "192.168.1.255:51820", "100.64.0.1:51820", "[2001:db8::1]:51820",
                "[fd00::5]:51820");
        Map<String, Long> dates = new HashMap<>();
        for (int i = 0; i < good.size(); i++) dates.put(good.get(i), S0 - i);
        for (String g : good) {
            m.onDatagram(gossipAt("10.9.0.3"), MeshTest.announce(B, g, dates.get(g)), T0);
        }
        assertEquals(good.size(), m.persistentState().get(B.toBase64()).size(), m.persistentState().toString());
        assertEquals(dropped, m.status(T0).counters().badEndpoints());
    }

    static List<Action> concat(List<Action> a, List<Action> b) {
        if (b.isEmpty()) return a;
        List<Action> all = new ArrayList<>(a);
        all.addAll(b);
        return all;
    }
}
