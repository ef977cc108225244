package dev.automesh.bench;

import dev.automesh.crypto.GossipCipher;
import dev.automesh.wire.DecodeException;
import dev.automesh.wire.Message;
import dev.automesh.wire.TimedEndpoint;
import dev.automesh.wire.WireCodec;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;

/**
 * A plain (JMH-free) micro benchmark: time per message of seal+encode and open+decode, for a Ping and
 * a full Announce (5 IPv6 endpoints). Warms up, then reports the best of 5 timed rounds. Run with:
 * <pre>
 * mvn -B -o -q test-compile dependency:build-classpath -Dmdep.outputFile=target/cp.txt
 * java -cp "target/classes:target/test-classes:$(cat target/cp.txt)" dev.automesh.bench.CodecBench [iterations]
 * </pre>
 */
public final class CodecBench {
    private CodecBench() {}

    public static void main(String[] args) throws Exception {
        int iterations = args.length > 0 ? Integer.parseInt(args[0]) : 200_000;
        GossipCipher cipher = GossipCipher.fromSecret("bench secret");
        List<TimedEndpoint> eps = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            eps.add(new TimedEndpoint(new InetSocketAddress("2001:db8::" + (i + 1), 51820 + i), 1_700_000_000L + i));
        }
        Message announce = new Message.Announce("7Nm7pMmyS7Nts1MB+loyD8u84ODxHPTkDu+uqQR6yDk=", eps);
        for (Message m : List.of(new Message.Ping(), announce)) {
            byte[] packet = cipher.seal(WireCodec.encode(m));
            String name = m.getClass().getSimpleName() + " (" + packet.length + " B sealed)";
            long sink = 0;
            for (int w = 0; w < 3; w++) sink += sealEncode(cipher, m, iterations / 4) + openDecode(cipher, packet, iterations / 4);
            double bestSeal = Double.MAX_VALUE;
            double bestOpen = Double.MAX_VALUE;
            for (int round = 0; round < 5; round++) {
                long t0 = System.nanoTime();
                sink += sealEncode(cipher, m, iterations);
                long t1 = System.nanoTime();
                sink += openDecode(cipher, packet, iterations);
                long t2 = System.nanoTime();
                bestSeal = Math.min(bestSeal, (t1 - t0) / (double) iterations);
                bestOpen = Math.min(bestOpen, (t2 - t1) / (double) iterations);
            }
            System.out.printf("%-28s seal+encode %7.0f ns/msg (%8.0f msg/s)   open+decode %7.0f ns/msg (%8.0f msg/s)  [%d]%n",
                    name, bestSeal, 1e9 / bestSeal, bestOpen, 1e9 / bestOpen, sink & 1);
        }
    }

    private static long sealEncode(GossipCipher cipher, Message m, int n) {
        long sink = 0;
        for (int i = 0; i < n; i++) sink += cipher.seal(WireCodec.encode(m))[30];
        return sink;
    }

    private static long openDecode(GossipCipher cipher, byte[] packet, int n) throws DecodeException {
        long sink = 0;
        for (int i = 0; i < n; i++) {
            byte[] plain = cipher.open(packet, 0, packet.length).orElseThrow();
            sink += WireCodec.decode(plain).variant();
        }
        return sink;
    }
}
