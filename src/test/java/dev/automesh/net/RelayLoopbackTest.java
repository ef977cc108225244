package dev.automesh.net;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.channel.EventLoop;
import io.netty.channel.nio.NioEventLoopGroup;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The relay classes on real loopback sockets: a relay C on 127.0.0.1 and two ends X (127.0.0.2) and Y
 * (127.0.0.3), each end's "WireGuard" a plain UDP socket, the clock the test's own.
 */
class RelayLoopbackTest {
    private static final InetAddress C = ip("127.0.0.1");
    private static final InetAddress X = ip("127.0.0.2");
    private static final InetAddress Y = ip("127.0.0.3");

    private final AtomicLong now = new AtomicLong(1_000_000_000L);
    private final List<RelayServer.Session> expired = new CopyOnWriteArrayList<>();
    private NioEventLoopGroup group;
    private EventLoop loop;
    private Relay c;
    private Relay x;
    private Relay y;
    private DatagramSocket wgX;
    private DatagramSocket wgY;

    @BeforeEach
    void setUp() throws Exception {
        group = new NioEventLoopGroup(1);
        loop = group.next();
    }

    private void start(RelaySettings settings) throws Exception {
        c = on(() -> Relay.bind(loop, C, settings, Set.of(X, Y), now::get, expired::add));
        x = on(() -> Relay.bind(loop, X, RelaySettings.defaults(0), Set.of(C, Y), now::get, s -> { }));
        y = on(() -> Relay.bind(loop, Y, RelaySettings.defaults(0), Set.of(C, X), now::get, s -> { }));
        wgX = new DatagramSocket(new InetSocketAddress(C, 0));
        wgY = new DatagramSocket(new InetSocketAddress(C, 0));
        wgX.setSoTimeout(3000);
        wgY.setSoTimeout(3000);
    }

    @AfterEach
    void tearDown() {
        for (Relay r : Arrays.asList(c, x, y)) if (r != null) r.close();
        for (DatagramSocket s : Arrays.asList(wgX, wgY)) if (s != null) s.close();
        group.shutdownGracefully(0, 100, TimeUnit.MILLISECONDS).awaitUninterruptibly(2000);
    }

    private <T> T on(Callable<T> body) throws Exception {
        return loop.submit(body).get(5, TimeUnit.SECONDS);
    }

    /** Opens the session at C and at both ends; returns {X's endpoint for Y, Y's endpoint for X}. */
    private InetSocketAddress[] session() throws Exception {
        long id = on(() -> c.server().openSession(x.localAddress(), y.localAddress()));
        InetSocketAddress ex = on(() -> {
            x.client().setWireGuardPort(wgX.getLocalPort());
            return x.client().open(id, c.localAddress());
        });
        InetSocketAddress ey = on(() -> {
            y.client().setWireGuardPort(wgY.getLocalPort());
            return y.client().open(id, c.localAddress());
        });
        return new InetSocketAddress[] {ex, ey};
    }

    @Test
    void carriesDatagramsBothWaysUnchangedAndWireGuardSeesTheLoopbackEndpoint() throws Exception {
        start(RelaySettings.defaults(0));
        InetSocketAddress[] ep = session();
        byte[] hello = "handshake initiation, ciphertext to the relay".getBytes();
        wgX.send(new DatagramPacket(hello, hello.length, ep[0]));
        DatagramPacket got = receive(wgY);
        assertArrayEquals(hello, Arrays.copyOf(got.getData(), got.getLength()));
        assertEquals(ep[1], got.getSocketAddress(), "Y's WireGuard sees X at Y's loopback endpoint for X");

        byte[] big = new byte[1452]; // a full WireGuard data packet of a 1420-MTU tunnel
        new java.util.Random(1).nextBytes(big);
        wgY.send(new DatagramPacket(big, big.length, ep[1]));
        got = receive(wgX);
        assertArrayEquals(big, Arrays.copyOf(got.getData(), got.getLength()));
        assertEquals(ep[0], got.getSocketAddress());

        RelayCounters.Snapshot s = c.counters();
        assertEquals(2, s.framesForwarded());
        assertEquals(2L * 12 + hello.length + big.length, s.bytesForwarded(), "frames out are the frames in");
        RelayServer.Session sess = on(() -> c.server().sessions()).get(0);
        assertEquals(1, sess.framesXtoY());
        assertEquals(1, sess.framesYtoX());
        assertEquals(hello.length, x.counters().bytesToRelay());
        assertEquals(big.length, x.counters().bytesFromRelay());
    }

