package dev.automesh.mesh;

import static dev.automesh.testsupport.TestValues.key;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.automesh.wg.WgPeer;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** What a sequence of device reads makes of one peer's session, and the doubt it casts. */
class LinkTest {
    static final long T0 = 1_800_000_000_000L;

    private static Link read(Link before, long rx, long tx, long atMillis) {
        return before.read(new WgPeer(key(1), Optional.empty(), T0 / 1000, 30, List.of(), rx, tx), atMillis);
    }

    /**
     * The end of an idle link that sends the keepalives receives nothing between handshakes. Its re-key
     * (the initiation rides out with a keepalive) is answered one round trip later: a read that falls
     * in between is no reason to ping, only one a second later that still saw nothing back. Before, the
     * second was counted from the first lone keepalive, minutes earlier, so every re-key seen before its
     * answer pinged at once, and after a cold start all of a node's peers re-key in the same second.
     */
    @Test
    void aReKeyIsInDoubtOnlyOneSecondAfterItWasSeenNotAfterTheFirstKeepalive() {
        Liveness live = new Liveness();
        Link l = read(Link.NONE, 92, 148, T0);
        for (long s = 30; s <= 90; s += 30) {
            l = read(l, 92, 148 + 32 * (s / 30), T0 + s * 1000); // lone keepalives, nothing back
            assertEquals(Optional.empty(), live.doubt(l, T0 + s * 1000), "a lone keepalive at " + s + " s");
        }
        l = read(l, 92, 148 + 32 * 3 + 148 + 32, T0 + 120_000); // the initiation and a keepalive
        assertEquals(T0 + 120_000, l.dataSinceRxMillis());
        assertEquals(Optional.empty(), live.doubt(l, T0 + 120_000), "its answer is not due yet");
        l = read(l, 92, 148 + 32 * 3 + 148 + 32, T0 + 121_000);
        assertEquals(Optional.of(Doubt.DATA_UNANSWERED), live.doubt(l, T0 + 121_000), "a second later, still nothing back");
        l = read(l, 92 + 92, 148 + 32 * 3 + 148 + 32, T0 + 122_000);
        assertEquals(0, l.dataSinceRxMillis(), "answered");
    }
}
