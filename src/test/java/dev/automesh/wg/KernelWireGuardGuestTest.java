package dev.automesh.wg;

import static org.junit.jupiter.api.Assertions.*;

import dev.automesh.testbed.QemuGuest;
import dev.automesh.testsupport.Facility;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * Boots ONE throwaway QEMU guest whose kernel has WireGuard and runs all kernel backend tests there
 * (the shared contract, kernel-specific cases, two agents, a relayed pair, three agents relaying a pair, and the no-CAP_NET_ADMIN
 * case in a JVM without that capability), then reports every guest test here as its own dynamic test with its failure message.
 * With -Dautomesh.bench=true the same boot also runs {@link KernelReadBenchmark} (target/kernel-bench.txt).
 */
class KernelWireGuardGuestTest {
    private static final List<String> FULL_CAPS = List.of(
            "dev.automesh.wg.KernelWireGuardContractInGuest", "dev.automesh.wg.KernelWireGuardInGuest",
            "dev.automesh.daemon.AgentKernelInGuest", "dev.automesh.wg.RelayKernelInGuest",
            "dev.automesh.daemon.RelayAgentsKernelInGuest");
    private static final List<String> NO_CAP = List.of("dev.automesh.wg.KernelWireGuardNoCapInGuest");

    @TestFactory
    Stream<DynamicTest> kernelBackendInGuest() throws Exception {
        Facility.requireRoot(); // the 9p server reads the host tree (incl. ~/.m2) with our rights
        Facility.requireCommands("qemu-system-x86_64", "cpio", "xz", "zstd", "wg", "ip", "setpriv");
        Facility.require(QemuGuest.findKernel().isPresent(),
                "needs a Debian 6.12 kernel in /boot (linux-image-6.12-amd64) for the QEMU guest");
        Path project = Path.of("").toAbsolutePath();
        Path results = Files.createTempDirectory(project.resolve("target"), "guest-results");
        String cp = dev.automesh.testbed.QemuGuest.guestClassPath(
                System.getProperty("surefire.test.class.path", System.getProperty("java.class.path")));
        boolean bench = Boolean.getBoolean("automesh.bench");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        String script = """
                set -u
                # Explicitly: the kernel's module autoloader runs in the initramfs root, not in this one.
                modprobe -a wireguard veth || { echo "modprobe wireguard veth failed"; exit 90; }
                t() { echo "[guest t=$(cut -d' ' -f1 /proc/uptime)s] $*"; }
                J="%1$s -XX:TieredStopAtLevel=1 -XX:+UseSerialGC -Xshare:auto -XX:+UnlockDiagnosticVMOptions -XX:-BytecodeVerificationRemote -Djdk.lang.Process.launchMechanism=VFORK -cp %2$s"
                ip link add %4$s type wireguard || exit 91
                # The no-CAP_NET_ADMIN JVM runs alongside the main one: JVM start-up dominates under TCG.
                setpriv --inh-caps=-all --bounding-set=-net_admin $J dev.automesh.testbed.GuestJUnit %3$s/nocap.tsv %5$s &
                t full-caps suites
                $J dev.automesh.testbed.GuestJUnit %3$s/full.tsv %6$s
                wait
                t done
                %7$s
                exit 0
                """.formatted(java, cp, results, KernelWireGuardNoCapInGuest.IFACE, String.join(" ", NO_CAP),
                String.join(" ", FULL_CAPS),
                bench ? "$J -XX:TieredStopAtLevel=4 dev.automesh.wg.KernelReadBenchmark "
                        + project.resolve("target/kernel-bench.txt") : "");
        QemuGuest guest = QemuGuest.prepare(project.resolve("target/qemu"));
        // Watchdog: the batch took ~250 s under a load of ~10 on 2 cores (TCG is CPU bound), before
        // RelayAgentsKernelInGuest added 38-60 s; when that test fails it waits its full 90 s for the
        // relay (a 305 s batch at load ~6 with a 120 s wait). 480 s keeps a failing run, under load,
        // from being cut off with every result lost.
        QemuGuest.Result r = guest.run(project, script, Duration.ofSeconds(bench ? 580 : 480));
        System.out.println("[guest] wall " + r.wall().toMillis() + " ms, exit " + r.exit() + "\n" + r.output());

        List<DynamicTest> tests = new ArrayList<>();
        String context = "guest console:\n" + r.output() + (r.ok() ? "" : "\nkernel log:\n" + r.kernelLog());
        tests.add(DynamicTest.dynamicTest("guest boots, runs the suites and powers off",
                () -> assertEquals(0, r.exit(), context)));
        for (String file : List.of("full.tsv", "nocap.tsv")) {
            Path f = results.resolve(file);
            List<String> lines = Files.exists(f) ? Files.readAllLines(f) : List.of();
            tests.add(DynamicTest.dynamicTest(file + " complete", () -> {
                assertTrue(lines.contains("END"), "guest JUnit run " + file + " did not finish\n" + context);
                assertTrue(lines.stream().anyMatch(l -> l.startsWith("RESULT")), "no test ran in " + file);
            }));
            for (String l : lines) {
                if (!l.startsWith("RESULT\t")) continue;
                String[] p = l.split("\t", -1);
                String msg = new String(Base64.getDecoder().decode(p[3]), StandardCharsets.UTF_8);
                tests.add(DynamicTest.dynamicTest(p[1], () -> {
                    // Nothing may be skipped or aborted in the guest: it has every facility.
                    if (!p[2].equals("SUCCESSFUL")) fail("in the guest: " + p[2] + "\n" + msg);
                }));
            }
        }
        if (bench) {
            tests.add(DynamicTest.dynamicTest("benchmark", () -> {
                Path b = project.resolve("target/kernel-bench.txt");
                assertTrue(Files.exists(b), "benchmark wrote nothing\n" + context);
                System.out.println(Files.readString(b));
            }));
        }
        deleteTree(results);
        return tests.stream();
    }

    private static void deleteTree(Path p) throws java.io.IOException {
        try (Stream<Path> s = Files.walk(p)) {
            for (Path x : s.sorted(java.util.Comparator.reverseOrder()).toList()) Files.deleteIfExists(x);
        }
    }
}
