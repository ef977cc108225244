package dev.automesh.wg;

import static dev.automesh.testsupport.TestValues.ip;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.automesh.crypto.WgKey;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The UAPI text codec on transcripts (the real-daemon side is in UserspaceWireGuardTest). */
class UapiTest {
    // RFC 7748 section 6.1 test vector: Alice's private key and its X25519 public key.
    static final String ALICE_PRIV = "77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a";
    static final String ALICE_PUB = "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a";
    static final String PEER1 = "58a1e0c7a4b4e0d7fbc76fe9a9bfd4b7ce27a1b47a7c8fe9b5a73e2d1bb4d6f0";
    static final String PEER2 = "0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20";

    @Test
    void parsesAFullReplyIgnoringUnknownKeys() throws Exception {
        String reply = "private_key=" + ALICE_PRIV + "\nlisten_port=51820\nfwmark=0\nsome_future_key=x\n"
                + "public_key=" + PEER1 + "\npreshared_key=" + "00".repeat(32) + "\nprotocol_version=1\n"
                + "endpoint=198.51.100.10:51820\nlast_handshake_time_sec=1700000000\nlast_handshake_time_nsec=5\n"
                + "tx_bytes=18446744073709551615\nrx_bytes=92\npersistent_keepalive_interval=25\n"
                + "allowed_ip=10.99.0.1/32\nallowed_ip=fd00::/64\n"
                + "public_key=" + PEER2 + "\nendpoint=[2001:db8::1]:4500\nlast_handshake_time_sec=0\n"
                + "persistent_keepalive_interval=0\nerrno=0\n\n";
        Uapi.GetReply r = Uapi.parseGet("wg0", reply);
        assertEquals(0, r.errno());
        WgDevice d = r.device();
        assertEquals("wg0", d.name());
        assertEquals(Optional.of(WgKey.fromHex(ALICE_PUB)), d.publicKey(), "derived from private_key");
        assertEquals(51820, d.listenPort());
        assertEquals(2, d.peers().size());
        WgPeer p1 = d.peers().get(0);
        assertEquals(WgKey.fromHex(PEER1), p1.publicKey());
        assertEquals(Optional.of(new InetSocketAddress(ip("198.51.100.10"), 51820)), p1.endpoint());
        assertEquals(1700000000L, p1.lastHandshakeEpochSeconds());
        assertEquals(-1L, p1.txBytes(), "u64 max kept as unsigned bits");
        assertEquals(92, p1.rxBytes());
        assertEquals(25, p1.persistentKeepalive());
        assertEquals(List.of(new IpPrefix(ip("10.99.0.1"), 32), new IpPrefix(ip("fd00::"), 64)), p1.allowedIps());
        WgPeer p2 = d.peers().get(1);
        assertEquals(Optional.of(new InetSocketAddress(ip("2001:db8::1"), 4500)), p2.endpoint());
        assertEquals(List.of(), p2.allowedIps());
    }

    @Test
    void emptyDeviceAndNoKey() throws Exception {
        WgDevice d = Uapi.parseGet("wg1", "errno=0\n\n").device();
        assertEquals(new WgDevice("wg1", Optional.empty(), 0, List.of()), d);
        WgDevice z = Uapi.parseGet("wg1", "private_key=" + "00".repeat(32) + "\nerrno=0\n\n").device();
        assertEquals(Optional.empty(), z.publicKey(), "all-zero private key means none");
    }

    @Test
    void errnoReplyHasNoDevice() throws Exception {
        Uapi.GetReply r = Uapi.parseGet("wg0", "errno=-5\n\n");
        assertEquals(-5, r.errno());
        assertNull(r.device());
    }

