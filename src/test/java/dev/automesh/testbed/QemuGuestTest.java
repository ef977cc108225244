package dev.automesh.testbed;

import static org.junit.jupiter.api.Assertions.*;

import dev.automesh.testsupport.Facility;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The guest runner itself: one trivial boot that proves the mounts, the console and the exit status. */
class QemuGuestTest {
    @Test
    void runsACommandOnTheHostTreeAndReportsItsExitStatus() throws Exception {
        Facility.requireCommands("qemu-system-x86_64", "cpio", "xz", "zstd");
        Facility.require(QemuGuest.findKernel().isPresent(), "needs /boot/vmlinuz-6.12*-amd64 (linux-image-6.12-amd64)");
        QemuGuest g = QemuGuest.prepare(Path.of("target/qemu"));
        String marker = "guest-" + System.nanoTime();
        QemuGuest.Result r = g.run(Path.of("."), """
                set -e
                uname -r
                test -f pom.xml                      # project dir is the cwd
                echo %s > target/qemu-guest-marker    # written through the read-write project share
                echo scratch > /etc/automesh-guest-scratch   # overlay: writable, never reaches the host
                modprobe wireguard && ip link add wgt0 type wireguard && ip link show wgt0 >/dev/null
                echo ok
                exit 7
                """.formatted(marker), Duration.ofSeconds(60));
        System.out.println("guest wall " + r.wall().toMillis() + " ms\n" + r.output());
        assertEquals(7, r.exit(), () -> "guest output:\n" + r.output() + "\nkernel log:\n" + r.kernelLog());
        assertTrue(r.output().contains("6.12"), r.output());
        assertTrue(r.output().contains("ok\n"), "console must be raw (no \\r\\n): " + r.output());
        assertEquals(marker, java.nio.file.Files.readString(Path.of("target/qemu-guest-marker")).trim());
        assertFalse(java.nio.file.Files.exists(Path.of("/etc/automesh-guest-scratch")), "guest write leaked to the host");
    }
}
