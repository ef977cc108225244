package dev.automesh.daemon;

import static dev.automesh.testsupport.TestValues.ip;
import static dev.automesh.testsupport.TestValues.key;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.automesh.config.Config;
import dev.automesh.config.PeerConfig;
import dev.automesh.control.MetricsServer;
import dev.automesh.control.StatusFormat;
import dev.automesh.control.StatusReport;
import dev.automesh.crypto.WgKey;
import dev.automesh.mesh.MeshStatus;
import io.netty.channel.EventLoop;
import io.netty.channel.nio.NioEventLoopGroup;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * The daemon's relay plane on real loopback sockets, driven the way MeshDriver drives it from the
 * mesh's relay actions: pub (127.0.0.11) serves a session between a (127.0.0.12) and b (127.0.0.13);
 * a and b each open a loopback proxy for the other through pub; each end's "WireGuard" is a plain UDP
 * socket. What one WireGuard sends to its proxy reaches the other's, and pub's status names the pair.
 */
class RelayPlaneTest {
    private static final WgKey PUB = key(1);
    private static final WgKey A = key(2);
    private static final WgKey B = key(3);
    private static final InetAddress PUB_IP = ip("127.0.0.11");
    private static final InetAddress A_IP = ip("127.0.0.12");
    private static final InetAddress B_IP = ip("127.0.0.13");
    private static final long SESSION = 0x5eed_1234_5678_9abcL;

    private NioEventLoopGroup group;
    private EventLoop loop;
    private RelayPlane pub;
    private RelayPlane a;
    private RelayPlane b;
    private DatagramSocket wgA;
    private DatagramSocket wgB;
    private int relayPort;

    @BeforeEach
    void setUp() throws Exception {
        group = new NioEventLoopGroup(1);
        loop = group.next();
        try (DatagramSocket probe = new DatagramSocket(new InetSocketAddress(PUB_IP, 0))) {
            relayPort = probe.getLocalPort();
        }
        pub = on(() -> RelayPlane.start(config(true), PUB, loop, System::nanoTime, LoggerFactory.getLogger("test"), x -> true));
        a = on(() -> RelayPlane.start(config(true), A, loop, System::nanoTime, LoggerFactory.getLogger("test"), x -> true));
        b = on(() -> RelayPlane.start(config(true), B, loop, System::nanoTime, LoggerFactory.getLogger("test"), x -> true));
        wgA = new DatagramSocket(new InetSocketAddress(ip("127.0.0.1"), 0));
        wgB = new DatagramSocket(new InetSocketAddress(ip("127.0.0.1"), 0));
        wgA.setSoTimeout(3000);
        wgB.setSoTimeout(3000);
        on(() -> {
            a.wireGuardPort(wgA.getLocalPort());
            b.wireGuardPort(wgB.getLocalPort());
            return null;
        });
    }

    @AfterEach
    void tearDown() {
        for (RelayPlane p : new RelayPlane[] {pub, a, b}) if (p != null) p.close();
        if (wgA != null) wgA.close();
        if (wgB != null) wgB.close();
        group.shutdownGracefully(0, 100, TimeUnit.MILLISECONDS).awaitUninterruptibly(2000);
    }

    private Config config(boolean relay) {
        return Config.builder(Path.of("test.toml"), "wg0", 1666).relay(relay).relayPort(relayPort)
                .peers(List.of(peer(PUB, PUB_IP, "pub"), peer(A, A_IP, "a"), peer(B, B_IP, "b"))).build();
    }

    private static PeerConfig peer(WgKey k, InetAddress ip, String name) {
        return new PeerConfig(k, ip, Optional.empty(), Optional.of(name));
    }

    private <T> T on(Callable<T> c) throws Exception {
        return loop.submit(c).get(5, TimeUnit.SECONDS);
    }

