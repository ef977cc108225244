package dev.automesh.mesh;

import static dev.automesh.mesh.FakeDevice.peerConfig;
import static dev.automesh.mesh.FakeDevice.sends;
import static dev.automesh.testsupport.TestValues.ep;
import static dev.automesh.testsupport.TestValues.ip;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.automesh.config.PeerConfig;
import dev.automesh.crypto.GossipCipher;
import dev.automesh.crypto.WgKey;
import dev.automesh.wire.Message;
import dev.automesh.wire.TimedEndpoint;
import dev.automesh.wire.WireCodec;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * Issue 16: no single event emits more than {@link Out#CALL_DATAGRAMS} datagrams, however many peers;
 * what must go out follows over the next calls, a path in doubt first.
 */
class PacingTest {
    static final int GOSSIP = 1666;
    static final int N = 1000;
    static final long T0 = 1_800_000_000_000L;
    static final long S0 = T0 / 1000;
    static final WgKey ME = key(0);

    final FakeDevice dev = new FakeDevice(ME, 51820);
    final List<PeerConfig> configs = new ArrayList<>();
    /** Where each peer was last seen: the saved table a restart begins with. */
    final Map<String, List<TimedEndpoint>> saved = new LinkedHashMap<>();

    PacingTest() {
        configs.add(peerConfig("me", ME, meshIp(0), null));
        for (int i = 1; i <= N; i++) {
            configs.add(peerConfig("p" + i, key(i), meshIp(i), null));
            saved.put(key(i).toBase64(), List.of(new TimedEndpoint(ep(publicEp(i)), S0 - 60)));
        }
    }

    /** Distinct keys for any i (TestValues.key repeats after 256). */
    static WgKey key(int i) {
        byte[] b = new byte[32];
        for (int k = 0; k < 4; k++) b[k] = (byte) (i >>> (8 * k));
        b[31] = 0x33;
        return WgKey.of(b);
    }

    static String meshIp(int i) {
        return "10.9." + (i / 250) + "." + (i % 250 + 1);
    }

    static String publicEp(int i) {
        return "100." + (10 + i / 250) + "." + (i % 250 + 1) + ".7:51820";
    }

    /** The peer whose mesh address {@code to} is. */
    static int indexOf(InetSocketAddress to) {
        byte[] b = to.getAddress().getAddress();
        return (b[2] & 0xff) * 250 + (b[3] & 0xff) - 1;
    }

    static InetSocketAddress gossipAt(int i) {
        return new InetSocketAddress(ip(meshIp(i)), GOSSIP);
    }

    Mesh restarted() {
        Mesh m = new Mesh(new MeshSettings(ME, GOSSIP, false, configs));
        dev.apply(m.start(saved, T0));
        return m;
    }

    /** Started without a saved table, WireGuard holding a session with every peer. */
    Mesh withSessionsToAll() {
        Mesh m = new Mesh(new MeshSettings(ME, GOSSIP, false, configs));
        dev.apply(m.start(Map.of(), T0));
        for (int i = 1; i <= N; i++) {
            FakeDevice.P p = dev.peer(key(i));
            p.endpoint = ep(publicEp(i));
            p.handshake = S0;
        }
        return m;
    }

    /** Applies one call's actions, checks its cap, and returns its sends. */
    List<Action.Send> call(List<Action> actions) {
        dev.apply(actions);
        List<Action.Send> s = sends(actions);
        assertTrue(s.size() <= Out.CALL_DATAGRAMS, s.size() + " datagrams from one call");
        return s;
    }

    @Test
    void aRestartWithAThousandPeersToTryTriesThemOverTheNextCallsInTurn() {
        Mesh m = restarted();
        List<Action.Send> first = call(m.onDevice(dev.snapshot(), T0));
        assertEquals(Out.CALL_TRIES, first.size(), "the first read tries as many as a call may");
        Set<InetSocketAddress> pinged = new HashSet<>();
        first.forEach(s -> pinged.add(s.to()));
        // A tick and a read each second: every peer tried within N / CALL_TRIES calls, none starved by those tried first.
        int calls = 1;
        for (long t = T0 + 500; pinged.size() < N && calls < 2 * N / Out.CALL_TRIES; t += 500, calls++) {
            List<Action.Send> s = call(t % 1000 == 0 ? m.onDevice(dev.snapshot(), t) : m.onTick(t));
            s.forEach(x -> pinged.add(x.to()));
        }
        assertEquals(N, pinged.size(), "tried after " + calls + " calls");
        assertTrue(calls <= (N + Out.CALL_TRIES - 1) / Out.CALL_TRIES + 1, calls + " calls");
    }

    @Test
    void ourNetworkChangingPingsAThousandConnectedPeersWithinAFewCalls() {
        // No saved table: its entries would cast doubt on every path at the first read (seen elsewhere since).
        Mesh m = withSessionsToAll();
        for (long t = T0; t <= T0 + 10_000; t += 1000) {
            call(m.onDevice(dev.snapshot(), t)); // all connect; greetings and catch-ups drain
            call(m.onTick(t + 500));
        }
        List<Action.Send> first = call(m.onNetworkChanged(T0 + 11_000));
        Set<InetSocketAddress> pinged = new HashSet<>();
        first.stream().filter(s -> s.message() instanceof Message.Ping).forEach(s -> pinged.add(s.to()));
        assertTrue(pinged.size() >= Out.CALL_DATAGRAMS - 8, pinged.size() + " pinged at once");
        List<Action.Send> next = call(m.onDevice(dev.snapshot(), T0 + 11_100));
        next.stream().filter(s -> s.message() instanceof Message.Ping).forEach(s -> pinged.add(s.to()));
        call(m.onTick(T0 + 11_500)).stream().filter(s -> s.message() instanceof Message.Ping).forEach(s -> pinged.add(s.to()));
        call(m.onDevice(dev.snapshot(), T0 + 12_000)).stream().filter(s -> s.message() instanceof Message.Ping)
                .forEach(s -> pinged.add(s.to()));
        assertEquals(N, pinged.size(), "every path in doubt pinged within a second and four calls");
    }

    @Test
    void idleLinksWhoseKeepaliveRhythmBreaksTogetherArePingedAFewDozenACall() {
        // After a cold start the sessions re-key together, and at the next keepalive about half the
        // pairs swap which end sends: here all 1000 at once, the worst case.
        Mesh m = withSessionsToAll();
        Set<InetSocketAddress> pinged = new HashSet<>();
        int calls = 0;
        for (long t = T0; t <= T0 + 180_000; t += 500) {
            for (int i = 1; i <= N; i++) {
                FakeDevice.P p = dev.peer(key(i));
                if (t == T0 + 1000) p.rx += 60; // the greetings' Pongs
                if (t == T0 + 30_000 || t == T0 + 60_000) p.rx += 32; // its keepalives, every 30 s...
                if (t == T0 + 90_000) p.tx += 32; // ...then ours instead
            }
            List<Action.Send> s = call(t % 1000 == 0 ? m.onDevice(dev.snapshot(), t) : m.onTick(t));
            if (t < T0 + 90_000) continue;
            List<InetSocketAddress> now = s.stream().filter(x -> x.message() instanceof Message.Ping).map(Action.Send::to).toList();
            assertTrue(now.size() <= Out.CALL_IDLE_CHECKS, now.size() + " Pings in one call at " + (t - T0));
            pinged.addAll(now);
            for (InetSocketAddress to : now) dev.peer(key(indexOf(to))).rx += 60; // each answers: the links were fine
            calls++;
            if (pinged.size() == N) break;
        }
        assertEquals(N, pinged.size(), "every idle link checked");
        assertTrue(calls <= N / Out.CALL_IDLE_CHECKS + 2 * PeerPath.IDLE_SLOTS + 2, calls + " calls");
    }

    @Test
    void aPathInDoubtIsPingedInTheCallThatTriesTheMostPeers() {
        Mesh m = restarted();
        // the last peer in drive order is connected; the other 999 are to be tried
        FakeDevice.P last = dev.peer(key(N));
        last.endpoint = ep(publicEp(N));
        last.handshake = S0;
        call(m.onDevice(dev.snapshot(), T0));
        for (long t = T0 + 500; t < T0 + 3000; t += 500) call(m.onTick(t));
        last.tx += 148; // we sent data, and nothing comes back for a second
        call(m.onDevice(dev.snapshot(), T0 + 3000));
        List<Action.Send> s = call(m.onDevice(dev.snapshot(), T0 + 4100));
        long tries = s.stream().filter(x -> !x.to().equals(gossipAt(N)) && x.message() instanceof Message.Ping).count();
        assertEquals(Out.CALL_TRIES, tries, "tries up to their cap");
        assertTrue(s.stream().anyMatch(x -> x.to().equals(gossipAt(N)) && x.message() instanceof Message.Ping),
                "and the path in doubt is pinged at once: " + s.size());
    }

    @Test
    void aRequestForAThousandEntryTableIsAnsweredOverSeveralCalls() {
        Mesh m = restarted();
        InetSocketAddress asker = gossipAt(1);
        List<Action.Send> first = call(m.onDatagram(asker, new Message.Request(), T0));
        Set<String> answered = new HashSet<>();
        int total = 0;
        for (Action.Send s : first) {
            if (s.to().equals(asker) && s.message() instanceof Message.Announce a && answered.add(a.pubkey())) total++;
        }
        assertTrue(total > 0 && total <= Outbox.PEER_BURST, total + " in the answering call");
        int firstCall = total;
        for (long t = T0 + 500; t <= T0 + 5000; t += 500) {
            for (Action.Send s : call(m.onTick(t))) {
                if (s.to().equals(asker) && s.message() instanceof Message.Announce a) {
                    assertTrue(answered.add(a.pubkey()), "each key once");
                    total++;
                }
            }
        }
        assertTrue(total > firstCall, "the rest follows on later ticks: " + firstCall + " then " + total);
        // as much as the asker's byte budget allowed at the Request, 32 KiB: a few hundred Announces
        long bytes = answered.size() * (long) (WireCodec.encode(new Message.Announce(key(1).toBase64(),
                saved.get(key(1).toBase64()))).length + GossipCipher.OVERHEAD);
        assertTrue(bytes <= Askers.BURST_BYTES && bytes > Askers.BURST_BYTES - 200, bytes + " bytes answered");
    }
}
