package dev.automesh.wg;

import dev.automesh.crypto.WgKey;
import java.io.File;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Guest-only benchmark: reading a 100- and a 1000-peer kernel device through KernelWireGuard (warm,
 * socket reused) versus running `wg show IF dump` once (what wgautomesh does per read), in one run.
 * Wall time per read; CPU: this thread's CPU for our reads, the reaped child's user+sys (from
 * /proc/self/stat cutime+cstime, 10 ms ticks, averaged over the runs) for wg.
 * Usage (in the guest, as root): java -cp CP dev.automesh.wg.KernelReadBenchmark OUTFILE
 */
public final class KernelReadBenchmark {
    private KernelReadBenchmark() {}

    public static void main(String[] args) throws Exception {
        GuestOnlyMain.check();
        StringBuilder report = new StringBuilder();
        report.append(String.format("%-6s %14s %14s %14s %14s %10s %10s%n", "peers", "kernel wall", "kernel cpu",
                "wg wall", "wg cpu", "wall ratio", "cpu ratio"));
        for (int peers : new int[] {100, 1000}) {
            String ifname = "ambench" + peers;
            run("ip", "link", "add", ifname, "type", "wireguard");
            try (KernelWireGuard wg = KernelWireGuard.open(ifname)) {
                SecureRandom rng = new SecureRandom();
                List<PeerUpdate> ups = new ArrayList<>();
                for (int i = 0; i < peers; i++) {
                    byte[] k = new byte[32];
                    rng.nextBytes(k);
                    ups.add(PeerUpdate.of(WgKey.of(k))
                            .endpoint(new InetSocketAddress(InetAddress.getByName("198.51." + (i >> 8) + "." + (i & 255)), 51820))
                            .keepalive(25)
                            .allowedIps(List.of(new IpPrefix(InetAddress.getByName("10.90." + (i >> 8) + "." + (i & 255)), 32)))
                            .build());
                }
                wg.apply(ups);
                ThreadMXBean mx = ManagementFactory.getThreadMXBean();
                for (int i = 0; i < 30; i++) check(wg.read(), peers); // warm-up (JIT)
                int reads = 50;
                long w0 = System.nanoTime(), c0 = mx.getCurrentThreadCpuTime();
                for (int i = 0; i < reads; i++) check(wg.read(), peers);
                double kWall = (System.nanoTime() - w0) / 1e6 / reads;
                double kCpu = (mx.getCurrentThreadCpuTime() - c0) / 1e6 / reads;

                int runs = 10;
                long[] t0 = childTicks();
                long w1 = System.nanoTime();
                for (int i = 0; i < runs; i++) {
                    Process p = new ProcessBuilder("wg", "show", ifname, "dump").redirectErrorStream(true).start();
                    byte[] out = p.getInputStream().readAllBytes();
                    if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0) throw new IllegalStateException("wg failed");
                    long lines = new String(out).lines().count();
                    if (lines != peers + 1) throw new IllegalStateException("wg dump had " + lines + " lines");
                }
                double wWall = (System.nanoTime() - w1) / 1e6 / runs;
                long[] t1 = childTicks();
                double wCpu = ((t1[0] - t0[0]) + (t1[1] - t0[1])) * 10.0 / runs; // USER_HZ = 100
                report.append(String.format("%-6d %11.3f ms %11.3f ms %11.3f ms %11.3f ms %9.1fx %9.1fx%n", peers,
                        kWall, kCpu, wWall, wCpu, wWall / kWall, wCpu / Math.max(kCpu, 1e-6)));
            } finally {
                run("ip", "link", "del", ifname);
            }
        }
        report.append("(QEMU TCG software emulation, 2 vCPUs: absolute figures are several times slower than"
                + " on hardware; the ratios are the point)\n");
        System.out.print(report);
        Files.writeString(Path.of(args[0]), report.toString());
    }

    private static void check(WgDevice d, int peers) {
        if (d.peers().size() != peers) throw new IllegalStateException("read " + d.peers().size() + " peers");
    }

    private static long[] childTicks() throws Exception {
        String stat = Files.readString(Path.of("/proc/self/stat"));
        String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        // fields after "(comm)": state is index 0 = field 3; cutime = field 16, cstime = field 17
        return new long[] {Long.parseLong(f[16 - 3]), Long.parseLong(f[17 - 3])};
    }

    private static void run(String... cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(new File("/dev/null")).start();
        if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0) throw new IllegalStateException(String.join(" ", cmd) + " failed");
    }

    /** Same guard as the guest-only test classes, for a main(). */
    private static final class GuestOnlyMain {
        static void check() {
            if (!"1".equals(System.getenv("QEMU_GUEST"))) {
                throw new IllegalStateException("runs only inside the QEMU guest (KernelWireGuardGuestTest -Dautomesh.bench=true)");
            }
        }
    }
}
