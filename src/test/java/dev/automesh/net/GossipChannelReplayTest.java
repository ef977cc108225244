package dev.automesh.net;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.automesh.crypto.GossipCipher;
import dev.automesh.crypto.ReplayGuard;
import dev.automesh.wire.Message;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** A replayed sealed datagram never reaches the mesh; only authentic nonces are remembered, and boundedly. */
class GossipChannelReplayTest {
    final GossipCipher cipher = GossipCipher.fromSecret("s3cret");
    final GossipChannel channel = GossipChannel.detached(cipher);

    @Test
    void aReplayedLanBroadcastIsDroppedAndCounted() {
        Message b = new Message.LanBroadcast("fIOKkZifpq20u8LJ0Nfe5ezz+gEIDxYdJCsyOUBHTlU=", 51820);
        byte[] captured = channel.wrap(b);
        assertEquals(Optional.of(b), channel.decode(captured, 0));
        for (int i = 1; i <= 100; i++) assertTrue(channel.decode(captured.clone(), i * 1_000_000_000L).isEmpty());
        assertEquals(100, channel.counters().snapshot().droppedReplayed());
        // the same message sealed afresh (a new nonce) is the sender speaking again
        assertEquals(Optional.of(b), channel.decode(channel.wrap(b), 200_000_000_000L));
    }

    @Test
    void forgedDatagramsAreNotRememberedSoTheyCannotCrowdOutRealNonces() {
        byte[] real = channel.wrap(new Message.Pong());
        byte[] forged = real.clone();
        forged[forged.length - 1] ^= 1; // same nonce, bad tag
        for (int i = 0; i < 10; i++) assertTrue(channel.decode(forged, i).isEmpty());
        assertEquals(10, channel.counters().snapshot().droppedUndecryptable());
        assertEquals(0, channel.counters().snapshot().droppedReplayed());
        assertEquals(Optional.of(new Message.Pong()), channel.decode(real, 20), "the real one still gets through once");
    }

    @Test
    void theCacheIsBoundedInSizeAndTime() {
        ReplayGuard g = new ReplayGuard();
        byte[] first = cipher.seal(new byte[0]);
        assertTrue(g.firstSeen(first, 0, 0));
        assertTrue(!g.firstSeen(first, 0, ReplayGuard.WINDOW_NANOS - 1), "within the window: a replay");
        assertTrue(g.firstSeen(first, 0, ReplayGuard.WINDOW_NANOS), "after it: forgotten");
        for (int i = 0; i < 3 * ReplayGuard.CAPACITY; i++) g.firstSeen(cipher.seal(new byte[0]), 0, ReplayGuard.WINDOW_NANOS + i);
        assertEquals(ReplayGuard.CAPACITY, g.size());
    }
}
