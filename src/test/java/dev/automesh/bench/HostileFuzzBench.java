package dev.automesh.bench;

import dev.automesh.config.PeerConfig;
import dev.automesh.crypto.GossipCipher;
import dev.automesh.crypto.WgKey;
import dev.automesh.mesh.Action;
import dev.automesh.mesh.Mesh;
import dev.automesh.mesh.MeshSettings;
import dev.automesh.net.GossipChannel;
import dev.automesh.wg.IpPrefix;
import dev.automesh.wg.WgDevice;
import dev.automesh.wire.Message;
import dev.automesh.wire.TimedEndpoint;
import dev.automesh.wire.WireCodec;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;

/**
 * A long fuzz run, as a benchmark: N inputs (a third random bytes, a third corrupted ciphertext, a third
 * sealed hostile payloads: fresh keys, bad and future-dated endpoints, LAN broadcasts from anywhere,
 * Requests and Pings from forged sources, replays) through GossipChannel's decode and into a Mesh, on a
 * simulated clock at 5000 inputs a second. Reports per run: time, the slowest input, exceptions that
 * escaped, heap growth, table size and the work that came out. Run with:
 * <pre>
 * mvn -B -o -q test-compile dependency:build-classpath -Dmdep.outputFile=target/cp.txt
 * java -Xmx256m -cp "target/classes:target/test-classes:$(cat target/cp.txt)" dev.automesh.bench.HostileFuzzBench [inputs] [runs]
 * </pre>
 */
public final class HostileFuzzBench {
    private HostileFuzzBench() {}

    static WgKey key(int n) {
        byte[] b = new byte[32];
        for (int i = 0; i < 4; i++) b[i] = (byte) (n >>> (8 * i));
        b[31] = 0x42;
        return WgKey.of(b);
    }

    public static void main(String[] args) throws Exception {
        int inputs = args.length > 0 ? Integer.parseInt(args[0]) : 1_200_000;
        int runs = args.length > 1 ? Integer.parseInt(args[1]) : 3;
        List<Double> secs = new ArrayList<>();
        for (int r = 0; r < runs; r++) secs.add(run(inputs, r));
        secs.sort(null);
        System.out.printf("median of %d runs: %.2f s for %d inputs (%.2f µs/input)%n", runs, secs.get(runs / 2), inputs,
                secs.get(runs / 2) * 1e6 / inputs);
    }

    static double run(int inputs, long seed) throws Exception {
        SplittableRandom rnd = new SplittableRandom(seed);
        GossipCipher cipher = GossipCipher.fromSecret("bench secret");
        GossipChannel channel = GossipChannel.detached(cipher);
        WgKey own = key(-1);
        List<PeerConfig> peers = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            peers.add(new PeerConfig(key(1_000_000 + i), InetAddress.getByName("10.77.0." + (i + 1)), Optional.empty(),
                    Optional.of("p" + i)));
        }
        Mesh mesh = new Mesh(new MeshSettings(own, 1666, true, peers, List.of(new IpPrefix(InetAddress.getByName("192.168.1.0"), 24))));
        long t0 = 1_800_000_000_000L;
        mesh.start(Map.of(), t0);
        mesh.onDevice(new WgDevice("wg0", Optional.of(own), 51820, List.of()), t0);
        Runtime rt = Runtime.getRuntime();
        for (int i = 0; i < 3; i++) System.gc();
        long heapBefore = rt.totalMemory() - rt.freeMemory();
        byte[] lastSealed = cipher.seal(WireCodec.encode(new Message.Ping()));
        long[] log2Micros = new long[40];
        long escaped = 0, maxNanos = 0, delivered = 0, configures = 0, sends = 0, notices = 0;
        long start = System.nanoTime();
        for (int i = 0; i < inputs; i++) {
            long now = t0 + i / 5;
            byte[] datagram;
            switch (i % 3) {
                case 0 -> {
                    datagram = new byte[rnd.nextInt(1500)];
                    rnd.nextBytes(datagram);
                }
                case 1 -> {
                    datagram = lastSealed.clone();
                    datagram[rnd.nextInt(datagram.length)] ^= (byte) (1 + rnd.nextInt(255));
                }
                default -> {
                    datagram = i % 97 == 2 ? lastSealed : cipher.seal(hostilePayload(rnd, i, peers));
                    lastSealed = datagram;
                }
            }
            InetSocketAddress from = source(rnd, peers);
            long a = System.nanoTime();
            try {
                Optional<Message> m = channel.decode(datagram, a);
                if (m.isPresent()) {
                    delivered++;
                    List<Action> out = new ArrayList<>(mesh.onDatagram(from, m.get(), now));
                    if (i % 5000 == 0) out.addAll(mesh.onTick(now));
                    for (Action x : out) {
                        if (x instanceof Action.Configure) configures++;
                        else if (x instanceof Action.Send) sends++;
                        else if (x instanceof Action.Notice) notices++;
                    }
                }
            } catch (RuntimeException e) {
                escaped++;
            }
            long took = System.nanoTime() - a;
            maxNanos = Math.max(maxNanos, took);
            log2Micros[64 - Long.numberOfLeadingZeros(took / 1000)]++;
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        long over1ms = 0;
        for (int b = 11; b < log2Micros.length; b++) over1ms += log2Micros[b]; // bucket 11: >= 1024 µs
        long within = 0;
        int p999 = 0;
        while ((within += log2Micros[p999]) < inputs * 0.999) p999++;
        for (int i = 0; i < 3; i++) System.gc();
        long heapAfter = rt.totalMemory() - rt.freeMemory();
        var c = mesh.status(t0 + inputs / 5).counters();
        var d = channel.counters().snapshot();
        System.out.printf("run %d: %d inputs in %.2f s (%.2f µs each), 99.9%% under %d µs, %d over 1 ms, slowest %.2f ms, %d escaped exceptions, heap %+d KiB, "
                        + "table %d keys; %d decoded, %d replays dropped, %d undecryptable, %d undecodable; out: %d Configure, "
                        + "%d Send, %d notices; refused askers %d, answer bytes refused %d, work deferred %d, LAN proofs %d/%d%n",
                seed, inputs, seconds, seconds * 1e6 / inputs, 1L << p999, over1ms, maxNanos / 1e6, escaped, (heapAfter - heapBefore) / 1024,
                mesh.persistentState().size(), delivered, d.droppedReplayed(), d.droppedUndecryptable(), d.droppedUndecodable(),
                configures, sends, notices, c.refusedAskers(), c.refusedAnswerBytes(), c.workDeferred(), c.lanProofsPassed(),
                c.lanProofsSent());
        return seconds;
    }

