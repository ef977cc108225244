package dev.automesh.testbed;

import dev.automesh.crypto.GossipCipher;
import dev.automesh.crypto.WgKey;
import dev.automesh.wire.Message;
import dev.automesh.wire.TimedEndpoint;
import dev.automesh.wire.WireCodec;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.util.List;

/**
 * A member (it holds the secret) sending Announces of ever fresh, valid pubkeys, every other one with
 * an empty endpoint list, to one address at a bounded rate, then exits. Started inside a test namespace
 * only. Usage: AnnounceFlood HOST PORT SECRET COUNT PACKETS_PER_SECOND
 */
public final class AnnounceFlood {
    public static void main(String[] args) throws Exception {
        InetSocketAddress to = new InetSocketAddress(args[0], Integer.parseInt(args[1]));
        GossipCipher cipher = GossipCipher.fromSecret(args[2]);
        int count = Integer.parseInt(args[3]);
        int pps = Integer.parseInt(args[4]);
        long nowS = System.currentTimeMillis() / 1000;
        long start = System.nanoTime();
        try (DatagramSocket s = new DatagramSocket()) {
            for (int i = 0; i < count; i++) {
                byte[] k = new byte[32];
                for (int j = 0; j < 4; j++) k[j] = (byte) (i >>> (8 * j));
                k[31] = 0x77;
                List<TimedEndpoint> eps = i % 2 == 0 ? List.of()
                        : List.of(new TimedEndpoint(new InetSocketAddress("198.18." + (i >>> 8 & 0xff) + "." + (i & 0xff), 51820), nowS));
                byte[] b = cipher.seal(WireCodec.encode(new Message.Announce(WgKey.of(k).toBase64(), eps)));
                s.send(new DatagramPacket(b, b.length, to));
                long due = start + (i + 1) * 1_000_000_000L / pps;
                long wait = due - System.nanoTime();
                if (wait > 0) Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
            }
        }
        System.out.println("sent " + count);
    }
}
