package dev.automesh.mesh;

/**
 * XXH3-64 (seed 0, default secret) for inputs of up to 240 bytes: enough for wgautomesh's gossip rank,
 * xxh3("<our pubkey>-<their pubkey>") of 89 bytes. Longer inputs take XXH3's striped path, which the
 * rank never needs, so they are refused rather than half-implemented. Verified against libxxhash 0.8.1
 * vectors in Xxh3Test.
 */
final class Xxh3 {
    static final int MAX_LENGTH = 240;

    private static final long P32_1 = 0x9E3779B1L;
    private static final long P64_1 = 0x9E3779B185EBCA87L;
    private static final long P64_2 = 0xC2B2AE3D27D4EB4FL;
    private static final long P64_3 = 0x165667B19E3779F9L;
    private static final long PRIME_MX1 = 0x165667919E3779F9L;
    private static final long PRIME_MX2 = 0x9FB21C651E98DF25L;

    /** XXH3's default 192-byte kSecret. */
    private static final byte[] SECRET = hex(
            "b8fe6c3923a44bbe7c01812cf721ad1cded46de9839097db7240a4a4b7b3671f"
            + "cb79e64eccc0e578825ad07dccff7221b8084674f743248ee03590e6813a264c"
            + "3c2852bb91c300cb88d0658b1b532ea371644897a20df94e3819ef46a9deacd8"
            + "a8fa763fe39c343ff9dcbbc7c70b4f1d8a51e04bcdb45931c89f7ec9d9787364"
            + "eac5ac8334d3ebc3c581a0fffa1363eb170ddd51b7f0da49d316552629d4689e"
            + "2b16be587d47a1fc8ff8b8d17ad031ce45cb3a8f95160428afd7fbcabb4b407e");

    private Xxh3() {}

    static long hash64(byte[] in) {
        int len = in.length;
        if (len > MAX_LENGTH) throw new IllegalArgumentException("Xxh3 handles at most 240 bytes, got " + len);
        if (len == 0) return xxh64Avalanche(le64(SECRET, 56) ^ le64(SECRET, 64));
        if (len <= 3) {
            long combined = ((in[0] & 0xFFL) << 16) | ((in[len >> 1] & 0xFFL) << 24) | (in[len - 1] & 0xFFL)
                    | ((long) len << 8);
            long bitflip = (le32(SECRET, 0) ^ le32(SECRET, 4));
            return xxh64Avalanche(combined ^ bitflip);
        }
        if (len <= 8) {
            long bitflip = le64(SECRET, 8) ^ le64(SECRET, 16);
            long input64 = le32(in, len - 4) + (le32(in, 0) << 32);
            return rrmxmx(input64 ^ bitflip, len);
        }
        if (len <= 16) {
            long lo = le64(in, 0) ^ (le64(SECRET, 24) ^ le64(SECRET, 32));
            long hi = le64(in, len - 8) ^ (le64(SECRET, 40) ^ le64(SECRET, 48));
            long acc = len + Long.reverseBytes(lo) + hi + mulFold(lo, hi);
            return avalanche(acc);
        }
        long acc = len * P64_1;
        if (len <= 128) {
            if (len > 32) {
                if (len > 64) {
                    if (len > 96) {
                        acc += mix16(in, 48, 96);
                        acc += mix16(in, len - 64, 112);
                    }
                    acc += mix16(in, 32, 64);
                    acc += mix16(in, len - 48, 80);
                }
                acc += mix16(in, 16, 32);
                acc += mix16(in, len - 32, 48);
            }
            acc += mix16(in, 0, 0);
            acc += mix16(in, len - 16, 16);
            return avalanche(acc);
        }
        for (int i = 0; i < 8; i++) acc += mix16(in, 16 * i, 16 * i);
        acc = avalanche(acc);
        for (int i = 8; i < len / 16; i++) acc += mix16(in, 16 * i, 16 * (i - 8) + 3);
        acc += mix16(in, len - 16, 136 - 17);
        return avalanche(acc);
    }

    private static long mix16(byte[] in, int at, int secretAt) {
        return mulFold(le64(in, at) ^ le64(SECRET, secretAt), le64(in, at + 8) ^ le64(SECRET, secretAt + 8));
    }

    /** Low 64 bits XOR high 64 bits of the unsigned 128-bit product. */
    private static long mulFold(long a, long b) {
        long hi = Math.multiplyHigh(a, b) + ((a >> 63) & b) + ((b >> 63) & a);
        return (a * b) ^ hi;
    }

    private static long xxh64Avalanche(long h) {
        h ^= h >>> 33;
        h *= P64_2;
        h ^= h >>> 29;
        h *= P64_3;
        return h ^ (h >>> 32);
    }

    private static long avalanche(long h) {
        h ^= h >>> 37;
        h *= PRIME_MX1;
        return h ^ (h >>> 32);
    }

    private static long rrmxmx(long h, int len) {
        h ^= Long.rotateLeft(h, 49) ^ Long.rotateLeft(h, 24);
        h *= PRIME_MX2;
        h ^= (h >>> 35) + len;
        h *= PRIME_MX2;
        return h ^ (h >>> 28);
    }

    private static long le64(byte[] b, int at) {
        return le32(b, at) | (le32(b, at + 4) << 32);
    }

    private static long le32(byte[] b, int at) {
        return (b[at] & 0xFFL) | (b[at + 1] & 0xFFL) << 8 | (b[at + 2] & 0xFFL) << 16 | (b[at + 3] & 0xFFL) << 24;
    }

    private static byte[] hex(String s) {
        return java.util.HexFormat.of().parseHex(s);
    }
}
