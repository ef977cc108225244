package dev.automesh.bench;

import dev.automesh.crypto.WgKey;
import dev.automesh.testbed.Netns;
import dev.automesh.testbed.Sh;
import dev.automesh.testbed.WireguardGo;
import dev.automesh.wg.IpPrefix;
import dev.automesh.wg.PeerUpdate;
import dev.automesh.wg.UserspaceWireGuard;
import dev.automesh.wg.WgDevice;
import java.io.InputStream;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;

/**
 * Reading a 100- and a 1000-peer wireguard-go device through {@link UserspaceWireGuard} versus
 * running {@code wg show IF dump} once per read (what wgautomesh does), interleaved in one run so
 * both see the same machine load. Needs root, wireguard-go and wg. The device stays DOWN, so the
 * peers' endpoints and keepalives never cause traffic.
 *
 * <p>Run: {@code mvn -B -o -q test-compile dependency:build-classpath -Dmdep.outputFile=target/cp.txt
 * && java -cp target/classes:target/test-classes:$(cat target/cp.txt) dev.automesh.bench.WgReadBench [iterations]}
 *
 * <p>CPU: ours is this thread's CPU time (ThreadMXBean) and, more broadly, the whole JVM's CPU
 * (includes JIT and GC threads); wg's is the child's user+system time from /proc/self/stat
 * (cutime+cstime, 10 ms ticks, summed over all runs). Neither side counts the daemon's own work,
 * which is reported separately, nor the JVM's cost of spawning wg, nor parsing wg's text output.
 */
public final class WgReadBench {
    private static final SecureRandom RNG = new SecureRandom();

    public static void main(String[] args) throws Exception {
        int iterations = args.length > 0 ? Integer.parseInt(args[0]) : 200;
        if (!"root".equals(System.getProperty("user.name"))) {
            System.out.println("SKIPPED: needs root (network namespace, wireguard-go)");
            return;
        }
        long tck = Long.parseLong(Sh.ok("getconf", "CLK_TCK").out().strip());
        System.out.printf("machine: %d cores, %s, %s; wireguard-go %s; %d iterations per size%n",
                Runtime.getRuntime().availableProcessors(), cpuModel(), System.getProperty("java.vm.name") + " "
                        + System.getProperty("java.version"),
                Sh.run(List.of("wireguard-go", "--version")).out().lines().findFirst().orElse("?"), iterations);
        System.out.printf("%-6s | %-28s | %-28s | %-22s | %s%n", "peers", "UserspaceWireGuard.read()",
                "wg show IF dump (process)", "ratio wg/ours", "daemon CPU per read (ours / wg)");
        for (int peers : new int[] {100, 1000}) {
            run(peers, iterations, tck);
        }
    }

