package dev.automesh.wire;

/**
 * The relay data-plane frame, sent between relay sockets inside the WireGuard tunnels:
 * {@code "AMR" version(u8) session(u64 LE) payload}, the payload being one WireGuard datagram
 * (ciphertext to the relay). The header is fixed-size so the relay can check and forward a frame
 * without copying it.
 */
public final class RelayFrame {
    public static final byte M0 = 'A';
    public static final byte M1 = 'M';
    public static final byte M2 = 'R';
    public static final byte VERSION = 1;
    public static final int HEADER = 12;

    private RelayFrame() {}

    /**
     * Whether a frame of {@code length} bytes whose first {@link #HEADER} bytes are at {@code offset}
     * of {@code b} has our magic and version and a non-empty payload.
     */
    public static boolean valid(byte[] b, int offset, int length) {
        if (length <= HEADER) return false;
        java.util.Objects.checkFromIndexSize(offset, HEADER, b.length);
        return b[offset] == M0 && b[offset + 1] == M1 && b[offset + 2] == M2
                && b[offset + 3] == VERSION;
    }

    /** The session id of a {@link #valid} frame. */
    public static long session(byte[] b, int offset) {
        long v = 0;
        for (int i = 7; i >= 0; i--) v = (v << 8) | (b[offset + 4 + i] & 0xFF);
        return v;
    }

    /** Writes a header for {@code session} at {@code offset} (HEADER bytes). */
    public static void header(byte[] b, int offset, long session) {
        b[offset] = M0;
        b[offset + 1] = M1;
        b[offset + 2] = M2;
        b[offset + 3] = VERSION;
        for (int i = 0; i < 8; i++) b[offset + 4 + i] = (byte) (session >>> (8 * i));
    }

    /** A whole frame: header and payload. */
    public static byte[] encode(long session, byte[] payload) {
        byte[] f = new byte[HEADER + payload.length];
        header(f, 0, session);
        System.arraycopy(payload, 0, f, HEADER, payload.length);
        return f;
    }
}
