package dev.automesh.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.automesh.crypto.GossipCipher;
import dev.automesh.testbed.AgentProcess;
import dev.automesh.testbed.Converge;
import dev.automesh.testbed.InNetns;
import dev.automesh.testbed.NatTopology;
import dev.automesh.testbed.NatTopology.Host;
import dev.automesh.testbed.NatTopology.Nat;
import dev.automesh.testsupport.Facility;
import dev.automesh.wire.Extension;
import dev.automesh.wire.Trailer;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A mixed mesh: the second public host pub2 runs no agent but a stand-in for wgautomesh 0.1 written
 * here, from ../shared/protocol/wgautomesh-wire.md, not from the project's codec: it decodes every
 * gossip datagram strictly the way wgautomesh does (bincode 1.x, variants 0–4, trailing bytes
 * ignored) and answers Ping with Pong. pub2 has live tunnels to everyone, so it would qualify as a
 * relay for a↔b (both NATs symmetric) if being wgautomesh did not rule it out. It must receive nothing
 * it cannot decode, no relay setup, and nothing on a relay port; a↔b is relayed via pub.
 */
class RelayMixedMeshIT {
    private static final long REACH_MS = 45_000;
    private RelayBed bed;
    private final List<DatagramSocket> sockets = new ArrayList<>();

    @AfterEach
    void down() {
        for (DatagramSocket s : sockets) s.close();
        if (bed != null) bed.close();
    }

    /** What the stand-in saw. */
    private static final class Seen {
        final AtomicLong decoded = new AtomicLong();
        final List<String> undecodable = new CopyOnWriteArrayList<>();
        final List<String> relaySetup = new CopyOnWriteArrayList<>();
        final AtomicLong onRelayPort = new AtomicLong();
    }

    @Test
    void aWgautomeshNodeReceivesOnlyWhatItDecodesAndIsNeverAskedToRelay() throws Exception {
        Facility.requireRoot();
        Facility.requireCommands("ip", "nft", "wireguard-go", "wg", "unshare", "java", "ping");
        bed = new RelayBed(NatTopology.createWithSecondPublic(Nat.SYMMETRIC, Nat.SYMMETRIC));
        NatTopology t = bed.t;
        Host wga = t.pub2;
        // pub2's WireGuard as wgautomesh would configure it: every peer at its mesh address, pub at its endpoint.
        for (Host h : List.of(t.pub, t.a, t.a2, t.b)) {
            List<String> cmd = new ArrayList<>(List.of("set", "wg0", "peer", h.publicKey, "allowed-ips", h.meshIp + "/32"));
            if (h == t.pub) cmd.addAll(List.of("endpoint", NatTopology.PUBLIC_IP + ":" + NatTopology.WG_PORT,
                    "persistent-keepalive", "25"));
            wga.wgCmd(cmd.toArray(String[]::new)).orThrow();
        }
        Seen seen = new Seen();
        InetAddress mesh = InetAddress.getByName(wga.meshIp);
        DatagramSocket gossip = InNetns.call(wga.ns.name(), () -> new DatagramSocket(new InetSocketAddress(mesh, AgentProcess.GOSSIP_PORT)));
        DatagramSocket relayPort = InNetns.call(wga.ns.name(), () -> new DatagramSocket(new InetSocketAddress(mesh, AgentProcess.GOSSIP_PORT + 1)));
        sockets.addAll(List.of(gossip, relayPort));
        daemon(() -> standIn(gossip, seen));
        daemon(() -> {
            DatagramPacket p = new DatagramPacket(new byte[2048], 2048);
            try {
                while (true) {
                    relayPort.receive(p);
                    seen.onRelayPort.incrementAndGet();
                }
            } catch (java.io.IOException closed) {
                // the test is over
            }
        });

        List<Host> automesh = List.of(t.pub, t.a, t.a2, t.b);
        for (Host h : automesh) bed.start(h, bed.publicEndpoints(), t.hosts());
        List<String> relays = new CopyOnWriteArrayList<>();
        assertTrue(Converge.await(REACH_MS, () -> {
            RelayBed.relayedVia(t.a, t.b).ifPresent(relays::add);
            return RelayBed.relayedVia(t.a, t.b).equals(Optional.of("pub")) && RelayBed.pings(t.a, t.b);
        }), "a↔b is not relayed via pub" + bed.diagnostics());
        bed.assertEveryonePingsEveryone(t.hosts(), REACH_MS);
        // Keep watching a few gossip rounds more: the checks below are about everything that ever arrived.
        long until = System.currentTimeMillis() + 8000;
        while (System.currentTimeMillis() < until) {
            RelayBed.relayedVia(t.a, t.b).ifPresent(relays::add);
            RelayBed.relayedVia(t.b, t.a).ifPresent(relays::add);
            Thread.sleep(500);
        }

        assertTrue(seen.decoded.get() > 0, "the wgautomesh stand-in received no gossip at all: the test proves nothing"
                + bed.diagnostics());
        assertEquals(List.of(), seen.undecodable, "wgautomesh would fail to decode these");
        assertEquals(List.of(), seen.relaySetup, "relay setup sent to a wgautomesh node");
        assertEquals(0, seen.onRelayPort.get(), "datagrams to a relay port on the wgautomesh node");
        assertTrue(relays.stream().noneMatch("pub2"::equals), "a↔b was relayed via the wgautomesh node: " + relays);
    }

