package dev.automesh.net;

import static org.junit.jupiter.api.Assertions.*;

import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.Arrays;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import org.junit.jupiter.api.Test;

/** The gossip socket on loopback: delivery on the event loop, the 1500-byte cap, counters. */
class UdpTransportTest {
    record Got(InetSocketAddress from, byte[] bytes, boolean onLoop) {}

    private static final InetAddress LO = InetAddress.getLoopbackAddress();

    @Test
    void deliversDatagramsOnItsEventLoopAndCounts() throws Exception {
        BlockingQueue<Got> got = new ArrayBlockingQueue<>(16);
        UdpTransport[] t = new UdpTransport[1];
        try (UdpTransport tr = UdpTransport.bind(0, false, new Counters(),
                (from, b) -> got.add(new Got(from, b, t[0].eventLoop().inEventLoop())));
             DatagramSocket peer = new DatagramSocket(new InetSocketAddress(LO, 0))) {
            t[0] = tr;
            int port = tr.localAddress().getPort();
            assertNotEquals(0, port);
            byte[] hello = "hello".getBytes();
            peer.send(new DatagramPacket(hello, hello.length, new InetSocketAddress(LO, port)));
            Got g = got.poll(5, TimeUnit.SECONDS);
            assertNotNull(g, "datagram not delivered");
            assertArrayEquals(hello, g.bytes());
            assertEquals(peer.getLocalPort(), g.from().getPort());
            assertTrue(g.onLoop(), "handler must run on the transport's event loop");

            // And back: send() reaches the peer and counts.
            tr.send(new InetSocketAddress(LO, peer.getLocalPort()), new byte[] {1, 2, 3});
            peer.setSoTimeout(5000);
            DatagramPacket in = new DatagramPacket(new byte[100], 100);
            peer.receive(in);
            assertArrayEquals(new byte[] {1, 2, 3}, Arrays.copyOf(in.getData(), in.getLength()));
            assertEquals(port, in.getPort());
            waitFor(() -> tr.counters().snapshot().datagramsOut(), 1);
            assertEquals(1, tr.counters().snapshot().datagramsIn());
            assertEquals(0, tr.counters().snapshot().sendErrors());
        }
    }

    @Test
    void readsAtMost1500BytesPerDatagram() throws Exception {
        BlockingQueue<Got> got = new ArrayBlockingQueue<>(16);
        try (UdpTransport tr = UdpTransport.bind(0, false, new Counters(), (from, b) -> got.add(new Got(from, b, true)));
             DatagramSocket peer = new DatagramSocket(new InetSocketAddress(LO, 0))) {
            InetSocketAddress to = new InetSocketAddress(LO, tr.localAddress().getPort());
            byte[] big = new byte[4000];
            Arrays.fill(big, (byte) 7);
            peer.send(new DatagramPacket(big, big.length, to));
            byte[] exact = new byte[1500];
            Arrays.fill(exact, (byte) 9);
            peer.send(new DatagramPacket(exact, exact.length, to));
            Got g1 = got.poll(5, TimeUnit.SECONDS);
            Got g2 = got.poll(5, TimeUnit.SECONDS);
            assertNotNull(g1);
            assertNotNull(g2);
            assertEquals(1500, g1.bytes().length, "oversized datagram is cut at 1500 bytes");
            assertEquals(7, g1.bytes()[1499]);
            assertArrayEquals(exact, g2.bytes(), "the next datagram is intact: no bleed-over");
        }
    }

    @Test
    void ownSourceIsIgnoredAndCounted() throws Exception {
        BlockingQueue<Got> got = new ArrayBlockingQueue<>(16);
        try (UdpTransport tr = UdpTransport.bind(0, false, new Counters(), (from, b) -> got.add(new Got(from, b, true)))) {
            InetSocketAddress self = new InetSocketAddress(LO, tr.localAddress().getPort());
            assertTrue(tr.isOwn(self));
            // A datagram from our own address and port is what a looped-back broadcast looks like.
            tr.send(self, new byte[] {42});
            waitFor(() -> tr.counters().snapshot().ownBroadcastsIgnored(), 1);
            assertNull(got.poll(200, TimeUnit.MILLISECONDS));
            assertEquals(0, tr.counters().snapshot().datagramsIn());
            // Same address, another port: a different process, not us.
            assertFalse(tr.isOwn(new InetSocketAddress(LO, self.getPort() == 9 ? 10 : 9)));
        }
    }

