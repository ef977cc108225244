package dev.automesh.wire;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.fail;

import dev.automesh.crypto.GossipCipher;
import dev.automesh.store.StateFile;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Hostile input: every truncation of every vector, random bit flips, insertions, deletions and pure
 * garbage must each end in a message or a DecodeException — never any other exception.
 */
class WireCodecMutationTest {
    interface Decoder {
        Object decode(byte[] b) throws DecodeException;
    }

    private static void decodeOrTypedError(Decoder d, byte[] input, String what) {
        try {
            d.decode(input);
        } catch (DecodeException expected) {
            // the only allowed failure
        } catch (Throwable t) {
            fail(what + ": " + t + " for input " + Vectors.HEX.formatHex(input), t);
        }
    }

    @Test
    void everyTruncationOfEveryMessageVectorIsATypedError() {
        for (Vectors.Vector v : Vectors.MESSAGES) {
            byte[] p = v.plaintextBytes();
            for (int len = 0; len < p.length; len++) {
                int n = len;
                assertThrows(DecodeException.class, () -> WireCodec.decode(p, 0, n), v.name() + " truncated to " + len);
                assertThrows(DecodeException.class, () -> WireCodec.decode(Arrays.copyOf(p, n)), v.name() + " copy " + len);
            }
        }
    }

    @Test
    void everyTruncationOfEveryStateFileIsATypedError() {
        for (Vectors.StateVector s : Vectors.STATE_FILES) {
            byte[] b = s.raw();
            for (int len = 0; len < b.length; len++) {
                byte[] cut = Arrays.copyOf(b, len);
                assertThrows(DecodeException.class, () -> StateFile.decode(cut), s.name() + " truncated to " + len);
            }
        }
    }

    @Test
    void randomMutationsOfVectorsEndInAMessageOrATypedError() {
        Random rnd = new Random(0x5EED);
        for (int round = 0; round < 4000; round++) {
            for (Vectors.Vector v : Vectors.MESSAGES) {
                byte[] m = mutate(v.plaintextBytes(), rnd);
                decodeOrTypedError(WireCodec::decode, m, v.name());
            }
            for (Vectors.StateVector s : Vectors.STATE_FILES) {
                byte[] m = mutate(s.raw(), rnd);
                decodeOrTypedError(StateFile::decode, m, s.name());
            }
        }
    }

    @Test
    void everySingleBitFlipOfEveryVectorEndsInAMessageOrATypedError() {
        for (Vectors.Vector v : Vectors.MESSAGES) {
            byte[] p = v.plaintextBytes();
            for (int bit = 0; bit < p.length * 8; bit++) {
                byte[] q = p.clone();
                q[bit / 8] ^= (byte) (1 << (bit % 8));
                decodeOrTypedError(WireCodec::decode, q, v.name() + " bit " + bit);
            }
        }
        for (Vectors.StateVector s : Vectors.STATE_FILES) {
            byte[] p = s.raw();
            for (int bit = 0; bit < p.length * 8; bit++) {
                byte[] q = p.clone();
                q[bit / 8] ^= (byte) (1 << (bit % 8));
                decodeOrTypedError(StateFile::decode, q, s.name() + " bit " + bit);
            }
        }
    }

    @Test
    void garbageWithPlausibleHeadersEndsInAMessageOrATypedError() {
        Random rnd = new Random(42);
        for (int i = 0; i < 50_000; i++) {
            byte[] g = new byte[rnd.nextInt(80)];
            rnd.nextBytes(g);
            if (g.length >= 4 && rnd.nextBoolean()) {
                g[0] = (byte) rnd.nextInt(6); // mostly known variants, so the field decoders get exercised
                g[1] = g[2] = g[3] = 0;
            }
            if (g.length >= 12 && rnd.nextBoolean()) {
                Arrays.fill(g, 5, 12, (byte) 0); // small string length
                g[4] = (byte) rnd.nextInt(40);
            }
            decodeOrTypedError(WireCodec::decode, g, "garbage");
            decodeOrTypedError(StateFile::decode, g, "garbage state file");
        }
    }

    @Test
    void openThenDecodeOfMutatedPacketsNeverThrows() {
        GossipCipher cipher = GossipCipher.fromSecret(Vectors.SECRET);
        Random rnd = new Random(7);
        for (int round = 0; round < 2000; round++) {
            for (Vectors.Vector v : Vectors.MESSAGES) {
                byte[] m = mutate(v.packetBytes(), rnd);
                decodeOrTypedError(b -> cipher.open(b, 0, b.length).map(p -> {
                    try {
                        return WireCodec.decode(p);
                    } catch (DecodeException e) {
                        return e;
                    }
                }), m, v.name() + " packet");
            }
        }
    }

    /** 1..8 of: bit flip, byte overwrite, insertion, deletion, truncation. */
    static byte[] mutate(byte[] in, Random rnd) {
        byte[] b = in.clone();
        int ops = 1 + rnd.nextInt(8);
        for (int k = 0; k < ops; k++) {
            int op = rnd.nextInt(5);
            if (b.length == 0) op = 2;
            int at = b.length == 0 ? 0 : rnd.nextInt(b.length);
            switch (op) {
                case 0 -> b[at] ^= (byte) (1 << rnd.nextInt(8));
                case 1 -> b[at] = (byte) rnd.nextInt(256);
                case 2 -> {
                    byte[] c = new byte[b.length + 1];
                    System.arraycopy(b, 0, c, 0, at);
                    c[at] = (byte) rnd.nextInt(256);
                    System.arraycopy(b, at, c, at + 1, b.length - at);
                    b = c;
                }
                case 3 -> {
                    byte[] c = new byte[b.length - 1];
                    System.arraycopy(b, 0, c, 0, at);
                    System.arraycopy(b, at + 1, c, at, b.length - at - 1);
                    b = c;
                }
                default -> b = Arrays.copyOf(b, at);
            }
        }
        return b;
    }
}