    @Test
    void malformedRepliesAreProtocolErrorsWithTheLine() {
        String[] bad = {
            "listen_port=51820\n\n", // no errno
            "listen_port=99999\nerrno=0\n\n",
            "listen_port=abc\nerrno=0\n\n",
            "endpoint=1.2.3.4:5\nerrno=0\n\n", // peer key before public_key
            "public_key=zz\nerrno=0\n\n",
            "public_key=" + PEER1 + "\nendpoint=2001:db8::1:4500\nerrno=0\n\n", // v6 without brackets
            "public_key=" + PEER1 + "\nendpoint=example.com:51820\nerrno=0\n\n", // names are never resolved
            "public_key=" + PEER1 + "\nendpoint=1.2.3:51820\nerrno=0\n\n",
            "public_key=" + PEER1 + "\nendpoint=1.2.3.4.5:51820\nerrno=0\n\n",
            "public_key=" + PEER1 + "\nendpoint=1.2.3.256:51820\nerrno=0\n\n",
            "public_key=" + PEER1 + "\nendpoint=1.2.3.4:\nerrno=0\n\n",
            "public_key=" + PEER1 + "\nendpoint=1.2.3.4:+80\nerrno=0\n\n",
            "public_key=" + PEER1 + "\nallowed_ip=10.0.0.1/33\nerrno=0\n\n",
            "public_key=" + PEER1 + "\nallowed_ip=10.0.0.1\nerrno=0\n\n",
            "public_key=" + PEER1 + "\nrx_bytes=-1\nerrno=0\n\n",
            "public_key=" + PEER1 + "\nlast_handshake_time_sec=-3\nerrno=0\n\n",
            "public_key=" + PEER1 + "\npublic_key=" + PEER1 + "\nerrno=0\n\n", // listed twice
            "garbage\nerrno=0\n\n",
            "errno=0\nlisten_port=1\n\n",
            "errno=0\n\nlisten_port=1\n\n",
            "errno=0", // unterminated
        };
        for (String b : bad) {
            Uapi.ProtocolException e = assertThrows(Uapi.ProtocolException.class, () -> Uapi.parseGet("wg0", b),
                    "should reject " + Uapi.quote(b));
            assertFalse(e.getMessage().isBlank());
            assertFalse(e.getMessage().contains("\n"), "one line: " + e.getMessage());
        }
    }

    @Test
    void privateKeyNeverAppearsInErrors() {
        String secret = ALICE_PRIV.substring(0, 62) + "zz";
        Uapi.ProtocolException e = assertThrows(Uapi.ProtocolException.class,
                () -> Uapi.parseGet("wg0", "private_key=" + secret + "\nerrno=0\n\n"));
        assertFalse(e.getMessage().contains(ALICE_PRIV.substring(0, 16)), e.getMessage());
        assertTrue(e.getMessage().contains("private_key=<redacted>"), e.getMessage());
    }

    @Test
    void encodesOneSetTransaction() throws Exception {
        WgKey a = WgKey.fromHex(PEER1), b = WgKey.fromHex(PEER2);
        String s = Uapi.encodeSet(List.of(
                PeerUpdate.of(a).endpoint(new InetSocketAddress(ip("2001:db8::7"), 51820)).keepalive(25)
                        .allowedIps(List.of(new IpPrefix(ip("10.0.0.1"), 32), new IpPrefix(ip("fd00::1"), 128))).build(),
                PeerUpdate.of(b).allowedIps(List.of()).build()));
        assertEquals("set=1\n"
                + "public_key=" + PEER1 + "\nendpoint=[2001:db8:0:0:0:0:0:7]:51820\npersistent_keepalive_interval=25\n"
                + "replace_allowed_ips=true\nallowed_ip=10.0.0.1/32\nallowed_ip=fd00:0:0:0:0:0:0:1/128\n"
                + "public_key=" + PEER2 + "\nreplace_allowed_ips=true\n"
                + "\n", s);
    }

    @Test
    void batchSplitsIntoOrderedRunsThatSetTheSameFields() throws Exception {
        WgKey a = WgKey.fromHex(PEER1), b = WgKey.fromHex(PEER2);
        InetSocketAddress e = new InetSocketAddress(ip("192.0.2.1"), 1);
        PeerUpdate ae = PeerUpdate.of(a).endpoint(e).build(), be = PeerUpdate.of(b).endpoint(e).build();
        PeerUpdate bare = PeerUpdate.of(b).build(), ka = PeerUpdate.of(a).keepalive(5).build();
        assertEquals(List.of(List.of(ae, be)), Uapi.runs(List.of(ae, be)));
        assertEquals(List.of(List.of(ka), List.of(ae), List.of(bare)), Uapi.runs(List.of(ka, ae, bare)));
        assertEquals(List.of(List.of(ae), List.of(ka), List.of(ae)), Uapi.runs(List.of(ae, ka, ae)));
        assertEquals(List.of(), Uapi.runs(List.of()));
    }

