package dev.automesh.portmap;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.nio.ByteBuffer;
import org.junit.jupiter.api.Test;

class NatPmpTest {
    private static byte[] mapReply(int version, int opcode, int result, long epoch, int internal, int external, long lifetime) {
        return ByteBuffer.allocate(16).put((byte) version).put((byte) opcode).putShort((short) result).putInt((int) epoch)
                .putShort((short) internal).putShort((short) external).putInt((int) lifetime).array();
    }

    private static byte[] addressReply(int opcode, int result, long epoch, int... ip) {
        ByteBuffer b = ByteBuffer.allocate(12).put((byte) 0).put((byte) opcode).putShort((short) result).putInt((int) epoch);
        for (int x : ip) b.put((byte) x);
        return b.array();
    }

    private static PortMapException mapError(byte[] d, int len) {
        return assertThrows(PortMapException.class, () -> NatPmp.decodeMapping(d, len, 51820, false));
    }

    @Test
    void encodesRequestsAsRfc6886Says() {
        assertArrayEquals(new byte[] {0, 0}, NatPmp.externalAddressRequest());
        assertArrayEquals(new byte[] {0, 1, 0, 0, (byte) 0xca, 0x6c, (byte) 0x9c, 0x40, 0, 0, 0x1c, 0x20},
                NatPmp.mapRequest(51820, 40000, 7200));
    }

    @Test
    void decodesAGrantedMappingAndAddress() throws Exception {
        NatPmp.Mapping m = NatPmp.decodeMapping(mapReply(0, 129, 0, 0xfffffff0L, 51820, 40001, 7200), 16, 51820, false);
        assertEquals(new NatPmp.Mapping(0xfffffff0L, 51820, 40001, 7200), m, "epoch unsigned, granted port kept");
        NatPmp.ExternalAddress a = NatPmp.decodeExternalAddress(addressReply(128, 0, 5, 203, 0, 114, 1), 12);
        assertEquals(InetAddress.getByName("203.0.114.1"), a.address());
        assertEquals(5, a.epoch());
    }

    @Test
    void hostileRepliesAreClearErrors() {
        PortMapException e = mapError(new byte[3], 3);
        assertEquals(PortMapException.Kind.MALFORMED, e.kind());
        assertTrue(e.getMessage().contains("3 bytes is too short"), e.getMessage());

        e = mapError(mapReply(0, 129, 0, 1, 51820, 40000, 60), 15);
        assertTrue(e.getMessage().contains("15 bytes is too short (expected 16)"), e.getMessage());

        e = mapError(mapReply(0, 128, 0, 1, 51820, 40000, 60), 16);
        assertEquals("NAT-PMP reply has opcode 128, expected 129", e.getMessage());

        e = mapError(mapReply(0, 1, 0, 1, 51820, 40000, 60), 16);
        assertTrue(e.getMessage().contains("opcode 1, expected 129"), "our own request echoed back: " + e.getMessage());

        e = mapError(mapReply(0, 129, 0, 1, 51821, 40000, 60), 16);
        assertEquals(PortMapException.Kind.MALFORMED, e.kind());
        assertTrue(e.getMessage().contains("internal port 51821, not our 51820"), e.getMessage());

        e = mapError(mapReply(0, 129, 0, 1, 51820, 0, 60), 16);
        assertTrue(e.getMessage().contains("no mapping"), e.getMessage());

        e = mapError(mapReply(2, 129, 0, 1, 51820, 40000, 60), 16);
        assertEquals(PortMapException.Kind.UNSUPPORTED, e.kind());

        e = mapError(mapReply(0, 129, 2, 1, 51820, 40000, 60), 16);
        assertEquals(PortMapException.Kind.REFUSED, e.kind());
        assertTrue(e.getMessage().contains("result 2 Not Authorized"), e.getMessage());

        e = mapError(mapReply(0, 129, 5, 1, 0, 0, 0), 8);
        assertEquals(PortMapException.Kind.UNSUPPORTED, e.kind(), "an error reply may be short: the code still counts");

        e = mapError(mapReply(0, 129, 999, 1, 51820, 40000, 60), 16);
        assertTrue(e.getMessage().contains("unknown result code"), e.getMessage());

        e = assertThrows(PortMapException.class, () -> NatPmp.decodeExternalAddress(addressReply(128, 0, 5, 0, 0, 0, 0), 12));
        assertTrue(e.getMessage().contains("0.0.0.0"), e.getMessage());
        e = assertThrows(PortMapException.class, () -> NatPmp.decodeExternalAddress(addressReply(128, 0, 5, 1, 2, 3, 4), 11));
        assertTrue(e.getMessage().contains("too short"), e.getMessage());
    }

    @Test
    void aDeletionReplyMayCarryZeroes() throws Exception {
        assertEquals(0, NatPmp.decodeMapping(mapReply(0, 129, 0, 9, 51820, 0, 0), 16, 51820, true).lifetime());
    }

    @Test
    void everyTruncationOfAGoodReplyIsRejectedNotThrownAsSomethingElse() {
        byte[] good = mapReply(0, 129, 0, 1, 51820, 40000, 60);
        for (int len = 0; len < good.length; len++) {
            int l = len;
            assertThrows(PortMapException.class, () -> NatPmp.decodeMapping(good, l, 51820, false), "length " + len);
        }
    }
}