    @Test
    void aMutedSessionDropsAndCountsWhatTheRelaySendsThenCarriesItAgain() throws Exception {
        start(RelaySettings.defaults(0));
        InetSocketAddress[] ep = session();
        long id = on(() -> y.client().sessions()).get(0).id();
        on(() -> {
            y.client().mute(id, true); // Y probes the direct path: nothing relayed may roam its WireGuard back
            return null;
        });
        byte[] d = "a keepalive through the relay".getBytes();
        wgX.send(new DatagramPacket(d, d.length, ep[0]));
        await(() -> y.counters().droppedWhileProbing() == 1);
        wgY.setSoTimeout(300);
        assertThrows(java.net.SocketTimeoutException.class, () -> wgY.receive(new DatagramPacket(new byte[100], 100)));
        assertEquals(0, y.counters().framesFromRelay());
        on(() -> {
            y.client().mute(id, false);
            return null;
        });
        wgX.send(new DatagramPacket(d, d.length, ep[0]));
        DatagramPacket got = receive(wgY);
        assertArrayEquals(d, Arrays.copyOf(got.getData(), got.getLength()));
        assertEquals(1, y.counters().droppedWhileProbing());
    }

    @Test
    void onlyOurWireGuardMayUseTheLoopbackEndpoint() throws Exception {
        start(RelaySettings.defaults(0));
        InetSocketAddress[] ep = session();
        try (DatagramSocket stranger = new DatagramSocket(new InetSocketAddress(C, 0))) {
            stranger.send(new DatagramPacket(new byte[40], 40, ep[0]));
        }
        await(() -> x.counters().droppedNotFromWireGuard() == 1);
        assertEquals(0, x.counters().framesToRelay());
        assertEquals(0, c.counters().framesForwarded());
    }

    @Test
    void aPairOverItsRateIsDroppedAndCounted() throws Exception {
        // One token per second and a burst of exactly one MAX_FRAME: with the clock standing still, 16 KiB pass.
        start(new RelaySettings(0, 1, RelaySettings.MAX_FRAME, Duration.ofSeconds(60), 8));
        InetSocketAddress[] ep = session();
        int sent = 40;
        byte[] d = new byte[1000];
        for (int i = 0; i < sent; i++) wgX.send(new DatagramPacket(d, d.length, ep[0]));
        await(() -> {
            RelayCounters.Snapshot s = c.counters();
            return s.framesForwarded() + s.droppedRateLimited() == sent;
        });
        RelayCounters.Snapshot s = c.counters();
        assertEquals(RelaySettings.MAX_FRAME / 1012, s.framesForwarded());
        assertEquals(sent - RelaySettings.MAX_FRAME / 1012, s.droppedRateLimited());
        assertEquals(s.droppedRateLimited(), on(() -> c.server().sessions()).get(0).droppedRateLimited());
        // Time refills the bucket.
        now.addAndGet(TimeUnit.SECONDS.toNanos(2000));
        wgX.send(new DatagramPacket(d, d.length, ep[0]));
        await(() -> c.counters().framesForwarded() == s.framesForwarded() + 1);
    }

    @Test
    void anIdleSessionEndsAndItsFramesAreThenUnknown() throws Exception {
        start(RelaySettings.defaults(0));
        InetSocketAddress[] ep = session();
        now.addAndGet(TimeUnit.SECONDS.toNanos(30));
        on(() -> { c.server().sweep(); return null; });
        assertTrue(expired.isEmpty());
        now.addAndGet(TimeUnit.SECONDS.toNanos(31));
        on(() -> { c.server().sweep(); return null; });
        assertEquals(1, expired.size());
        assertEquals(x.localAddress(), expired.get(0).x());
        assertEquals(1, c.counters().sessionsExpired());
        wgX.send(new DatagramPacket(new byte[32], 32, ep[0]));
        await(() -> c.counters().droppedUnknownSession() == 1);
        assertEquals(0, c.counters().framesForwarded());
    }

