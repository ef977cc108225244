package dev.automesh.portmap;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.automesh.upnp.UpnpSettings;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;

/**
 * The IPv6 pinhole client against a PCP firewall written here, on [::1], that answers as RFC 6887
 * §11 asks of a device without NAT: it checks that the client address field is the packet's source,
 * keeps the mapping keyed by nonce, grants the internal address and port as the external ones, and
 * deletes a mapping only for the nonce that made it. Before each good reply it sends one granting an
 * IPv4 address, which the client must reject.
 */
class PcpPinholeLoopbackTest {
    private static final InetAddress SELF = v6("::1");

    @Test
    void opensRenewsAndDeletesAPinholeOnOurOwnAddress() throws Exception {
        try (DatagramSocket server = new DatagramSocket(new InetSocketAddress(SELF, 0))) {
            Map<String, Integer> pinholes = new ConcurrentHashMap<>(); // "[addr]:port" -> nonce hash
            AtomicInteger maps = new AtomicInteger(), deletes = new AtomicInteger(), mismatches = new AtomicInteger();
            Thread responder = new Thread(() -> respond(server, pinholes, maps, deletes, mismatches), "pcp-firewall");
            responder.setDaemon(true);
            responder.start();

            UpnpSettings u = UpnpSettings.defaults(40000, 51820, true).withTiming(Duration.ofSeconds(2), Duration.ofSeconds(1),
                    Duration.ofMillis(500), Duration.ofMillis(100), Duration.ofMillis(200));
            PortMapSettings s = new PortMapSettings(List.of(Protocol.PCP), u, Duration.ofMillis(200), 3);
            PmpClient client = PmpClient.pinhole(s, () -> Optional.of((InetSocketAddress) server.getLocalSocketAddress()),
                    gw -> Optional.of(SELF), st -> { });
            client.start();
            waitFor(() -> maps.get() >= 3, "pinhole opened and renewed");
            PortMapStatus st = client.status();
            assertEquals(PortMapStatus.State.MAPPED, st.state(), st.summary());
            assertEquals(Optional.of(new InetSocketAddress(SELF, 51820)), st.externalEndpoint(),
                    "the WireGuard port on our own address, not the configured external port: " + st.summary());
            assertTrue(st.summary().contains("external=[0:0:0:0:0:0:0:1]:51820"), st.summary());
            assertEquals(Map.of("[0:0:0:0:0:0:0:1]:51820", pinholes.values().iterator().next()), pinholes, "one pinhole, renewed in place");
            assertTrue(client.rejectedReplies() >= 3, "replies granting an IPv4 address rejected: " + client.rejectedReplies());
            assertEquals(0, mismatches.get(), "the client address field is always the packet's source");

            client.close();
            assertEquals(1, deletes.get(), "deleted on close, with the nonce that made it");
            assertEquals(Map.of(), pinholes);
            assertEquals(PortMapStatus.State.CLOSED, client.status().state());
        }
    }

    private static void respond(DatagramSocket server, Map<String, Integer> pinholes, AtomicInteger maps, AtomicInteger deletes,
            AtomicInteger mismatches) {
        byte[] buf = new byte[1100];
        try {
            while (true) {
                DatagramPacket p = new DatagramPacket(buf, buf.length);
                server.receive(p);
                ByteBuffer req = ByteBuffer.wrap(p.getData(), 0, p.getLength());
                if (p.getLength() != 60 || req.get(0) != 2 || req.get(1) != 1) continue; // not a PCP MAP request
                long lifetime = req.getInt(4) & 0xffffffffL;
                byte[] client = Arrays.copyOfRange(p.getData(), 8, 24);
                byte[] nonce = Arrays.copyOfRange(p.getData(), 24, 36);
                int internal = req.getShort(40) & 0xffff;
                int result = 0;
                if (!Arrays.equals(client, p.getAddress().getAddress())) {
                    mismatches.incrementAndGet();
                    result = 12; // ADDRESS_MISMATCH
                }
                String key = "[" + p.getAddress().getHostAddress().replaceAll("%.*", "") + "]:" + internal;
                if (result == 0 && lifetime == 0) {
                    Integer owner = pinholes.get(key);
                    if (owner != null && owner != Arrays.hashCode(nonce)) {
                        result = 2; // NOT_AUTHORIZED: another client's mapping
                    } else {
                        pinholes.remove(key);
                        deletes.incrementAndGet();
                    }
                } else if (result == 0) {
                    pinholes.put(key, Arrays.hashCode(nonce));
                    maps.incrementAndGet();
                    send(server, p, reply(0, nonce, internal, lifetime, InetAddress.getByName("203.0.114.1").getAddress()));
                }
                send(server, p, reply(result, nonce, internal, Math.min(lifetime, 2), client));
            }
        } catch (Exception e) {
            // socket closed: test over
        }
    }

    private static byte[] reply(int result, byte[] nonce, int internal, long lifetime, byte[] external) {
        byte[] ext16 = external.length == 16 ? external : Pcp.address16(v4(external));
        return ByteBuffer.allocate(60).put((byte) 2).put((byte) 0x81).put((byte) 0).put((byte) result)
                .putInt((int) lifetime).putInt(1000 + (int) (System.nanoTime() / 1_000_000_000L)).put(new byte[12]).put(nonce)
                .put((byte) 17).put(new byte[3]).putShort((short) internal).putShort((short) (lifetime == 0 ? 0 : internal))
                .put(ext16).array();
    }

    @Test
    void theAddressCarriedIsOurOwn() {
        byte[] req = Pcp.mapRequest(new byte[12], SELF, 51820, 51820, 30);
        assertArrayEquals(SELF.getAddress(), Arrays.copyOfRange(req, 8, 24), "client address field: the IPv6 address itself");
        assertArrayEquals(new byte[16], Arrays.copyOfRange(req, 44, 60), "no external address preference: ::");
    }

    private static void send(DatagramSocket s, DatagramPacket to, byte[] d) throws Exception {
        s.send(new DatagramPacket(d, d.length, to.getSocketAddress()));
    }

    private static InetAddress v6(String s) {
        try {
            return InetAddress.getByName(s);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static InetAddress v4(byte[] a) {
        try {
            return InetAddress.getByAddress(a);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static void waitFor(BooleanSupplier c, String what) throws InterruptedException {
        long deadline = System.nanoTime() + 20_000_000_000L;
        while (!c.getAsBoolean()) {
            if (System.nanoTime() > deadline) throw new AssertionError("timed out waiting: " + what);
            Thread.sleep(20);
        }
    }
}
