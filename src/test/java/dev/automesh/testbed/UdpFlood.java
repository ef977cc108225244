package dev.automesh.testbed;

import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.util.SplittableRandom;

/**
 * Sends garbage datagrams (random length and bytes, plus short and 1500+-byte ones) to one address at a
 * bounded rate for a bounded time, then exits. Started inside a test namespace only.
 * Usage: UdpFlood HOST PORT SECONDS PACKETS_PER_SECOND
 */
public final class UdpFlood {
    public static void main(String[] args) throws Exception {
        InetSocketAddress to = new InetSocketAddress(args[0], Integer.parseInt(args[1]));
        long until = System.nanoTime() + Long.parseLong(args[2]) * 1_000_000_000L;
        int pps = Integer.parseInt(args[3]);
        SplittableRandom rnd = new SplittableRandom(42);
        long sent = 0;
        long start = System.nanoTime();
        try (DatagramSocket s = new DatagramSocket()) {
            while (System.nanoTime() < until) {
                int len = switch ((int) (sent % 4)) {
                    case 0 -> rnd.nextInt(24);          // shorter than a nonce
                    case 1 -> 40 + rnd.nextInt(8);      // a bare nonce+tag, no plaintext
                    case 2 -> 2000;                     // over the 1500-byte read
                    default -> rnd.nextInt(1500);
                };
                byte[] b = new byte[len];
                rnd.nextBytes(b);
                s.send(new DatagramPacket(b, len, to));
                sent++;
                long due = start + sent * 1_000_000_000L / pps;
                long wait = due - System.nanoTime();
                if (wait > 0) Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
            }
        }
        System.out.println("sent " + sent);
    }
}
