package dev.automesh.wire;

import static dev.automesh.wire.Vectors.HEX;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.automesh.wire.DecodeException.Kind;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class WireCodecTest {
    private static final String PK_HEX = "2c00000000000000" + HEX.formatHex(Vectors.PUBKEY.getBytes());

    @Test
    void decodesEveryVector() throws DecodeException {
        for (Vectors.Vector v : Vectors.MESSAGES) {
            assertEquals(v.message(), WireCodec.decode(v.plaintextBytes()), v.name());
        }
    }

    @Test
    void encodesEveryVectorByteExact() {
        for (Vectors.Vector v : Vectors.MESSAGES) {
            assertEquals(v.plaintext(), HEX.formatHex(WireCodec.encode(v.message())), v.name());
        }
    }

    @Test
    void decodedAddressesAreTheRightFamilies() throws DecodeException {
        Message.Announce a = (Message.Announce) WireCodec.decode(Vectors.vector("Announce").plaintextBytes());
        assertInstanceOf(Inet4Address.class, a.endpoints().get(0).address().getAddress());
        assertInstanceOf(Inet6Address.class, a.endpoints().get(1).address().getAddress());
        assertEquals(new InetSocketAddress("2001:db8::1", 51820), a.endpoints().get(1).address());
        assertEquals(1700000001L, a.endpoints().get(1).unixSeconds());
    }

    @Test
    void toleratesTrailingBytesLikeWgautomesh() throws DecodeException {
        for (Vectors.Vector v : Vectors.MESSAGES) {
            byte[] p = v.plaintextBytes();
            byte[] longer = Arrays.copyOf(p, p.length + 17);
            Arrays.fill(longer, p.length, longer.length, (byte) 0xEE);
            assertEquals(v.message(), WireCodec.decode(longer), v.name());
        }
    }

    @Test
    void decodesAtAnOffset() throws DecodeException {
        byte[] p = Vectors.vector("LanBroadcast").plaintextBytes();
        byte[] buf = new byte[p.length + 10];
        System.arraycopy(p, 0, buf, 5, p.length);
        assertEquals(Vectors.vector("LanBroadcast").message(), WireCodec.decode(buf, 5, p.length));
        // A region that stops one byte short must not read the byte after it.
        assertEquals(Kind.TRUNCATED, assertThrows(DecodeException.class, () -> WireCodec.decode(buf, 5, p.length - 1)).kind());
    }

    @Test
    void rejectsUnknownVariants() {
        for (String v : new String[] {"05000000", "ffffffff", "00000080", "04000001"}) {
            DecodeException e = assertThrows(DecodeException.class, () -> WireCodec.decode(HEX.parseHex(v + "00")));
            assertEquals(Kind.UNKNOWN_VARIANT, e.kind(), v);
        }
    }

    @Test
    void rejectsInvalidUtf8() {
        // lone continuation, truncated sequence, overlong '/', encoded surrogate (CESU), above U+10FFFF
        for (String bad : new String[] {"80", "c328", "c0af", "eda080", "f4908080", "ff"}) {
            int n = bad.length() / 2;
            byte[] msg = HEX.parseHex("04000000" + String.format("%02x00000000000000", n) + bad + "6cca");
            DecodeException e = assertThrows(DecodeException.class, () -> WireCodec.decode(msg), bad);
            assertEquals(Kind.BAD_UTF8, e.kind(), bad);
        }
    }

    @Test
    void acceptsValidMultiByteUtf8() throws DecodeException {
        String s = "é€😀";
        byte[] utf8 = s.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        byte[] msg = HEX.parseHex("04000000" + String.format("%02x00000000000000", utf8.length) + HEX.formatHex(utf8) + "0100");
        assertEquals(new Message.LanBroadcast(s, 1), WireCodec.decode(msg));
    }

    @Test
    void rejectsSocketAddrVariantsOtherThanV4AndV6() {
        for (String variant : new String[] {"02000000", "ffffffff"}) {
            byte[] msg = HEX.parseHex("02000000" + PK_HEX + "0100000000000000" + variant + "7f0000016cca" + "0000000000000000"
                    + "00".repeat(16));
            DecodeException e = assertThrows(DecodeException.class, () -> WireCodec.decode(msg));
            assertEquals(Kind.BAD_ADDRESS, e.kind(), variant);
        }
    }

    @Test
    void hostileLengthsAreRejectedWithoutAllocating() {
        String[] hostile = {
            "02000000" + "0000000000000080",                         // pubkey length 2^63
            "02000000" + "ffffffffffffffff",                         // pubkey length 2^64-1
            "02000000" + "ffffff7f00000000" + "00".repeat(64),       // 2 GiB string in a tiny datagram
            "02000000" + PK_HEX + "0000000000000080",                // endpoint count 2^63
            "02000000" + PK_HEX + "ffffffffffffffff",                // endpoint count 2^64-1
            "02000000" + PK_HEX + "ffffff7f00000000" + "00".repeat(200), // 2^31-1 endpoints
            "02000000" + PK_HEX + "0200000000000000" + "00".repeat(35),  // 2 endpoints need >= 36 bytes
            "04000000" + "0000000001000000" + "00".repeat(40),       // 2^32-byte string
        };
        com.sun.management.ThreadMXBean mx =
                (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
        // Once first, unmeasured: loading and initialising the decoder's classes allocates too.
        for (String h : hostile) assertThrows(DecodeException.class, () -> WireCodec.decode(HEX.parseHex(h)));
        for (String h : hostile) {
            byte[] msg = HEX.parseHex(h);
            long before = mx.getCurrentThreadAllocatedBytes();
            DecodeException e = assertThrows(DecodeException.class, () -> WireCodec.decode(msg), h);
            long allocated = mx.getCurrentThreadAllocatedBytes() - before;
            assertEquals(Kind.BAD_LENGTH, e.kind(), h + ": " + e.getMessage());
            // The exception, its message and the assertion lambda cost a few KiB; a trusted length would cost GiB.
            assertTrue(allocated < 256 * 1024, h + " allocated " + allocated + " bytes");
        }
    }

    @Test
    void errorsNameTheFieldAndOffset() {
        byte[] msg = HEX.parseHex("02000000" + PK_HEX + "0100000000000000" + "07000000" + "00".repeat(14));
        DecodeException e = assertThrows(DecodeException.class, () -> WireCodec.decode(msg));
        assertEquals("Announce.endpoints[0].address: SocketAddr variant 7 at byte 64 is neither 0 (V4) nor 1 (V6)",
                e.getMessage());
    }

    @Test
    void ipv4MappedIpv6StaysIpv6() throws Exception {
        byte[] mapped = new byte[16];
        mapped[10] = (byte) 0xff;
        mapped[11] = (byte) 0xff;
        mapped[12] = 10;
        mapped[15] = 7;
        InetSocketAddress a = new InetSocketAddress(Inet6Address.getByAddress(null, mapped, -1), 51820);
        Message m = new Message.Announce("k", List.of(new TimedEndpoint(a, 5)));
        byte[] bytes = WireCodec.encode(m);
        assertEquals("01000000", HEX.formatHex(bytes, 4 + 8 + 1 + 8, 4 + 8 + 1 + 8 + 4), "V6 variant on the wire");
        Message back = WireCodec.decode(bytes);
        assertEquals(m, back);
        assertArrayEquals(bytes, WireCodec.encode(back));
    }

    @Test
    void ipv6ScopeIsNotSentAndPortsKeepAllSixteenBits() throws Exception {
        InetAddress scoped = Inet6Address.getByAddress(null, InetAddress.getByName("fe80::1").getAddress(), 3);
        byte[] bytes = WireCodec.encode(new Message.Announce("k",
                List.of(new TimedEndpoint(new InetSocketAddress(scoped, 65535), -1L))));
        Message.Announce back = (Message.Announce) WireCodec.decode(bytes);
        assertEquals(InetAddress.getByName("fe80::1"), back.endpoints().get(0).address().getAddress());
        assertEquals(65535, back.endpoints().get(0).address().getPort());
        assertEquals(-1L, back.endpoints().get(0).unixSeconds(), "u64 max survives as the same 64 bits");
    }

    @Test
    void refusesToEncodeAnUnpairedSurrogate() {
        assertThrows(IllegalArgumentException.class, () -> WireCodec.encode(new Message.LanBroadcast("a\uD800b", 1)));
    }

    @Test
    void randomMessagesRoundTrip() throws Exception {
        Random rnd = new Random(20261122L);
        for (int i = 0; i < 20_000; i++) {
            Message m = randomMessage(rnd);
            byte[] bytes = WireCodec.encode(m);
            Message back = WireCodec.decode(bytes);
            assertEquals(m, back, "iteration " + i);
            assertArrayEquals(bytes, WireCodec.encode(back), "iteration " + i);
            // Embedded in a larger buffer with garbage around it.
            byte[] buf = new byte[bytes.length + 20];
            rnd.nextBytes(buf);
            System.arraycopy(bytes, 0, buf, 7, bytes.length);
            assertEquals(m, WireCodec.decode(buf, 7, bytes.length + rnd.nextInt(14)), "iteration " + i);
        }
    }

    static Message randomMessage(Random rnd) throws Exception {
        switch (rnd.nextInt(5)) {
            case 0: return new Message.Ping();
            case 1: return new Message.Pong();
            case 3: return new Message.Request();
            case 4: return new Message.LanBroadcast(randomPubkey(rnd), rnd.nextInt(65536));
            default:
                List<TimedEndpoint> eps = new ArrayList<>();
                int n = rnd.nextInt(9);
                for (int j = 0; j < n; j++) eps.add(new TimedEndpoint(randomAddress(rnd), rnd.nextLong()));
                return new Message.Announce(randomPubkey(rnd), eps);
        }
    }

    static InetSocketAddress randomAddress(Random rnd) throws Exception {
        byte[] ip = new byte[rnd.nextBoolean() ? 4 : 16];
        rnd.nextBytes(ip);
        InetAddress a = ip.length == 4 ? InetAddress.getByAddress(ip) : Inet6Address.getByAddress(null, ip, -1);
        return new InetSocketAddress(a, rnd.nextInt(65536));
    }

    static String randomPubkey(Random rnd) {
        switch (rnd.nextInt(4)) {
            case 0: {
                byte[] k = new byte[32];
                rnd.nextBytes(k);
                return java.util.Base64.getEncoder().encodeToString(k);
            }
            case 1: return "";
            default: {
                // Any valid Unicode: ASCII, BMP (no lone surrogates), supplementary planes.
                StringBuilder sb = new StringBuilder();
                int n = rnd.nextInt(60);
                for (int j = 0; j < n; j++) {
                    int cp;
                    switch (rnd.nextInt(3)) {
                        case 0: cp = 0x20 + rnd.nextInt(0x5f); break;
                        case 1: cp = rnd.nextInt(0xD800); break;
                        default: cp = 0x10000 + rnd.nextInt(0x100000); break;
                    }
                    sb.appendCodePoint(cp);
                }
                return sb.toString();
            }
        }
    }
}
