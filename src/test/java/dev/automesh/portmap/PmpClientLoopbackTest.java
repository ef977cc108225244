package dev.automesh.portmap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.automesh.upnp.UpnpSettings;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;

/**
 * The PCP client loop against a hostile responder on loopback: before each good reply it sends a
 * short packet, a reply with another nonce and one for another internal port; its second good reply
 * has an epoch that went backwards (a rebooted gateway). The client maps, keeps going and counts.
 */
class PmpClientLoopbackTest {
    @Test
    void survivesHostileRepliesAndNoticesAnEpochGoingBackwards() throws Exception {
        try (DatagramSocket server = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))) {
            AtomicInteger maps = new AtomicInteger();
            AtomicInteger deletes = new AtomicInteger();
            Thread responder = new Thread(() -> respond(server, maps, deletes), "hostile-pcp");
            responder.setDaemon(true);
            responder.start();

            UpnpSettings u = UpnpSettings.defaults(40000, 51820, false).withTiming(Duration.ofSeconds(2), Duration.ofSeconds(1),
                    Duration.ofMillis(500), Duration.ofMillis(100), Duration.ofMillis(200));
            PortMapSettings s = new PortMapSettings(List.of(Protocol.PCP), u, Duration.ofMillis(200), 3);
            List<Optional<InetSocketAddress>> endpoints = new CopyOnWriteArrayList<>();
            PmpClient client = new PmpClient(Protocol.PCP, s, () -> Optional.of((InetSocketAddress) server.getLocalSocketAddress()),
                    endpoints::add, st -> { });
            client.start();
            waitFor(() -> client.gatewayRestarts() >= 1 && maps.get() >= 3, "epoch going back noticed, mapping renewed after it");
            assertEquals(PortMapStatus.State.MAPPED, client.status().state(), client.status().summary());
            assertEquals(Optional.of(new InetSocketAddress("203.0.114.1", 40005)), endpoints.get(0), "the granted port is announced");
            assertTrue(client.rejectedReplies() >= 9, "three bad replies per exchange rejected: " + client.rejectedReplies());
            client.close();
            assertEquals(PortMapStatus.State.CLOSED, client.status().state());
            assertEquals(1, deletes.get(), "deleted on close");
            assertEquals(Optional.empty(), endpoints.get(endpoints.size() - 1), "loss of the endpoint reported");
        }
    }

    private static void respond(DatagramSocket server, AtomicInteger maps, AtomicInteger deletes) {
        byte[] buf = new byte[1100];
        try {
            while (true) {
                DatagramPacket p = new DatagramPacket(buf, buf.length);
                server.receive(p);
                ByteBuffer req = ByteBuffer.wrap(p.getData(), 0, p.getLength());
                long lifetime = req.getInt(4) & 0xffffffffL;
                byte[] nonce = Arrays.copyOfRange(p.getData(), 24, 36);
                int internal = req.getShort(40) & 0xffff;
                int n = lifetime == 0 ? 0 : maps.incrementAndGet();
                if (lifetime == 0) deletes.incrementAndGet();
                // n = 1: epoch 1000; n = 2: epoch 5 (rebooted); then it counts on from there.
                long epoch = n == 1 ? 1000 : 5 + n;
                send(server, p, new byte[] {2, (byte) 0x81, 0});
                send(server, p, reply(new byte[12], internal, lifetime, epoch));
                send(server, p, reply(nonce, internal + 1, lifetime, epoch));
                send(server, p, reply(nonce, internal, lifetime, epoch));
            }
        } catch (Exception e) {
            // socket closed: test over
        }
    }

    private static byte[] reply(byte[] nonce, int internal, long lifetime, long epoch) throws Exception {
        ByteBuffer b = ByteBuffer.allocate(60).put((byte) 2).put((byte) 0x81).put((byte) 0).put((byte) 0)
                .putInt((int) lifetime).putInt((int) epoch).put(new byte[12]).put(nonce).put((byte) 17).put(new byte[3])
                .putShort((short) internal).putShort((short) (lifetime == 0 ? 0 : 40005))
                .put(Pcp.address16(InetAddress.getByName("203.0.114.1")));
        return b.array();
    }

    private static void send(DatagramSocket s, DatagramPacket to, byte[] d) throws Exception {
        s.send(new DatagramPacket(d, d.length, to.getSocketAddress()));
    }

    private static void waitFor(BooleanSupplier c, String what) throws InterruptedException {
        long deadline = System.nanoTime() + 20_000_000_000L;
        while (!c.getAsBoolean()) {
            if (System.nanoTime() > deadline) throw new AssertionError("timed out waiting: " + what);
            Thread.sleep(20);
        }
    }
}
