package dev.automesh.testbed;

import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * An attacker on a LAN: captures the first datagram from {@code FROM_IP} arriving at {@code PORT} (a
 * sealed LanBroadcast reaches every host on the segment), writes "captured" to {@code READY_FILE},
 * then, once {@code GO_FILE} exists, sends those exact bytes from its own address to {@code TO:TO_PORT}
 * every {@code INTERVAL_MS} until {@code SECONDS} have passed. Started inside a test namespace only.
 * Usage: UdpReplayer PORT FROM_IP TO TO_PORT INTERVAL_MS SECONDS READY_FILE GO_FILE
 */
public final class UdpReplayer {
    public static void main(String[] args) throws Exception {
        int port = Integer.parseInt(args[0]);
        InetAddress from = InetAddress.getByName(args[1]);
        InetSocketAddress to = new InetSocketAddress(args[2], Integer.parseInt(args[3]));
        long interval = Long.parseLong(args[4]);
        long seconds = Long.parseLong(args[5]);
        Path ready = Path.of(args[6]);
        Path go = Path.of(args[7]);
        try (DatagramSocket s = new DatagramSocket(new InetSocketAddress(port))) {
            s.setBroadcast(true);
            byte[] buf = new byte[2048];
            DatagramPacket p = new DatagramPacket(buf, buf.length);
            do {
                p.setLength(buf.length);
                s.receive(p);
            } while (!p.getAddress().equals(from));
            byte[] captured = Arrays.copyOf(p.getData(), p.getLength());
            Files.writeString(ready, "captured " + captured.length + " bytes\n");
            while (!Files.exists(go)) Thread.sleep(100);
            long until = System.nanoTime() + seconds * 1_000_000_000L;
            int sent = 0;
            while (System.nanoTime() < until) {
                s.send(new DatagramPacket(captured, captured.length, to));
                sent++;
                Thread.sleep(interval);
            }
            System.out.println("replayed " + sent);
        }
    }
}
