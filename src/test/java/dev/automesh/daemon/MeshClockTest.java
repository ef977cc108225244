package dev.automesh.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.automesh.crypto.WgKey;
import dev.automesh.wg.IpPrefix;
import dev.automesh.wg.WgDevice;
import dev.automesh.wg.WgPeer;
import dev.automesh.wire.Message;
import dev.automesh.wire.TimedEndpoint;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class MeshClockTest {
    static final long WALL0 = 1_800_000_000_000L;
    long wall = WALL0;
    long monoNanos = 5_000_000_000L;
    final MeshClock clock = new MeshClock(() -> wall, () -> monoNanos);

    void pass(long wallMs, long monoMs) {
        wall += wallMs;
        monoNanos += monoMs * 1_000_000;
    }

    @Test
    void startsAtTheWallClockAndRunsWithBoth() {
        assertEquals(WALL0, clock.getAsLong());
        pass(1000, 1000);
        assertEquals(WALL0 + 1000, clock.getAsLong());
        pass(1300, 1000); // NTP slewing and scheduling jitter: no jump
        assertEquals(WALL0 + 2000, clock.getAsLong());
        assertEquals(0, clock.offsetSeconds());
    }

    @Test
    void aBackwardStepOfTheWallClockDoesNotStretchIntervals() {
        clock.getAsLong();
        pass(-3_600_000 + 1000, 1000); // stepped back an hour during one second
        assertEquals(WALL0 + 1000, clock.getAsLong(), "a second passed, as the monotonic clock says");
        pass(1000, 1000);
        assertEquals(WALL0 + 2000, clock.getAsLong());
        assertEquals(3600, clock.offsetSeconds(), "the mesh now runs an hour ahead of the wall clock");
    }

    @Test
    void aSuspendMovesTheMeshForwardWithTheWallClock() {
        clock.getAsLong();
        pass(600_000, 0); // suspended 10 minutes: Linux's monotonic clock stood still
        assertEquals(WALL0 + 600_000, clock.getAsLong(), "what was fresh before the suspend is 10 minutes old now");
        assertEquals(0, clock.offsetSeconds());
        pass(-1000, 500); // never backwards
        assertTrue(clock.getAsLong() >= WALL0 + 600_000);
    }

    @Test
    void wallDatesAreMovedIntoTheMeshsTimeAndBack() {
        WgKey k = WgKey.fromBase64("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=");
        InetSocketAddress ep = new InetSocketAddress("198.51.100.1", 51820);
        WgDevice d = new WgDevice("wg0", Optional.empty(), 51820, List.of(
                new WgPeer(k, Optional.of(ep), 1_800_000_000L, 25, List.of(), 1, 2),
                new WgPeer(k, Optional.of(ep), 0, 25, List.of(), 1, 2)));
        WgDevice m = WallTime.toMesh(d, 3600);
        assertEquals(1_800_003_600L, m.peers().get(0).lastHandshakeEpochSeconds());
        assertEquals(0, m.peers().get(1).lastHandshakeEpochSeconds(), "never handshaked stays never");
        assertEquals(d, WallTime.toMesh(d, 0));

        Message.Announce a = new Message.Announce(k.toBase64(), List.of(new TimedEndpoint(ep, 1_800_000_000L),
                new TimedEndpoint(ep, 0), new TimedEndpoint(ep, -5)));
        Message.Announce in = (Message.Announce) WallTime.shift(a, 3600);
        assertEquals(List.of(1_800_003_600L, 0L, -5L), in.endpoints().stream().map(TimedEndpoint::unixSeconds).toList(),
                "0 and hostile negative dates are left for the table to judge");
        assertEquals(a, WallTime.shift(in, -3600));
        assertEquals(new Message.Ping(), WallTime.shift(new Message.Ping(), 3600));
        Map<String, List<TimedEndpoint>> table = Map.of(k.toBase64(), a.endpoints());
        assertEquals(table, WallTime.shift(WallTime.shift(table, 3600), -3600));
    }
}