    @Test
    void ipv6SocketIsDualStackAndReportsIpv4SourcesAsIpv4() throws Exception {
        BlockingQueue<Got> got = new ArrayBlockingQueue<>(16);
        try (UdpTransport tr = UdpTransport.bind(0, true, new Counters(), (from, b) -> got.add(new Got(from, b, true)));
             DatagramSocket peer = new DatagramSocket(new InetSocketAddress(LO, 0))) {
            assertEquals(16, tr.localAddress().getAddress().getAddress().length, "bound to [::]");
            peer.send(new DatagramPacket(new byte[] {5}, 1, new InetSocketAddress(LO, tr.localAddress().getPort())));
            Got g = got.poll(5, TimeUnit.SECONDS);
            assertNotNull(g, "an IPv4 datagram reaches the [::] socket");
            // Mapped ::ffff:127.0.0.1 would not match configured IPv4 peers; Java hands back plain IPv4.
            assertEquals(LO, g.from().getAddress());
            // And replies to an IPv4 address go out.
            tr.send(new InetSocketAddress(LO, peer.getLocalPort()), new byte[] {6});
            peer.setSoTimeout(5000);
            DatagramPacket in = new DatagramPacket(new byte[10], 10);
            peer.receive(in);
            assertEquals(6, in.getData()[0]);
        }
    }

    @Test
    void unresolvedDestinationIsASendErrorNotAnException() throws Exception {
        try (UdpTransport tr = UdpTransport.bind(0, false, new Counters(), (from, b) -> { })) {
            tr.send(InetSocketAddress.createUnresolved("nowhere.invalid", 1), new byte[] {1});
            assertEquals(1, tr.counters().snapshot().sendErrors());
        }
    }

    @Test
    void bindingABusyPortSaysWhich() throws Exception {
        try (UdpTransport a = UdpTransport.bind(0, false, new Counters(), (from, b) -> { })) {
            int port = a.localAddress().getPort();
            IllegalStateException e = assertThrows(IllegalStateException.class,
                    () -> UdpTransport.bind(port, false, new Counters(), (from, b) -> { }));
            assertTrue(e.getMessage().contains("0.0.0.0:" + port), e.getMessage());
            assertTrue(e.getMessage().contains("gossip_port in use"), e.getMessage());
        }
    }

    @Test
    void broadcastTargetsAreIpv4BroadcastAddressesOrTheLimitedBroadcast() throws Exception {
        try (UdpTransport tr = UdpTransport.bind(0, false, new Counters(), (from, b) -> { })) {
            var targets = tr.broadcast(new byte[] {1});
            assertFalse(targets.isEmpty());
            LanInterfaces lan = LanInterfaces.enumerate();
            if (lan.broadcastTargets().isEmpty()) {
                assertEquals(InetAddress.getByName("255.255.255.255"), targets.get(0));
            } else {
                assertEquals(lan.broadcastTargets(), targets);
            }
            for (InetAddress a : targets) assertEquals(4, a.getAddress().length);
            // Never to loopback.
            for (InetAddress a : targets) assertFalse(a.isLoopbackAddress());
        }
    }

    @Test
    void directedBroadcastIsComputedWhenTheKernelHasNone() throws Exception {
        InetAddress any = InetAddress.getByName("0.0.0.0");
        InetAddress addr = InetAddress.getByName("192.168.1.23");
        assertEquals(InetAddress.getByName("192.168.1.255"), LanInterfaces.directedBroadcast(addr, 24, any).orElseThrow());
        assertEquals(InetAddress.getByName("192.168.1.255"), LanInterfaces.directedBroadcast(addr, 24, null).orElseThrow());
        assertEquals(InetAddress.getByName("192.168.1.31"), LanInterfaces.directedBroadcast(addr, 27, any).orElseThrow());
        assertEquals(InetAddress.getByName("10.255.255.255"),
                LanInterfaces.directedBroadcast(InetAddress.getByName("10.1.2.3"), 8, any).orElseThrow());
        // An explicitly configured broadcast address wins.
        InetAddress custom = InetAddress.getByName("192.168.1.127");
        assertEquals(custom, LanInterfaces.directedBroadcast(addr, 24, custom).orElseThrow());
        // Point-to-point sized subnets have no broadcast address.
        assertTrue(LanInterfaces.directedBroadcast(addr, 31, any).isEmpty());
        assertTrue(LanInterfaces.directedBroadcast(addr, 32, any).isEmpty());
    }

    static void waitFor(LongSupplier v, long expected) throws InterruptedException {
        long deadline = System.nanoTime() + 5_000_000_000L;
        while (v.getAsLong() < expected && System.nanoTime() < deadline) Thread.sleep(5);
        assertEquals(expected, v.getAsLong());
    }
}
