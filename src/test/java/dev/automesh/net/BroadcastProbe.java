package dev.automesh.net;

import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Optional;

/**
 * Run inside a test namespace by {@link LanBroadcastTest}: binds the gossip transport on PORT, and
 * either broadcasts "hello" every 100 ms ("send", or "send6" from a dual-stack [::] socket) or just
 * listens ("listen"), for MILLIS; prints each
 * datagram received as "got SOURCE TEXT" and, at the end, the counters.
 */
public final class BroadcastProbe {
    public static void main(String[] args) throws Exception {
        String mode = args[0];
        int port = Integer.parseInt(args[1]);
        long millis = Long.parseLong(args[2]);
        Counters counters = new Counters();
        try (UdpTransport t = UdpTransport.bind(Optional.empty(), port, mode.endsWith("6"), counters, (InetSocketAddress from, byte[] b) ->
                System.out.println("got " + from.getAddress().getHostAddress() + ":" + from.getPort() + " "
                        + new String(b, StandardCharsets.UTF_8)))) {
            System.out.println("ready");
            long end = System.nanoTime() + millis * 1_000_000;
            while (System.nanoTime() < end) {
                if (mode.startsWith("send")) System.out.println("sent to " + t.broadcast("hello".getBytes(StandardCharsets.UTF_8)));
                Thread.sleep(100);
            }
            System.out.println("counters " + counters.snapshot());
        }
    }
}