    private static void run(int peerCount, int iterations, long tck) throws Exception {
        String name = Netns.uniqueName("amu");
        String ifname = name + "b";
        Path link = Path.of("/run/wireguard", ifname + ".sock");
        try (Netns ns = Netns.create(name); WireguardGo go = WireguardGo.start(ns, ifname);
                UserspaceWireGuard wg = UserspaceWireGuard.open(ifname, go.socket())) {
            List<PeerUpdate> batch = new ArrayList<>();
            for (int i = 0; i < peerCount; i++) {
                byte[] k = new byte[32];
                RNG.nextBytes(k);
                batch.add(PeerUpdate.of(WgKey.of(k))
                        .endpoint(new InetSocketAddress(InetAddress.getByAddress(
                                new byte[] {(byte) 198, 51, (byte) (i >> 8), (byte) i}), 51820))
                        .keepalive(25)
                        .allowedIps(List.of(new IpPrefix(InetAddress.getByAddress(
                                new byte[] {10, 99, (byte) (i >> 8), (byte) i}), 32)))
                        .build());
            }
            wg.apply(batch);
            // `wg show IF` looks for /run/wireguard/IF.sock; the daemon's socket is in the namespace's
            // private directory, so point a (uniquely named, removed below) link at it.
            Files.createDirectories(link.getParent());
            Files.deleteIfExists(link);
            Files.createSymbolicLink(link, go.socket());
            long daemonPid = go.process().pid();

            // Sanity: both paths read the same device.
            WgDevice d = wg.read();
            String dump = runWg(ifname);
            if (d.peers().size() != peerCount || dump.lines().count() != peerCount + 1) {
                throw new IllegalStateException("device has " + d.peers().size() + " peers, wg dump "
                        + (dump.lines().count() - 1));
            }
            // Warm-up: JIT for our side, page cache for wg.
            long coldStart = System.nanoTime();
            for (int i = 0; i < 50; i++) wg.read();
            long warmupNs = System.nanoTime() - coldStart;
            for (int i = 0; i < 5; i++) runWg(ifname);

            ThreadMXBean tmx = ManagementFactory.getThreadMXBean();
            var osmx = (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
            long oursWall = 0, oursThreadCpu = 0, oursProcCpu = 0, oursDaemonTicks = 0;
            long wgWall = 0, wgChildTicks = 0, wgDaemonTicks = 0;
            for (int i = 0; i < iterations; i++) {
                long d0 = daemonTicks(daemonPid);
                long p0 = osmx.getProcessCpuTime();
                long c0 = tmx.getCurrentThreadCpuTime();
                long t0 = System.nanoTime();
                WgDevice dev = wg.read();
                long t1 = System.nanoTime();
                long c1 = tmx.getCurrentThreadCpuTime();
                long p1 = osmx.getProcessCpuTime();
                long d1 = daemonTicks(daemonPid);
                if (dev.peers().size() != peerCount) throw new IllegalStateException("short read");
                oursWall += t1 - t0;
                oursThreadCpu += c1 - c0;
                oursProcCpu += p1 - p0;
                oursDaemonTicks += d1 - d0;

                long k0 = childTicks();
                long w0 = System.nanoTime();
                String out = runWg(ifname);
                long w1 = System.nanoTime();
                long k1 = childTicks();
                long d2 = daemonTicks(daemonPid);
                if (out.isEmpty()) throw new IllegalStateException("empty wg output");
                wgWall += w1 - w0;
                wgChildTicks += k1 - k0;
                wgDaemonTicks += d2 - d1;
            }
            // The JVM's fork/exec of wg is slower than a Rust Command spawn; also time wg in a shell
            // loop (spawn cost closer to wgautomesh's). CPU here includes the shell's own.
            long s0 = childTicks();
            long sw0 = System.nanoTime();
            Sh.run(List.of("sh", "-c", "i=0; while [ $i -lt " + iterations + " ]; do wg show " + ifname
                    + " dump >/dev/null || exit 1; i=$((i+1)); done"), 600).orThrow();
            long sw1 = System.nanoTime();
            long s1 = childTicks();
            double tickUs = 1e6 / tck;
            double shWallUs = (sw1 - sw0) / 1e3 / iterations;
            double shCpuUs = (s1 - s0) * tickUs / iterations;
            double oursWallUs = oursWall / 1e3 / iterations;
            double oursCpuUs = oursThreadCpu / 1e3 / iterations;
            double oursProcUs = oursProcCpu / 1e3 / iterations;
            double wgWallUs = wgWall / 1e3 / iterations;
            double wgCpuUs = wgChildTicks * tickUs / iterations;
            System.out.printf("%-6d | wall %7.0f us, cpu %6.0f us | wall %7.0f us, cpu %6.0f us | wall x%5.1f, cpu x%5.1f"
                            + " | %.0f us / %.0f us%n",
                    peerCount, oursWallUs, oursCpuUs, wgWallUs, wgCpuUs, wgWallUs / oursWallUs, wgCpuUs / oursCpuUs,
                    oursDaemonTicks * tickUs / iterations, wgDaemonTicks * tickUs / iterations);
            System.out.printf("         (ours: JVM-wide cpu %.0f us/read incl. JIT+GC threads -> cpu ratio x%.1f;"
                            + " first 50 reads incl. JIT warm-up averaged %.0f us)%n",
                    oursProcUs, wgCpuUs / oursProcUs, warmupNs / 1e3 / 50);
            System.out.printf("         (wg from a sh loop instead of the JVM: wall %.0f us, cpu %.0f us per run"
                            + " -> wall x%.1f, cpu x%.1f)%n",
                    shWallUs, shCpuUs, shWallUs / oursWallUs, shCpuUs / oursCpuUs);
        } finally {
            Files.deleteIfExists(link);
        }
    }

    private static String runWg(String ifname) throws Exception {
        Process p = new ProcessBuilder("wg", "show", ifname, "dump")
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                .redirectError(ProcessBuilder.Redirect.DISCARD).start();
        String out;
        try (InputStream in = p.getInputStream()) {
            out = new String(in.readAllBytes(), java.nio.charset.StandardCharsets.US_ASCII);
        }
        int rc = p.waitFor();
        if (rc != 0) throw new IllegalStateException("wg show " + ifname + " dump exited " + rc);
        return out;
    }

    /** cutime + cstime of this process: CPU of reaped children, in clock ticks. */
    private static long childTicks() throws Exception {
        String[] f = statFields(Path.of("/proc/self/stat"));
        return Long.parseLong(f[13]) + Long.parseLong(f[14]); // fields 16, 17 (after pid and comm)
    }

    /** utime + stime of the daemon (all its threads), in clock ticks. */
    private static long daemonTicks(long pid) throws Exception {
        String[] f = statFields(Path.of("/proc/" + pid + "/stat"));
        return Long.parseLong(f[11]) + Long.parseLong(f[12]); // fields 14, 15
    }

    /** Fields after "pid (comm) ", so index 0 is field 3 (state). */
    private static String[] statFields(Path p) throws Exception {
        String s = Files.readString(p);
        return s.substring(s.lastIndexOf(')') + 2).split(" ");
    }

    private static String cpuModel() {
        try {
            return Files.readAllLines(Path.of("/proc/cpuinfo")).stream().filter(l -> l.startsWith("model name"))
                    .findFirst().map(l -> l.substring(l.indexOf(':') + 1).strip()).orElse("?");
        } catch (Exception e) {
            return "?";
        }
    }
}
