package dev.automesh.mesh;

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

    private static TimedEndpoint at(String ip, int port, long s) {
        return new TimedEndpoint(new InetSocketAddress(ip, port), s);
    }

    @Test
    void aNewAddressIsNewsAReDatingIsNot() {
        Forwarding f = new Forwarding("own");
        assertTrue(f.forward(PK, List.of(at("198.18.0.1", 20000, T))));
        assertFalse(f.forward(PK, List.of(at("198.18.0.1", 20000, T + 60))), "only the date moved");
        assertTrue(f.forward(PK, List.of(at("198.18.0.1", 20000, T + Forwarding.REFRESH_S + Forwarding.JITTER_S))),
                "much newer: refreshed");
    }

    @Test
    void aRoamToANewPortIsNews() {
        Forwarding f = new Forwarding("own");
        assertTrue(f.forward(PK, List.of(at("198.18.0.1", 20000, T))));
        assertTrue(f.forward(PK, List.of(at("198.18.0.1", 20001, T + 30), at("198.18.0.1", 20000, T))),
                "one new port beside the old one: a roam");
    }
}