    @Test
    void relayActionsCarryWireGuardDatagramsBetweenTheEndsAndStatusNamesThePair() throws Exception {
        InetSocketAddress pubSocket = new InetSocketAddress(PUB_IP, relayPort);
        on(() -> {
            pub.serve(SESSION, new InetSocketAddress(A_IP, relayPort), new InetSocketAddress(B_IP, relayPort));
            return null;
        });
        InetSocketAddress proxyOnA = on(() -> a.use("b", SESSION, pubSocket)).orElseThrow();
        InetSocketAddress proxyOnB = on(() -> b.use("a", SESSION, pubSocket)).orElseThrow();
        assertTrue(proxyOnA.getAddress().isLoopbackAddress());

        byte[] handshake = "wireguard handshake initiation, ciphertext to pub".getBytes(StandardCharsets.UTF_8);
        wgA.send(new DatagramPacket(handshake, handshake.length, proxyOnA));
        DatagramPacket got = new DatagramPacket(new byte[2048], 2048);
        wgB.receive(got);
        assertArrayEquals(handshake, java.util.Arrays.copyOf(got.getData(), got.getLength()));
        assertEquals(proxyOnB, got.getSocketAddress(), "b's WireGuard sees a at b's loopback proxy for a");

        byte[] reply = "handshake response".getBytes(StandardCharsets.UTF_8);
        wgB.send(new DatagramPacket(reply, reply.length, proxyOnB));
        DatagramPacket back = new DatagramPacket(new byte[2048], 2048);
        wgA.receive(back);
        assertArrayEquals(reply, java.util.Arrays.copyOf(back.getData(), back.getLength()));

        MeshStatus mesh = new MeshStatus(PUB.toString(), 51820, Optional.empty(), List.of(),
                new MeshStatus.Counters(0, 0, 0, 0, 0, 0), List.of(new MeshStatus.RelayServed("a", "b", SESSION)),
                new MeshStatus.RelayDeskCounters(1, 2, 3, 0, 4, 5));
        StatusReport.Relay relay = on(() -> StatusReports.relay(mesh, pub));
        assertEquals(1, relay.serving().size());
        StatusReport.Served s = relay.serving().get(0);
        assertEquals("a", s.a());
        assertEquals("b", s.b());
        assertEquals(handshake.length + 12, s.bytesAtoB());
        assertEquals(reply.length + 12, s.bytesBtoA());
        assertEquals(2, relay.counters().orElseThrow().framesForwarded());
        assertTrue(relay.counters().orElseThrow().dropped().values().stream().allMatch(v -> v == 0), relay.toString());

        StatusReport report = new StatusReport("wg0", "userspace", PUB.toString(), 51820, 1666, "off",
                new StatusReport.Counters(0, 0, 0, 0, 0, 0, 0, 0, 0, 0), List.of(), Optional.empty(), relay);
        String text = StatusFormat.text(report);
        assertTrue(text.contains("relaying for a <-> b"), text);
        String json = StatusFormat.json(report);
        assertTrue(json.contains("\"relaying_for\":[{\"a\":\"a\",\"b\":\"b\",\"bytes_a_to_b\":" + (handshake.length + 12)), json);
        assertFalse(json.contains(Long.toString(SESSION)), "a session id is a capability: never shown");
        String metrics = MetricsServer.render(report);
        assertTrue(metrics.contains("automesh_relay_sessions 1\n"), metrics);
        assertTrue(metrics.contains("automesh_relay_forwarded_frames_total 2\n"), metrics);
        // the relay role's setup counts, from the mesh
        assertTrue(text.contains("relay requests 1 served, 2 refused, 3 over the rate; punch notices 4 passed on, 5 dropped"), text);
        assertTrue(json.contains("\"requests\":{\"served\":1,\"refused\":2,\"rate_limited\":3},\"punch_notices\":{\"passed\":4,\"dropped\":5}"), json);
        assertTrue(metrics.contains("automesh_relay_requests_total{outcome=\"refused\"} 2\n"), metrics);
        assertTrue(metrics.contains("automesh_relay_punch_notices_total{outcome=\"dropped\"} 5\n"), metrics);

        on(() -> {
            pub.unserve(SESSION);
            a.drop(SESSION);
            return null;
        });
        assertEquals(List.of(), on(() -> pub.served()));
        assertEquals(List.of(), on(() -> a.used()));
    }

    @Test
    void aSessionWithAnAddressThatIsNotAConfiguredPeerIsRefusedAndNothingIsOpened() throws Exception {
        on(() -> {
            pub.serve(SESSION, new InetSocketAddress(A_IP, relayPort), new InetSocketAddress(ip("127.0.0.99"), relayPort));
            return null;
        });
        assertEquals(List.of(), on(() -> pub.served()));
    }

    @Test
    void withoutItsOwnAddressAssignedTheNodeRunsWithoutRelayingAndSaysWhy() throws Exception {
        RelayPlane off = on(() -> RelayPlane.start(config(true), PUB, loop, System::nanoTime,
                LoggerFactory.getLogger("test"), x -> false));
        assertFalse(off.running());
        assertTrue(off.state().startsWith("off: this node's mesh address 127.0.0.11 is not assigned"), off.state());
        assertEquals(Optional.empty(), on(() -> off.use("b", SESSION, new InetSocketAddress(PUB_IP, relayPort))));
        RelayPlane noEntry = on(() -> RelayPlane.start(config(true), key(9), loop, System::nanoTime,
                LoggerFactory.getLogger("test"), x -> true));
        assertTrue(noEntry.state().contains("not among the [[peers]]"), noEntry.state());
    }

    @Test
    void theRateLimitComesFromTheConfig() {
        Config c = Config.builder(Path.of("t.toml"), "wg0", 1666).relayRateLimitMbit(8).build();
        assertEquals(1_000_000, RelayPlane.settings(c).bytesPerSecond());
        assertEquals(1667, RelayPlane.settings(c).port());
    }
}