    @Test
    void freshUpdatesAreARemovalTransactionThenAFullSet() throws Exception {
        WgKey a = WgKey.fromHex(PEER1), b = WgKey.fromHex(PEER2);
        PeerUpdate fa = PeerUpdate.of(a).fresh().endpoint(new InetSocketAddress(ip("192.0.2.9"), 51820)).keepalive(25)
                .allowedIps(List.of(new IpPrefix(ip("10.0.0.1"), 32))).build();
        PeerUpdate fb = PeerUpdate.of(b).fresh().endpoint(new InetSocketAddress(ip("127.0.0.1"), 40001)).keepalive(0)
                .allowedIps(List.of(new IpPrefix(ip("10.0.0.2"), 32), new IpPrefix(ip("fd00::2"), 128))).build();
        assertEquals(List.of(List.of(fa, fb)), Uapi.runs(List.of(fa, fb)));
        assertEquals("set=1\n"
                + "public_key=" + PEER1 + "\nremove=true\n"
                + "public_key=" + PEER2 + "\nremove=true\n"
                + "\n", Uapi.encodeRemovals(List.of(fa, fb)));
        assertEquals("set=1\n"
                + "public_key=" + PEER1 + "\nendpoint=192.0.2.9:51820\npersistent_keepalive_interval=25\n"
                + "replace_allowed_ips=true\nallowed_ip=10.0.0.1/32\n"
                + "public_key=" + PEER2 + "\nendpoint=127.0.0.1:40001\npersistent_keepalive_interval=0\n"
                + "replace_allowed_ips=true\nallowed_ip=10.0.0.2/32\nallowed_ip=fd00:0:0:0:0:0:0:2/128\n"
                + "\n", Uapi.encodeSet(List.of(fa, fb)));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Uapi.encodeRemovals(List.of(PeerUpdate.of(a).keepalive(1).allowedIps(List.of()).build())));
        assertTrue(e.getMessage().contains("not a fresh update"), e.getMessage());
    }

    @Test
    void freshUpdatesRunApartFromPlainOnesThatSetTheSameFields() throws Exception {
        WgKey a = WgKey.fromHex(PEER1), b = WgKey.fromHex(PEER2);
        InetSocketAddress e = new InetSocketAddress(ip("192.0.2.1"), 1);
        PeerUpdate plainA = PeerUpdate.of(a).endpoint(e).keepalive(0).allowedIps(List.of()).build();
        PeerUpdate freshB = PeerUpdate.of(b).endpoint(e).keepalive(0).allowedIps(List.of()).fresh().build();
        PeerUpdate freshBNoEndpoint = PeerUpdate.of(b).keepalive(0).allowedIps(List.of()).fresh().build();
        assertEquals(List.of(List.of(plainA), List.of(freshB), List.of(plainA)),
                Uapi.runs(List.of(plainA, freshB, plainA)));
        assertEquals(List.of(List.of(freshB), List.of(freshBNoEndpoint)), Uapi.runs(List.of(freshB, freshBNoEndpoint)),
                "within fresh runs too, every section sets the same fields");
    }

    @Test
    void boringtunReportsItsPublicKeyDirectly() throws Exception {
        WgDevice d = Uapi.parseGet("bt0", "own_public_key=" + ALICE_PUB + "\nlisten_port=1\n"
                + "public_key=" + PEER1 + "\npersistent_keepalive_interval=5\nendpoint=[::1]:7\nrx_bytes=1\n"
                + "tx_bytes=2\nerrno=0\n\n").device();
        assertEquals(Optional.of(WgKey.fromHex(ALICE_PUB)), d.publicKey());
        assertEquals(1, d.peers().size());
        assertEquals(5, d.peers().get(0).persistentKeepalive());
    }

    @Test
    void setReplies() throws Exception {
        assertEquals(0, Uapi.parseSet("errno=0\n\n"));
        assertEquals(-22, Uapi.parseSet("errno=-22\n\n"));
        for (String bad : new String[] {"", "errno=\n\n", "errno=0\n", "listen_port=1\nerrno=0\n\n", "errno=x\n\n"}) {
            assertThrows(Uapi.ProtocolException.class, () -> Uapi.parseSet(bad), Uapi.quote(bad));
        }
    }
}
