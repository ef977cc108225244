package dev.automesh.mesh;

import static dev.automesh.mesh.FakeDevice.peerConfig;
import static dev.automesh.testsupport.TestValues.ep;
import static dev.automesh.testsupport.TestValues.ip;
import static dev.automesh.testsupport.TestValues.key;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.automesh.config.PeerConfig;
import dev.automesh.crypto.WgKey;
import dev.automesh.mesh.Action.Notice;
import dev.automesh.wire.Message;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Two meshes joined by one tunnel whose WireGuard timers are modelled as the kernel runs them: the
 * persistent keepalive (30 s) restarts on every packet sent or received, so on an idle tunnel only one
 * end sends; data gets a keepalive back within 10 s; the session's initiator re-keys when it sends
 * after 120 s, or when it receives after 165 s. Simulated time, one step per second.
 */
class IdleLinkTest {
    static final long T0 = 1_800_000_000_000L;
    static final int GOSSIP = 1666;
    static final WgKey A = key(10), B = key(11);
    static final List<PeerConfig> CONFIGS = List.of(peerConfig("a", A, "10.9.0.10", null), peerConfig("b", B, "10.9.0.11", null));

    /** One end: its mesh, its device, and its WireGuard timers for the tunnel. */
    static final class End {
        final Mesh mesh;
        final FakeDevice dev;
        final WgKey peer;
        final InetSocketAddress gossip;
        long lastTraversal, lastSent, dataReceivedAt = -1;
        int pingsSent;
        final List<Notice> notices = new ArrayList<>();

        End(WgKey own, WgKey peer, String ownMeshIp) {
            this.mesh = new Mesh(new MeshSettings(own, GOSSIP, false, CONFIGS));
            this.dev = new FakeDevice(own, 51820);
            this.peer = peer;
            this.gossip = new InetSocketAddress(ip(ownMeshIp), GOSSIP); // where the other end sends to reach us
        }

        FakeDevice.P p() {
            return dev.peer(peer);
        }
    }

    End a, b;
    boolean initiatorIsA = true;
    long keypairBorn;
    boolean broken;

    void send(End from, End to, long bytes, long nowS, boolean data) {
        from.p().tx += bytes;
        from.lastTraversal = nowS;
        from.lastSent = nowS;
        if (broken) return;
        to.p().rx += bytes;
        to.lastTraversal = nowS;
        if (data) to.dataReceivedAt = nowS;
    }

    void handshake(long nowS, boolean byA) {
        End i = byA ? a : b, r = byA ? b : a;
        send(i, r, 148, nowS, false);
        if (broken) return;
        send(r, i, 92, nowS, false);
        a.p().handshake = nowS;
        b.p().handshake = nowS;
        keypairBorn = nowS;
        initiatorIsA = byA;
    }

    void act(End self, End other, List<Action> actions, long nowS, long nowMs) {
        self.dev.apply(actions);
        for (Action x : actions) {
            if (x instanceof Action.Notice n) self.notices.add(n);
            if (!(x instanceof Action.Send s) || !s.to().equals(other.gossip)) continue;
            if (s.message() instanceof Message.Ping) self.pingsSent++;
            send(self, other, 96, nowS, true);
            if (!broken) act(other, self, other.mesh.onDatagram(self.gossip, s.message(), nowMs), nowS, nowMs);
        }
    }

    /** One second of WireGuard timers on one end. */
    void timers(End self, End other, long nowS) {
        boolean initiator = (self == a) == initiatorIsA;
        int pk = self.p().keepalive;
        if (self.dataReceivedAt >= 0 && self.lastSent < self.dataReceivedAt && nowS - self.dataReceivedAt >= 10) {
            send(self, other, 32, nowS, false); // passive keepalive
            self.dataReceivedAt = -1;
        } else if (pk > 0 && nowS - self.lastTraversal >= pk) {
            if (initiator && nowS - keypairBorn >= 120) handshake(nowS, self == a);
            else send(self, other, 32, nowS, false);
            if (!broken && !initiator && nowS - keypairBorn >= 165) handshake(nowS, other == a);
        }
    }

    void run(long fromS, long toS) {
        for (long s = fromS; s < toS; s++) {
            long ms = s * 1000;
            // b's timer is the later one by a hair: on an idle tunnel a sends, b only receives
            timers(a, b, s);
            timers(b, a, s);
            act(a, b, a.mesh.onDevice(a.dev.snapshot(), ms), s, ms);
            act(b, a, b.mesh.onDevice(b.dev.snapshot(), ms), s, ms);
            act(a, b, a.mesh.onTick(ms), s, ms);
            act(b, a, b.mesh.onTick(ms), s, ms);
        }
    }

    void connect() {
        a = new End(A, B, "10.9.0.10");
        b = new End(B, A, "10.9.0.11");
        a.dev.apply(a.mesh.start(Map.of(), T0));
        b.dev.apply(b.mesh.start(Map.of(), T0));
        a.p().endpoint = ep("198.51.100.11:51820");
        b.p().endpoint = ep("198.51.100.10:51820");
        a.p().keepalive = 30;
        b.p().keepalive = 30;
        handshake(T0 / 1000, true);
    }

    @Test
    void aHealthyIdleTunnelIsNotPingedInAnHour() {
        connect();
        long s0 = T0 / 1000;
        shiftClock(s0);
        run(s0, s0 + 120); // settle
        int before = a.pingsSent + b.pingsSent;
        run(s0 + 120, s0 + 120 + 3600);
        int pings = a.pingsSent + b.pingsSent - before;
        System.out.println("Pings on a healthy idle tunnel in an hour: " + pings + " (a " + a.pingsSent + ", b " + b.pingsSent
                + "; the rules before pinged whenever nothing had been received for 32 s)");
        // The re-key every few minutes can look like a keepalive rhythm that broke: at most one Ping per 5 minutes.
        assertTrue(pings <= 12, pings + " Pings");
        assertTrue(a.notices.stream().noneMatch(n -> n instanceof Notice.Lost), a.notices.toString());
        assertTrue(b.notices.stream().noneMatch(n -> n instanceof Notice.Lost), b.notices.toString());
    }

    @Test
    void whenTheIdleTunnelBreaksTheEndThatReceivedKeepalivesFindsOutAtItsNextOwnKeepalive() {
        connect();
        long s0 = T0 / 1000;
        shiftClock(s0);
        run(s0, s0 + 600);
        broken = true;
        long lostAt = -1;
        for (long s = s0 + 600; s < s0 + 700 && lostAt < 0; s++) {
            run(s, s + 1);
            if (b.notices.stream().anyMatch(n -> n instanceof Notice.Lost)) lostAt = s;
        }
        System.out.println("idle tunnel broken: b judged it dead after " + (lostAt - s0 - 600) + " simulated s; " + b.notices);
        assertTrue(lostAt > 0, "b noticed");
        assertTrue(lostAt - s0 - 600 <= 35, "at its own keepalive (<= 30 s) plus the Ping's answer time");
        assertEquals(1, b.notices.stream().filter(n -> n instanceof Notice.Lost).count());
    }

    /** The model counts in seconds from the handshake at T0. */
    private void shiftClock(long s0) {
        a.lastTraversal = b.lastTraversal = s0;
        a.lastSent = b.lastSent = s0;
        b.lastTraversal = s0 + 1; // b's timer runs a second behind a's: a is the keepalive sender
    }
}