    static InetSocketAddress source(SplittableRandom rnd, List<PeerConfig> peers) throws Exception {
        return switch (rnd.nextInt(4)) {
            case 0 -> new InetSocketAddress(peers.get(rnd.nextInt(peers.size())).address(), 1666);
            case 1 -> new InetSocketAddress(InetAddress.getByAddress(new byte[] {(byte) 192, (byte) 168, 1, (byte) rnd.nextInt(256)}), 1666);
            case 2 -> new InetSocketAddress(InetAddress.getByAddress(ip4(rnd)), rnd.nextInt(65536));
            default -> new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 1666);
        };
    }

    static byte[] ip4(SplittableRandom rnd) {
        byte[] b = new byte[4];
        rnd.nextBytes(b);
        return b;
    }

    static byte[] hostilePayload(SplittableRandom rnd, int i, List<PeerConfig> peers) throws Exception {
        long nowS = 1_800_000_000L + i / 5000;
        String pk = rnd.nextBoolean() ? key(i).toBase64() : peers.get(rnd.nextInt(peers.size())).pubkey().toBase64();
        Message m = switch (rnd.nextInt(6)) {
            case 0 -> new Message.Ping();
            case 1 -> new Message.Request();
            case 2 -> new Message.LanBroadcast(pk, rnd.nextInt(65536));
            case 3 -> null; // sealed random plaintext: authentic but undecodable
            default -> {
                List<TimedEndpoint> eps = new ArrayList<>();
                int n = rnd.nextInt(8);
                for (int k = 0; k < n; k++) {
                    byte[] a = rnd.nextInt(3) == 0 ? new byte[16] : ip4(rnd);
                    if (a.length == 16) {
                        rnd.nextBytes(a);
                        if (rnd.nextBoolean()) { // IPv4-mapped and -compatible spellings
                            Arrays.fill(a, 0, 10, (byte) 0);
                            a[10] = a[11] = (byte) (rnd.nextBoolean() ? 0xff : 0);
                        }
                    }
                    long date = switch (rnd.nextInt(4)) {
                        case 0 -> nowS + rnd.nextInt(100_000);
                        case 1 -> rnd.nextLong();
                        default -> nowS - rnd.nextInt(1000);
                    };
                    eps.add(new TimedEndpoint(new InetSocketAddress(InetAddress.getByAddress(a), rnd.nextInt(65536)), date));
                }
                yield new Message.Announce(pk, eps);
            }
        };
        if (m == null) {
            byte[] junk = new byte[rnd.nextInt(200)];
            rnd.nextBytes(junk);
            return junk;
        }
        return WireCodec.encode(m);
    }
}
