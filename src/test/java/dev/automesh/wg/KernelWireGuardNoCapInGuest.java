package dev.automesh.wg;

import static org.junit.jupiter.api.Assertions.*;

import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Runs in the guest in a JVM without CAP_NET_ADMIN (setpriv --bounding-set=-net_admin), on an
 * interface that the guest script created before with full capabilities.
 */
class KernelWireGuardNoCapInGuest {
    static final String IFACE = "amperm0";

    @BeforeAll
    static void onlyInGuest() {
        GuestOnly.check();
    }

    @Test
    void withoutCapNetAdminReadAndApplyAreNotPermitted() throws Exception {
        try (WireGuard wg = KernelWireGuard.open(IFACE)) { // family lookup needs no capability
            WireGuardException e = assertThrows(WireGuardException.class, wg::read);
            assertEquals(WireGuardException.Reason.NOT_PERMITTED, e.reason(), e.getMessage());
            assertTrue(e.getMessage().contains("CAP_NET_ADMIN") && e.getMessage().contains(IFACE), e.getMessage());
            WireGuardException e2 = assertThrows(WireGuardException.class, () -> wg.apply(List.of(
                    PeerUpdate.of(dev.automesh.crypto.WgKey.of(new byte[32])).keepalive(5).build())));
            assertEquals(WireGuardException.Reason.NOT_PERMITTED, e2.reason(), e2.getMessage());
        }
    }
}
