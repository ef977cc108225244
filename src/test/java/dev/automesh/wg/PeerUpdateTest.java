package dev.automesh.wg;

import static dev.automesh.testsupport.TestValues.ip;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.automesh.crypto.WgKey;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class PeerUpdateTest {
    private static final WgKey K = WgKey.fromHex("0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20");
    private static final List<IpPrefix> IPS = List.of(new IpPrefix(ip("10.0.0.1"), 32));

    @Test
    void theFourFieldFormIsAnInPlaceChange() {
        PeerUpdate u = new PeerUpdate(K, Optional.empty(), Optional.of(5), Optional.empty());
        assertFalse(u.fresh());
        assertEquals(PeerUpdate.of(K).keepalive(5).build(), u);
        assertFalse(PeerUpdate.of(K).build().fresh());
    }

    @Test
    void aFreshUpdateCarriesAllowedIpsAndKeepaliveAndMayLackTheEndpoint() {
        PeerUpdate f = PeerUpdate.of(K).fresh().keepalive(0).allowedIps(IPS).build();
        assertTrue(f.fresh());
        assertEquals(Optional.empty(), f.endpoint());
        InetSocketAddress e = new InetSocketAddress(ip("192.0.2.1"), 51820);
        PeerUpdate plain = PeerUpdate.of(K).endpoint(e).keepalive(25).allowedIps(IPS).build();
        PeerUpdate asFresh = plain.asFresh();
        assertEquals(new PeerUpdate(K, Optional.of(e), Optional.of(25), Optional.of(IPS), true), asFresh);
        assertEquals(asFresh, asFresh.asFresh());
        assertFalse(plain.equals(asFresh), "fresh is part of the value");
    }

    @Test
    void aFreshUpdateWithoutAllowedIpsOrKeepaliveIsRejectedSayingWhatIsMissing() {
        IllegalArgumentException noIps = assertThrows(IllegalArgumentException.class,
                () -> PeerUpdate.of(K).fresh().keepalive(25).build());
        assertTrue(noIps.getMessage().contains("lacks its allowed IPs"), noIps.getMessage());
        assertTrue(noIps.getMessage().contains(K.toString()), "names the peer: " + noIps.getMessage());
        IllegalArgumentException noKa = assertThrows(IllegalArgumentException.class,
                () -> PeerUpdate.of(K).allowedIps(IPS).build().asFresh());
        assertTrue(noKa.getMessage().contains("lacks its keepalive"), noKa.getMessage());
    }
}
