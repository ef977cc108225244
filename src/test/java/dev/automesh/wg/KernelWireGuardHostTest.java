package dev.automesh.wg;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * On the host itself. This machine's kernel has no WireGuard module, so opening the kernel backend
 * is a real test of the NO_WIREGUARD path (CTRL_CMD_GETFAMILY answers ENOENT). On a host that does
 * have WireGuard, the same test checks the other branch: the family resolves.
 */
class KernelWireGuardHostTest {
    @Test
    void familyLookupMatchesWhetherTheKernelHasWireGuard() throws Exception {
        try (KernelWireGuard wg = KernelWireGuard.open("amnowg0")) {
            assertTrue(Files.exists(Path.of("/sys/module/wireguard")),
                    "the wireguard family resolved, so the module must be loaded");
            assertEquals(WireGuardException.Reason.NO_SUCH_DEVICE, assertThrows(WireGuardException.class, wg::read).reason());
        } catch (WireGuardException e) {
            assertEquals(WireGuardException.Reason.NO_WIREGUARD, e.reason(), e.getMessage());
            assertFalse(Files.exists(Path.of("/sys/module/wireguard")), "module loaded but family missing?");
            assertTrue(e.getMessage().contains("this kernel lacks WireGuard") && e.getMessage().contains("modprobe wireguard")
                    && e.getMessage().contains("wireguard_backend = \"userspace\""), e.getMessage());
            assertFalse(e.getMessage().contains("\n"));
        }
    }

    @Test
    void badInterfaceNameIsInvalidBeforeAnySyscall() {
        WireGuardException e = assertThrows(WireGuardException.class, () -> KernelWireGuard.open("much-too-long-name0"));
        assertEquals(WireGuardException.Reason.INVALID, e.reason());
    }
}
