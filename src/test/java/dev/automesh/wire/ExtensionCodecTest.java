package dev.automesh.wire;

import static dev.automesh.wire.Vectors.HEX;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.automesh.crypto.GossipCipher;
import dev.automesh.wire.DecodeException.Kind;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class ExtensionCodecTest {
    @Test
    void encodesEveryExtensionVectorByteExact() {
        for (ExtensionVectors.Vector v : ExtensionVectors.ALL) {
            assertEquals(v.plaintext(), HEX.formatHex(WireCodec.encode(v.message(), v.extensions())), v.name());
        }
    }

    @Test
    void decodesEveryExtensionVector() throws DecodeException {
        for (ExtensionVectors.Vector v : ExtensionVectors.ALL) {
            WireCodec.Datagram d = WireCodec.decodeDatagram(v.bytes(), 0, v.bytes().length);
            assertEquals(v.message(), d.message(), v.name());
            assertEquals(Trailer.Status.EXTENSIONS, d.trailer().status(), v.name());
            assertEquals(v.extensions(), d.extensions(), v.name());
        }
    }

    @Test
    void wgautomeshSeesOnlyTheStandardMessage() throws DecodeException {
        // What a wgautomesh node decodes (bincode deserialize, trailing bytes ignored) is the plain message.
        for (ExtensionVectors.Vector v : ExtensionVectors.ALL) {
            assertEquals(v.message(), WireCodec.decode(v.bytes()), v.name());
        }
    }

    @Test
    void theFiveStandardVariantsDecodeAsBeforeWithNoTrailer() throws DecodeException {
        for (Vectors.Vector v : Vectors.MESSAGES) {
            byte[] p = v.plaintextBytes();
            WireCodec.Datagram d = WireCodec.decodeDatagram(p, 0, p.length);
            assertEquals(v.message(), d.message(), v.name());
            assertEquals(Trailer.Status.NONE, d.trailer().status(), v.name());
            assertTrue(d.extensions().isEmpty());
            assertArrayEquals(p, WireCodec.encode(v.message(), List.of()), v.name());
        }
    }

    @Test
    void foreignTrailersAndOtherVersionsAreIgnored() throws DecodeException {
        String[] foreign = {"ee", "eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee", "414d58", "414d5802011300", "414d5800", "414d52010000",
            "616d780101"};
        for (Vectors.Vector v : Vectors.MESSAGES) {
            for (String f : foreign) {
                byte[] b = HEX.parseHex(v.plaintext() + f);
                WireCodec.Datagram d = WireCodec.decodeDatagram(b, 0, b.length);
                assertEquals(v.message(), d.message(), v.name() + " + " + f);
                assertEquals(Trailer.Status.IGNORED, d.trailer().status(), v.name() + " + " + f);
            }
        }
    }

    @Test
    void unknownItemTypesAreSkippedKnownOnesKept() throws DecodeException {
        byte[] b = HEX.parseHex("01000000414d5801" + "7f0300aabbcc" + "130900887766554433221101" + "800000");
        WireCodec.Datagram d = WireCodec.decodeDatagram(b, 0, b.length);
        assertEquals(List.of(ExtensionVectors.CLOSE), d.extensions());
        assertEquals(2, d.trailer().skippedItems());
    }

    @Test
    void malformedTrailersOfOurVersionAreTypedErrors() {
        String pong = "01000000414d5801";
        String[] bad = {
            "13",                                                   // item header cut
            "1309",                                                 // item header cut
            "130900887766",                                         // value cut
            "130a0088776655443322110100",                           // RelayClose one byte long
            "130800887766554433221101",                             // RelayClose one byte short (then junk)
            "140b008877665544332211701700",                         // ProbeDirect one byte long
            "0113000100010000" + "0c" + "6175746f",                 // Capabilities software cut
            "01080001000100006d" + "01ff",                          // software length past the item
            "010800010001006dca01" + "ff",                          // software not UTF-8
            "011300010001006dca0c6175746f6d65736820302e31" + "011300010001006dca0c6175746f6d65736820302e31", // two Capabilities
            "10280008070605040302010000",                           // RelayRequest key cut
            "152900ecd9bba4c9b24bb36db35301fa5a320fcbbce0e0f11cf4e40eefaea9047ac839050000000001000100", // PunchReport family 5
            "152700ecd9bba4c9b24bb36db35301fa5a320fcbbce0e0f11cf4e40eefaea9047ac83904010101010100",     // PunchReport IPv4 cut
            "162900ecd9bba4c9b24bb36db35301fa5a320fcbbce0e0f11cf4e40eefaea9047ac83906cb0071076ccab80b", // PunchNotice IPv6 cut
            "1510000000000000000000000000000000000000",             // PunchReport key cut
        };
        for (String t : bad) {
            byte[] b = HEX.parseHex(pong + t);
            DecodeException e = assertThrows(DecodeException.class, () -> WireCodec.decodeDatagram(b, 0, b.length), t);
            assertTrue(e.kind() == Kind.BAD_EXTENSION || e.kind() == Kind.TRUNCATED || e.kind() == Kind.BAD_UTF8,
                    t + ": " + e.kind());
            assertFalse(e.getMessage().isBlank());
        }
        // More than MAX_ITEMS items, even unknown ones.
        byte[] many = HEX.parseHex(pong + "7f0000".repeat(Trailer.MAX_ITEMS + 1));
        assertEquals(Kind.BAD_EXTENSION,
                assertThrows(DecodeException.class, () -> WireCodec.decodeDatagram(many, 0, many.length)).kind());
    }

    @Test
    void everyTruncationOfAnExtensionVectorIsTheMessageAloneOrATypedError() {
        for (ExtensionVectors.Vector v : ExtensionVectors.ALL) {
            byte[] p = v.bytes();
            for (int len = 0; len < p.length; len++) {
                try {
                    WireCodec.Datagram d = WireCodec.decodeDatagram(p, 0, len);
                    if (d.trailer().status() == Trailer.Status.EXTENSIONS) {
                        // Only a cut between two items decodes: to the items before the cut.
                        List<Extension> got = d.extensions();
                        assertTrue(!got.isEmpty() && got.size() < v.extensions().size()
                                && got.equals(v.extensions().subList(0, got.size())), v.name() + " cut to " + len + ": " + d);
                    } else {
                        // Cut inside the magic: a foreign trailer; right after the message: none.
                        assertTrue(len < 8, v.name() + " cut to " + len + " decoded " + d);
                    }
                } catch (DecodeException expected) {
                    // typed
                }
            }
        }
    }

    @Test
    void randomMutationsEndInADatagramOrATypedError() {
        Random rnd = new Random(0xE17);
        for (int round = 0; round < 5000; round++) {
            for (ExtensionVectors.Vector v : ExtensionVectors.ALL) {
                byte[] m = WireCodecMutationTest.mutate(v.bytes(), rnd);
                try {
                    WireCodec.decodeDatagram(m, 0, m.length);
                } catch (DecodeException expected) {
                    // the only allowed failure
                } catch (Throwable t) {
                    fail(v.name() + ": " + t + " for " + HEX.formatHex(m), t);
                }
            }
        }
    }

    @Test
    void sealedVectorOpensAndSharesThePingKeystream() {
        GossipCipher c = GossipCipher.fromSecret(Vectors.SECRET);
        byte[] plain = ExtensionVectors.ALL.get(0).bytes();
        byte[] sealed = c.seal(plain, HEX.parseHex(Vectors.NONCE));
        assertEquals(ExtensionVectors.SEALED_PING_CAPS, HEX.formatHex(sealed));
        assertArrayEquals(plain, c.open(sealed, 0, sealed.length).orElseThrow());
        // Same key and nonce as the wgautomesh Ping vector: the first 4 ciphertext bytes are its ciphertext.
        byte[] ping = Vectors.vector("Ping").packetBytes();
        assertArrayEquals(Arrays.copyOfRange(ping, 40, 44), Arrays.copyOfRange(sealed, 40, 44));
        assertTrue(sealed.length <= WireCodec.MAX_DATAGRAM);
    }

    @Test
    void largestPlausibleTrailerFitsWgautomeshsBuffer() {
        // Capabilities with the longest label and MAX_ITEMS - 1 RelayReady items, on a Pong.
        List<Extension> items = new ArrayList<>();
        items.add(new Extension.Capabilities(1, 1, 65535, "x".repeat(Extension.Capabilities.MAX_SOFTWARE)));
        for (int i = 1; i < Trailer.MAX_ITEMS; i++) items.add(ExtensionVectors.READY);
        byte[] p = WireCodec.encode(new Message.Pong(), items);
        assertTrue(p.length + GossipCipher.OVERHEAD <= WireCodec.MAX_DATAGRAM, p.length + " bytes");
    }

    @Test
    void valuesOutOfRangeAreRefusedWhenBuilt() {
        assertThrows(IllegalArgumentException.class, () -> new Extension.RelayRequest(1, "not a key"));
        assertThrows(IllegalArgumentException.class, () -> new Extension.RelayRequest(1,
                "7Nm7pMmyS7Nts1MB+loyD8u84ODxHPTkDu+uqQR6yDl=")); // not canonical (non-zero padding bits)
        assertThrows(IllegalArgumentException.class, () -> new Extension.RelayReady(1, 2, ExtensionVectors.PEER, 70000, 60));
        assertThrows(IllegalArgumentException.class, () -> new Extension.RelayClose(1, 256));
        assertThrows(IllegalArgumentException.class, () -> new Extension.Capabilities(1, 0, 1, "y".repeat(65)));
        assertThrows(IllegalArgumentException.class, () -> Trailer.encode(List.of()));
        assertThrows(IllegalArgumentException.class, () -> new Extension.PunchReport(ExtensionVectors.PEER,
                new java.net.InetSocketAddress("203.0.113.7", 51820), 70000));
        assertThrows(IllegalArgumentException.class, () -> new Extension.PunchNotice(ExtensionVectors.PEER,
                java.net.InetSocketAddress.createUnresolved("example.org", 51820), 1));
        assertThrows(IllegalArgumentException.class, () -> new Extension.PunchReport(ExtensionVectors.PEER,
                new java.net.InetSocketAddress("203.0.113.7", 0), 1));
    }

    @Test
    void relayFrameVector() {
        byte[] f = RelayFrame.encode(ExtensionVectors.SESSION_ID, HEX.parseHex(ExtensionVectors.FRAME_PAYLOAD));
        assertEquals(ExtensionVectors.FRAME, HEX.formatHex(f));
        assertTrue(RelayFrame.valid(f, 0, f.length));
        assertEquals(ExtensionVectors.SESSION_ID, RelayFrame.session(f, 0));
        assertFalse(RelayFrame.valid(f, 0, RelayFrame.HEADER), "a frame without payload");
        for (int i = 0; i < 4; i++) {
            byte[] g = f.clone();
            g[i] ^= 1;
            assertFalse(RelayFrame.valid(g, 0, g.length), "magic/version byte " + i);
        }
    }
}
