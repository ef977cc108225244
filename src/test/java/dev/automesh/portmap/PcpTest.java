package dev.automesh.portmap;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

class PcpTest {
    private static final byte[] NONCE = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};

    private static ByteBuffer reply(int version, int rOp, int result, long lifetime, long epoch, byte[] nonce, int proto,
            int internal, int external, InetAddress ext) {
        ByteBuffer b = ByteBuffer.allocate(60).put((byte) version).put((byte) rOp).put((byte) 0).put((byte) result)
                .putInt((int) lifetime).putInt((int) epoch).put(new byte[12]);
        b.put(nonce).put((byte) proto).put(new byte[3]).putShort((short) internal).putShort((short) external).put(Pcp.address16(ext));
        return b;
    }

    private static byte[] good() throws Exception {
        return reply(2, 0x81, 0, 120, 77, NONCE, 17, 51820, 40000, InetAddress.getByName("203.0.114.1")).array();
    }

    private static PortMapException error(byte[] d, int len) {
        return assertThrows(PortMapException.class, () -> Pcp.decodeMap(d, len, NONCE, 51820, false));
    }

    @Test
    void encodesAMapRequestWithTheClientAddressIpv4Mapped() throws Exception {
        byte[] r = Pcp.mapRequest(NONCE, InetAddress.getByName("192.168.1.10"), 51820, 40000, 7200);
        assertEquals(60, r.length);
        assertEquals(2, r[0]);
        assertEquals(1, r[1]);
        assertEquals(7200, ByteBuffer.wrap(r, 4, 4).getInt());
        assertArrayEquals(new byte[] {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, -1, -1, (byte) 192, (byte) 168, 1, 10}, Arrays.copyOfRange(r, 8, 24));
        assertArrayEquals(NONCE, Arrays.copyOfRange(r, 24, 36));
        assertEquals(17, r[36]);
        assertEquals(51820, ByteBuffer.wrap(r, 40, 2).getShort() & 0xffff);
        assertEquals(40000, ByteBuffer.wrap(r, 42, 2).getShort() & 0xffff);
        assertArrayEquals(new byte[] {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, -1, -1, 0, 0, 0, 0}, Arrays.copyOfRange(r, 44, 60),
                "no preferred external address: ::ffff:0.0.0.0");
    }

    @Test
    void decodesAGrant() throws Exception {
        Pcp.Mapping m = Pcp.decodeMap(good(), 60, NONCE, 51820, false);
        assertEquals(new Pcp.Mapping(77, 120, 51820, 40000, InetAddress.getByName("203.0.114.1")), m);
        byte[] v6 = reply(2, 0x81, 0, 120, 77, NONCE, 17, 51820, 51820, InetAddress.getByName("2001:db8:1::10")).array();
        assertEquals(InetAddress.getByName("2001:db8:1::10"), Pcp.decodeMap(v6, 60, NONCE, 51820, false).externalAddress());
    }

    @Test
    void hostileRepliesAreClearErrors() throws Exception {
        InetAddress ext = InetAddress.getByName("203.0.114.1");
        PortMapException e = error(good(), 23);
        assertTrue(e.getMessage().contains("23 bytes is too short"), e.getMessage());
        e = error(good(), 56);
        assertTrue(e.getMessage().contains("56 bytes is too short (at least 60)"), e.getMessage());
        e = error(Arrays.copyOf(good(), 62), 62);
        assertTrue(e.getMessage().contains("not a multiple of 4"), e.getMessage());

        e = error(reply(2, 0x82, 0, 120, 77, NONCE, 17, 51820, 40000, ext).array(), 60);
        assertEquals("PCP reply has opcode 2, expected MAP (1)", e.getMessage());
        e = error(reply(2, 0x01, 0, 120, 77, NONCE, 17, 51820, 40000, ext).array(), 60);
        assertTrue(e.getMessage().contains("R bit clear"), e.getMessage());
        e = error(reply(2, 0x81, 0, 120, 77, new byte[12], 17, 51820, 40000, ext).array(), 60);
        assertTrue(e.getMessage().contains("another mapping's nonce"), e.getMessage());
        e = error(reply(2, 0x81, 0, 120, 77, NONCE, 6, 51820, 40000, ext).array(), 60);
        assertTrue(e.getMessage().contains("protocol 6, not UDP"), e.getMessage());
        e = error(reply(2, 0x81, 0, 120, 77, NONCE, 17, 22, 40000, ext).array(), 60);
        assertTrue(e.getMessage().contains("internal port 22, not our 51820"), e.getMessage());
        e = error(reply(2, 0x81, 0, 120, 77, NONCE, 17, 51820, 40000, InetAddress.getByName("0.0.0.0")).array(), 60);
        assertTrue(e.getMessage().contains("no mapping"), e.getMessage());
        e = error(reply(2, 0x81, 0, 0, 77, NONCE, 17, 51820, 40000, ext).array(), 60);
        assertTrue(e.getMessage().contains("for 0 s"), e.getMessage());
        for (PortMapException m : new PortMapException[] {e}) assertEquals(PortMapException.Kind.MALFORMED, m.kind());

        e = error(reply(2, 0x81, 11, 30, 77, NONCE, 17, 51820, 40000, ext).array(), 60);
        assertEquals(PortMapException.Kind.REFUSED, e.kind());
        assertTrue(e.getMessage().contains("CANNOT_PROVIDE_EXTERNAL"), e.getMessage());
        e = error(new byte[] {0, (byte) 0x81, 0, 1, 0, 0, 0, 0}, 8);
        assertEquals(PortMapException.Kind.UNSUPPORTED, e.kind());
        assertTrue(e.getMessage().contains("NAT-PMP only"), e.getMessage());
        e = error(reply(3, 0x81, 0, 120, 77, NONCE, 17, 51820, 40000, ext).array(), 60);
        assertEquals(PortMapException.Kind.UNSUPPORTED, e.kind());
    }

    @Test
    void randomBytesNeverThrowAnythingButPortMapException() {
        Random r = new Random(6887);
        byte[] d = new byte[Pcp.MAX_LENGTH + 4];
        for (int i = 0; i < 20_000; i++) {
            int len = r.nextInt(d.length + 1);
            r.nextBytes(d);
            if (r.nextBoolean()) d[0] = 2;
            if (r.nextBoolean()) d[1] = (byte) 0x81;
            try {
                Pcp.decodeMap(d, len, NONCE, 51820, false);
            } catch (PortMapException expected) {
                // the only allowed outcome besides a decode
            }
            try {
                NatPmp.decodeMapping(d, Math.min(len, 16), 51820, false);
            } catch (PortMapException expected) {
                // same
            }
        }
    }
}
