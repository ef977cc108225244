package dev.automesh.mesh;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.automesh.wire.TimedEndpoint;
import java.net.InetSocketAddress;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Damping: what a changed list must hold to be fanned out. */
class ForwardingTest {
    static final String PK = "peer";
    static final long T = 1_800_000_000L;
    static final java.util.function.Function<InetSocketAddress, java.util.Optional<MeshStatus.Source>> NO_SOURCE =
            a -> java.util.Optional.empty();

    private static TimedEndpoint at(String ip, int port, long s) {
        return new TimedEndpoint(new InetSocketAddress(ip, port), s);
    }

    @Test
    void aNewAddressIsNewsAReDatingIsNot() {
        Forwarding f = new Forwarding("own");
        assertTrue(f.forward(PK, List.of(at("198.18.0.1", 20000, T)), NO_SOURCE));
        assertFalse(f.forward(PK, List.of(at("198.18.0.1", 20000, T + 60)), NO_SOURCE), "only the date moved");
        assertTrue(f.forward(PK, List.of(at("198.18.0.1", 20000, T + Forwarding.REFRESH_S + Forwarding.JITTER_S)), NO_SOURCE),
                "much newer: refreshed");
    }

    @Test
    void aRoamToANewPortIsNews() {
        Forwarding f = new Forwarding("own");
        assertTrue(f.forward(PK, List.of(at("198.18.0.1", 20000, T)), NO_SOURCE));
        assertTrue(f.forward(PK, List.of(at("198.18.0.1", 20001, T + 30), at("198.18.0.1", 20000, T)), NO_SOURCE),
                "one new port beside the old one: a roam");
    }

    private static MeshStatus.Source gossip(String from) {
        return new MeshStatus.Source(MeshStatus.SourceKind.GOSSIP, from);
    }

    @Test
    void aThirdPortOfOneAddressFromAThirdSourceIsAMappingPerDestinationAndNotPassedOn() {
        Forwarding f = new Forwarding("own");
        java.util.Map<InetSocketAddress, MeshStatus.Source> from = new java.util.HashMap<>();
        from.put(new InetSocketAddress("198.18.0.1", 20000), gossip("p1"));
        from.put(new InetSocketAddress("198.18.0.1", 20001), gossip("p2"));
        from.put(new InetSocketAddress("198.18.0.1", 20002), gossip("p3"));
        java.util.function.Function<InetSocketAddress, java.util.Optional<MeshStatus.Source>> src =
                a -> java.util.Optional.ofNullable(from.get(a));
        assertTrue(f.forward(PK, List.of(at("198.18.0.1", 20000, T)), src));
        assertTrue(f.forward(PK, List.of(at("198.18.0.1", 20001, T + 10), at("198.18.0.1", 20000, T)), src),
                "a second port: a move, news");
        List<TimedEndpoint> three = List.of(at("198.18.0.1", 20002, T + 20), at("198.18.0.1", 20001, T + 10),
                at("198.18.0.1", 20000, T));
        assertFalse(f.forward(PK, three, src), "three ports from three peers: each peer's own mapping");
        assertEquals(1, f.perDestination());
        // what our own WireGuard sees is always passed on, one hop
        from.put(new InetSocketAddress("198.18.0.1", 20002), new MeshStatus.Source(MeshStatus.SourceKind.WIREGUARD, ""));
        assertTrue(f.forward(PK, three, src));
        // the same three ports all from one peer: its word on a node that moved twice, still news
        Forwarding g = new Forwarding("own");
        assertTrue(g.forward(PK, three, a -> java.util.Optional.of(gossip("p1"))));
    }
}
