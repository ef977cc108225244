package dev.automesh.mesh;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Reference values come from the xxHash C library itself (Debian libxxhash0 0.8.1), produced once with
 * python3 ctypes:
 * <pre>
 * l = ctypes.CDLL('libxxhash.so.0'); l.XXH3_64bits.restype = ctypes.c_uint64
 * l.XXH3_64bits.argtypes = [ctypes.c_char_p, ctypes.c_size_t]
 * data = bytes((i*7+3) &amp; 0xff for i in range(n)); print('%016x' % l.XXH3_64bits(data, n))
 * </pre>
 * The lengths cover every branch of XXH3's short paths (0, 1-3, 4-8, 9-16, 17-128 in its four
 * widths, 129-240).
 */
class Xxh3Test {
    private static byte[] pattern(int n) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) b[i] = (byte) (i * 7 + 3);
        return b;
    }

    @ParameterizedTest
    @CsvSource({
        "0, 2d06800538d394c2", "1, 13e608bc156defed", "2, 1c9074b93943b86c", "3, a9088dda485b481c",
        "4, 6d9253b16c8b1ed3", "5, 998620e10e3a4b37", "8, 60539db630471163", "9, feff668361d723a8",
        "12, 6829454be0cc3199", "16, b8c859b0f030b585", "17, 714a04408e79b80f", "32, 19ff4ee1d6ba1a55",
        "33, 3e44983ad21679c8", "64, 287eb1fa9e4be2c1", "65, 829218de4d798646", "96, f084e7cfbc624743",
        "97, 1daa83271a8e7b7c", "128, 67425a03650261bf", "129, c664bf3311c6abc4", "160, d70dea8de694b883",
        "200, 746cd0025327bf5b", "240, 64556dc6b462a6cf",
    })
    void matchesLibxxhash(int length, String expectedHex) {
        assertEquals(expectedHex, HexFormat.of().toHexDigits(Xxh3.hash64(pattern(length))), "length " + length);
    }

    @Test
    void rankInputOfTwoPubkeys() {
        String s = "7Nm7pMmyS7Nts1MB+loyD8u84ODxHPTkDu+uqQR6yDk=-Xz3kA2sWcPq8Hc0Jm0y0bW3m9n5fV1O5m7q0Xb3bV1E=";
        assertEquals("073bae57187e6ce2",
                HexFormat.of().toHexDigits(Xxh3.hash64(s.getBytes(StandardCharsets.US_ASCII))));
    }

    @Test
    void refusesLongInputs() {
        assertThrows(IllegalArgumentException.class, () -> Xxh3.hash64(new byte[241]));
    }
}