    @Test
    void sessionsJoinOnlyTwoDistinctConfiguredPeersAndARequestIsARefresh() throws Exception {
        start(new RelaySettings(0, 1000, RelaySettings.MAX_FRAME, Duration.ofSeconds(60), 1));
        InetSocketAddress xs = x.localAddress();
        InetSocketAddress ys = y.localAddress();
        InetSocketAddress stranger = new InetSocketAddress(ip("127.0.0.9"), 51821);
        assertThrows(IllegalArgumentException.class, () -> call(() -> c.server().openSession(xs, stranger)));
        assertThrows(IllegalArgumentException.class, () -> call(() -> c.server().openSession(xs, xs)));
        long id = on(() -> c.server().openSession(xs, ys));
        assertEquals(id, (long) on(() -> c.server().openSession(ys, xs)), "the same pair, either order");
        InetSocketAddress ys2 = new InetSocketAddress(Y, ys.getPort() + 1);
        assertThrows(IllegalStateException.class, () -> call(() -> c.server().openSession(xs, ys2)), "max sessions");
        // Off the loop, the control methods refuse.
        assertThrows(IllegalStateException.class, () -> c.server().openSession(xs, ys));
        assertThrows(IllegalStateException.class, () -> c.client().open(1, xs));
        // A peer leaving the configuration ends its sessions.
        on(() -> { c.server().setPeers(Set.of(X)); return null; });
        assertTrue(on(() -> c.server().sessions()).isEmpty());
        assertFalse(on(() -> c.server().closeSession(id)));
    }

    @Test
    void framesFromAnotherSourceOrWithAnotherIdAreDroppedAndCounted() throws Exception {
        start(RelaySettings.defaults(0));
        InetSocketAddress[] ep = session();
        long id = on(() -> c.server().sessions()).get(0).id();
        try (DatagramSocket s = new DatagramSocket(new InetSocketAddress(X, 0))) {
            s.send(frame(id, c.localAddress()));                 // X's address, not X's relay socket
            s.send(frame(id + 1, c.localAddress()));             // unknown session
            s.send(frame(id, x.localAddress()));                 // to an end, not from its relay
            byte[] junk = {'A', 'M', 'R', 9, 1, 2, 3, 4, 5, 6, 7, 8, 9};
            s.send(new DatagramPacket(junk, junk.length, c.localAddress()));
        }
        await(() -> c.counters().droppedWrongSource() == 1 && c.counters().droppedUnknownSession() == 1
                && c.counters().droppedMalformed() == 1 && x.counters().droppedWrongSource() == 1);
        assertEquals(0, c.counters().framesForwarded());
        assertEquals(0, x.counters().framesFromRelay());
        assertEquals(2, ep.length);
    }

    private static DatagramPacket frame(long id, InetSocketAddress to) {
        byte[] f = dev.automesh.wire.RelayFrame.encode(id, new byte[64]);
        return new DatagramPacket(f, f.length, to);
    }

    private <T> T call(Callable<T> body) throws Exception {
        try {
            return on(body);
        } catch (java.util.concurrent.ExecutionException e) {
            if (e.getCause() instanceof RuntimeException r) throw r;
            throw e;
        }
    }

    private static DatagramPacket receive(DatagramSocket s) throws Exception {
        DatagramPacket p = new DatagramPacket(new byte[2048], 2048);
        try {
            s.receive(p);
        } catch (SocketTimeoutException e) {
            throw new AssertionError("nothing arrived at " + s.getLocalSocketAddress(), e);
        }
        return p;
    }

    private static void await(BooleanSupplier cond) throws InterruptedException {
        long deadline = System.nanoTime() + 5_000_000_000L;
        while (!cond.getAsBoolean()) {
            if (System.nanoTime() > deadline) throw new AssertionError("condition not reached in 5 s");
            Thread.sleep(10);
        }
    }

    private static InetAddress ip(String s) {
        try {
            return InetAddress.getByName(s);
        } catch (java.net.UnknownHostException e) {
            throw new AssertionError(e);
        }
    }
}
