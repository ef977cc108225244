package dev.automesh.packaging;

import dev.automesh.crypto.GossipCipher;
import dev.automesh.wire.Message;
import dev.automesh.wire.WireCodec;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.util.Base64;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Hostile gossip for the footprint measurements (packaging/measure-agent-footprint.sh): at a bounded
 * rate, alternately a sealed Announce of a fresh random public key with no endpoints (each one a key
 * the agent has never seen) and a garbage datagram. Run inside a test namespace only; exits after
 * SECONDS. Not a test. Usage: FreshKeyFlood HOST PORT SECONDS PACKETS_PER_SECOND SECRET [garbage]
 * ("garbage": garbage datagrams only, as UdpFlood sends them).
 */
public final class FreshKeyFlood {
    public static void main(String[] args) throws Exception {
        InetSocketAddress to = new InetSocketAddress(args[0], Integer.parseInt(args[1]));
        long until = System.nanoTime() + Long.parseLong(args[2]) * 1_000_000_000L;
        int pps = Integer.parseInt(args[3]);
        GossipCipher cipher = GossipCipher.fromSecret(args[4]);
        boolean garbageOnly = args.length > 5 && args[5].equals("garbage");
        SplittableRandom rnd = new SplittableRandom(15);
        byte[] key = new byte[32];
        long sent = 0;
        long start = System.nanoTime();
        try (DatagramSocket s = new DatagramSocket()) {
            while (System.nanoTime() < until) {
                byte[] b;
                if (sent % 2 == 0 && !garbageOnly) {
                    rnd.nextBytes(key);
                    b = cipher.seal(WireCodec.encode(new Message.Announce(Base64.getEncoder().encodeToString(key), List.of())));
                } else {
                    b = new byte[rnd.nextInt(1500)];
                    rnd.nextBytes(b);
                }
                s.send(new DatagramPacket(b, b.length, to));
                sent++;
                long wait = start + sent * 1_000_000_000L / pps - System.nanoTime();
                if (wait > 0) Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
            }
        }
        System.out.println("sent " + sent);
    }
}
