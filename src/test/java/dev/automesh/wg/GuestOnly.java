package dev.automesh.wg;

import org.junit.jupiter.api.Assertions;

/** Guard for classes that only make sense inside the QEMU guest (run by KernelWireGuardGuestTest). */
final class GuestOnly {
    private GuestOnly() {}

    static void check() {
        if (!"1".equals(System.getenv("QEMU_GUEST"))) {
            Assertions.fail("this class runs only inside the QEMU guest, through KernelWireGuardGuestTest");
        }
    }
}
