package dev.automesh.mesh;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.automesh.crypto.WgKey;
import dev.automesh.mesh.MeshStatus.Source;
import dev.automesh.mesh.MeshStatus.SourceKind;
import dev.automesh.wire.Message;
import dev.automesh.wire.TimedEndpoint;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Pacing: no call emits more than its budget, one destination is refilled at its rate, nothing is lost or doubled. */
class OutboxTest {
    static final long T0 = 1_800_000_000_000L;
    static final InetSocketAddress ASKER = new InetSocketAddress("10.9.0.2", 1666);
    static final InetSocketAddress OTHER = new InetSocketAddress("10.9.0.3", 1666);

    private static String key(int i) {
        byte[] b = new byte[32];
        b[0] = (byte) i;
        b[1] = (byte) (i >> 8);
        b[31] = 1;
        return WgKey.of(b).toBase64();
    }

    private final List<String> keys = new ArrayList<>();
    private final GossipTable table;

    OutboxTest() {
        for (int i = 0; i < 1000; i++) keys.add(key(i));
        table = new GossipTable(key(5000), Set.copyOf(keys), Set.of());
        for (int i = 0; i < keys.size(); i++) {
            table.sighting(keys.get(i), new TimedEndpoint(new InetSocketAddress("198.51.100." + (i % 250 + 1), 1000 + i), T0 / 1000),
                    new Source(SourceKind.GOSSIP, ""), T0);
        }
    }

    private static List<Action.Send> sends(Out out) {
        return out.actions().stream().filter(a -> a instanceof Action.Send).map(a -> (Action.Send) a).toList();
    }

    @Test
    void aThousandEntryAnswerGoesOutPacedOnceEach() {
        Outbox box = new Outbox(16);
        for (String k : keys) box.announce(ASKER, k);
        for (String k : keys.subList(0, 10)) box.announce(ASKER, k); // queued twice: sent once
        Set<String> got = new HashSet<>();
        long now = T0;
        int calls = 0;
        while (box.pending()) {
            Out out = new Out();
            box.drain(table, now, out);
            List<Action.Send> s = sends(out);
            assertTrue(s.size() <= Outbox.CALL_BUDGET, "one call emits " + s.size());
            if (calls == 0) assertEquals(Outbox.PEER_BURST, s.size(), "a burst at once");
            for (Action.Send x : s) {
                assertEquals(ASKER, x.to());
                assertTrue(got.add(((Message.Announce) x.message()).pubkey()), "sent twice");
            }
            now += 1000;
            calls++;
            assertTrue(calls < 100);
        }
        assertEquals(1000, got.size());
        // 200 at once, then 200 per second
        assertEquals(5, calls);
    }

    @Test
    void oneBigAnswerDoesNotStarveAnotherDestination() {
        Outbox box = new Outbox(16);
        for (String k : keys) box.announce(ASKER, k);
        box.announce(OTHER, keys.get(7));
        Out out = new Out();
        box.drain(table, T0, out);
        assertTrue(sends(out).stream().anyMatch(x -> x.to().equals(OTHER)));
    }

    @Test
    void destinationsAreBounded() {
        Outbox box = new Outbox(2);
        box.announce(ASKER, keys.get(0));
        box.announce(OTHER, keys.get(0));
        box.announce(new InetSocketAddress("10.9.0.4", 1666), keys.get(0));
        assertEquals(1, box.dropped());
        assertEquals(2, box.size());
        Out out = new Out();
        box.drain(table, T0, out);
        assertEquals(2, sends(out).size());
        assertFalse(box.pending());
    }
}