    private static void daemon(Runnable r) {
        Thread th = new Thread(r, "wgautomesh-stand-in");
        th.setDaemon(true);
        th.start();
    }

    /** Receives like wgautomesh (≤ 1500 bytes), decodes strictly, answers Ping with Pong to the source. */
    private static void standIn(DatagramSocket socket, Seen seen) {
        GossipCipher cipher = GossipCipher.fromSecret(AgentProcess.SECRET);
        byte[] buf = new byte[1500];
        DatagramPacket p = new DatagramPacket(buf, buf.length);
        try {
            while (true) {
                p.setLength(buf.length);
                socket.receive(p);
                String from = p.getSocketAddress().toString();
                Optional<byte[]> plain = cipher.open(p.getData(), 0, p.getLength());
                if (plain.isEmpty()) {
                    seen.undecodable.add(from + ": does not decrypt");
                    continue;
                }
                byte[] m = plain.get();
                int end;
                int variant;
                try {
                    variant = (int) new Strict(m).u32();
                    end = decode(m);
                } catch (IllegalArgumentException e) {
                    seen.undecodable.add(from + ": " + e.getMessage());
                    continue;
                }
                seen.decoded.incrementAndGet();
                if (end < m.length) {
                    // Not wgautomesh's business (it ignores them); read here only to see what rode along.
                    try {
                        for (Extension x : Trailer.decode(m, end, m.length - end).extensions()) {
                            if (!(x instanceof Extension.Capabilities)) seen.relaySetup.add(from + ": " + x);
                        }
                    } catch (dev.automesh.wire.DecodeException e) {
                        seen.relaySetup.add(from + ": unreadable trailer " + e.getMessage());
                    }
                }
                if (variant == 0) {
                    byte[] pong = cipher.seal(new byte[] {1, 0, 0, 0});
                    socket.send(new DatagramPacket(pong, pong.length, p.getSocketAddress()));
                }
            }
        } catch (SocketException closed) {
            // the test is over
        } catch (java.io.IOException e) {
            seen.undecodable.add("receive failed: " + e);
        }
    }

    /** One message as wgautomesh 0.1 decodes it; returns where it ends. Throws on anything it would reject. */
    static int decode(byte[] m) {
        Strict r = new Strict(m);
        long variant = r.u32();
        switch ((int) variant) {
            case 0, 1, 3 -> { }
            case 2 -> {
                r.string();
                long n = r.u64();
                if (n > m.length) throw new IllegalArgumentException("endpoint count " + n);
                for (long i = 0; i < n; i++) {
                    r.socketAddr();
                    r.u64();
                }
            }
            case 4 -> {
                r.string();
                r.u16();
            }
            default -> throw new IllegalArgumentException("unknown variant " + variant);
        }
        if (variant > 4) throw new IllegalArgumentException("unknown variant " + variant);
        return r.pos;
    }

    /** bincode 1.x fixed-width little-endian reads, failing on truncation. */
    private static final class Strict {
        final ByteBuffer b;
        int pos;

        Strict(byte[] m) {
            b = ByteBuffer.wrap(m).order(ByteOrder.LITTLE_ENDIAN);
        }

        private void need(int n) {
            if (pos + n > b.limit()) throw new IllegalArgumentException("truncated at byte " + pos);
        }

        long u32() {
            need(4);
            long v = Integer.toUnsignedLong(b.getInt(pos));
            pos += 4;
            return v;
        }

        long u64() {
            need(8);
            long v = b.getLong(pos);
            pos += 8;
            return v;
        }

        int u16() {
            need(2);
            int v = Short.toUnsignedInt(b.getShort(pos));
            pos += 2;
            return v;
        }

        String string() {
            long n = u64();
            if (n < 0 || n > b.limit() - pos) throw new IllegalArgumentException("string length " + n);
            byte[] s = new byte[(int) n];
            b.get(pos, s);
            pos += (int) n;
            try {
                return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                        .decode(ByteBuffer.wrap(s)).toString();
            } catch (CharacterCodingException e) {
                throw new IllegalArgumentException("string is not UTF-8");
            }
        }

        void socketAddr() {
            long kind = u32();
            if (kind == 0) need(4 + 2);
            else if (kind == 1) need(16 + 2);
            else throw new IllegalArgumentException("SocketAddr variant " + kind);
            pos += (kind == 0 ? 4 : 16) + 2;
        }
    }
}
