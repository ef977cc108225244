package dev.automesh.crypto;

import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;

/**
 * A WireGuard (Curve25519) key: exactly 32 bytes. Immutable; parsing is strict so that a typo in a
 * config file or a hostile gossip packet can never become a half-valid key.
 */
public final class WgKey {
    public static final int LENGTH = 32;
    private static final HexFormat HEX = HexFormat.of();
    private final byte[] bytes;

    private WgKey(byte[] bytes) {
        this.bytes = bytes;
    }

    public static WgKey of(byte[] bytes) {
        if (bytes.length != LENGTH) {
            throw new IllegalArgumentException("a WireGuard key is 32 bytes, got " + bytes.length);
        }
        return new WgKey(bytes.clone());
    }

    /** Parses the standard 44-character base64 form ("...=") that `wg` prints. */
    public static WgKey fromBase64(String s) {
        if (s.length() != 44 || s.charAt(43) != '=') {
            throw new IllegalArgumentException("a WireGuard key is 44 base64 characters ending in '=', got "
                    + s.length() + " characters");
        }
        byte[] b;
        try {
            b = Base64.getDecoder().decode(s);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("not valid base64: " + e.getMessage());
        }
        if (b.length != LENGTH) {
            throw new IllegalArgumentException("decodes to " + b.length + " bytes, a WireGuard key is 32");
        }
        return new WgKey(b);
    }

    /** Parses the 64-character hex form used by the cross-platform UAPI. */
    public static WgKey fromHex(String s) {
        if (s.length() != 64) {
            throw new IllegalArgumentException("a hex WireGuard key is 64 characters, got " + s.length());
        }
        return new WgKey(HEX.parseHex(s));
    }

    /** Unsigned lexicographic order of the key bytes, without the copy {@link #bytes()} makes. */
    public int compareUnsigned(WgKey other) {
        return Arrays.compareUnsigned(bytes, other.bytes);
    }

    public byte[] bytes() {
        return bytes.clone();
    }

    public String toBase64() {
        return Base64.getEncoder().encodeToString(bytes);
    }

    public String toHex() {
        return HEX.formatHex(bytes);
    }

    /** First characters of the base64 form: enough to tell peers apart in logs. */
    public String shortName() {
        return toBase64().substring(0, 8);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof WgKey k && Arrays.equals(bytes, k.bytes);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(bytes);
    }

    @Override
    public String toString() {
        return toBase64();
    }
}
