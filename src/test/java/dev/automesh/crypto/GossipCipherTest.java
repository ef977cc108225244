package dev.automesh.crypto;

import static dev.automesh.wire.Vectors.HEX;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.automesh.wire.Vectors;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class GossipCipherTest {
    private final GossipCipher cipher = GossipCipher.fromSecret(Vectors.SECRET);
    private final byte[] nonce = HEX.parseHex(Vectors.NONCE);

    @Test
    void keyDerivationMatchesWgautomesh() {
        assertEquals(Vectors.KEY, HEX.formatHex(GossipCipher.deriveKey(Vectors.SECRET)));
        assertEquals(Vectors.KEY_EMPTY_SECRET, HEX.formatHex(GossipCipher.deriveKey("")));
    }

    @Test
    void secretIsUsedVerbatimIncludingTrailingNewline() {
        assertFalse(Arrays.equals(GossipCipher.deriveKey(Vectors.SECRET), GossipCipher.deriveKey(Vectors.SECRET + "\n")));
        byte[] packet = GossipCipher.fromSecret(Vectors.SECRET + "\n").seal(new byte[] {0, 0, 0, 0});
        assertTrue(cipher.open(packet, 0, packet.length).isEmpty(), "a trailing newline is a different secret");
    }

    @Test
    void opensEveryVectorPacket() {
        for (Vectors.Vector v : Vectors.MESSAGES) {
            byte[] p = v.packetBytes();
            Optional<byte[]> plain = cipher.open(p, 0, p.length);
            assertTrue(plain.isPresent(), v.name() + " did not open");
            assertEquals(v.plaintext(), HEX.formatHex(plain.get()), v.name());
        }
    }

    @Test
    void sealsEveryVectorToItsExactBytesWithTheFixedNonce() {
        for (Vectors.Vector v : Vectors.MESSAGES) {
            assertEquals(v.packet(), HEX.formatHex(cipher.seal(v.plaintextBytes(), nonce)), v.name());
        }
    }

    @Test
    void flippedLastByteOfPingFails() {
        byte[] p = Vectors.vector("Ping").packetBytes();
        p[p.length - 1] ^= 1;
        assertTrue(cipher.open(p, 0, p.length).isEmpty());
    }

    @Test
    void anyFlippedBitOfAnyPacketFails() {
        for (Vectors.Vector v : Vectors.MESSAGES) {
            byte[] p = v.packetBytes();
            for (int bit = 0; bit < p.length * 8; bit++) {
                byte[] q = p.clone();
                q[bit / 8] ^= (byte) (1 << (bit % 8));
                assertTrue(cipher.open(q, 0, q.length).isEmpty(), v.name() + " bit " + bit);
            }
        }
    }

    @Test
    void everyTruncationAndExtensionFails() {
        for (Vectors.Vector v : Vectors.MESSAGES) {
            byte[] p = v.packetBytes();
            for (int len = 0; len < p.length; len++) {
                assertTrue(cipher.open(p, 0, len).isEmpty(), v.name() + " truncated to " + len);
            }
            byte[] longer = Arrays.copyOf(p, p.length + 1);
            assertTrue(cipher.open(longer, 0, longer.length).isEmpty(), v.name() + " with a byte appended");
        }
    }

    @Test
    void wrongSecretFails() {
        GossipCipher other = GossipCipher.fromSecret("correct horse battery stapler");
        for (Vectors.Vector v : Vectors.MESSAGES) {
            byte[] p = v.packetBytes();
            assertTrue(other.open(p, 0, p.length).isEmpty(), v.name());
        }
    }

    @Test
    void opensAtAnOffsetInsideALargerBuffer() {
        byte[] p = Vectors.vector("Announce").packetBytes();
        byte[] buf = new byte[p.length + 100];
        Arrays.fill(buf, (byte) 0x5a);
        System.arraycopy(p, 0, buf, 37, p.length);
        assertEquals(Vectors.vector("Announce").plaintext(), HEX.formatHex(cipher.open(buf, 37, p.length).orElseThrow()));
        assertThrows(IndexOutOfBoundsException.class, () -> cipher.open(buf, 101, p.length));
    }

    @Test
    void randomNoncesDifferAndRoundTrip() {
        byte[] plain = Vectors.vector("LanBroadcast").plaintextBytes();
        byte[] a = cipher.seal(plain);
        byte[] b = cipher.seal(plain);
        assertEquals(plain.length + GossipCipher.OVERHEAD, a.length);
        assertFalse(Arrays.equals(Arrays.copyOf(a, 24), Arrays.copyOf(b, 24)), "nonces must be fresh");
        assertArrayEquals(plain, cipher.open(a, 0, a.length).orElseThrow());
        assertArrayEquals(plain, cipher.open(b, 0, b.length).orElseThrow());
        // An empty plaintext is a valid box of exactly the overhead.
        byte[] empty = cipher.seal(new byte[0]);
        assertEquals(0, cipher.open(empty, 0, empty.length).orElseThrow().length);
    }

    @Test
    void randomGarbageNeverThrowsAndNeverOpens() {
        Random rnd = new Random(0xA11CE);
        for (int i = 0; i < 5000; i++) {
            byte[] g = new byte[rnd.nextInt(200)];
            rnd.nextBytes(g);
            assertTrue(cipher.open(g, 0, g.length).isEmpty());
        }
    }

    @Test
    void rejectsBadNonceLength() {
        assertThrows(IllegalArgumentException.class, () -> cipher.seal(new byte[4], new byte[23]));
    }

    @Test
    void isSafeToShareAcrossThreads() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<Integer>> results = new ArrayList<>();
            for (int t = 0; t < 4; t++) {
                int seed = t;
                results.add(pool.submit(() -> {
                    Random rnd = new Random(seed);
                    int ok = 0;
                    for (int i = 0; i < 2000; i++) {
                        byte[] plain = new byte[rnd.nextInt(300)];
                        rnd.nextBytes(plain);
                        byte[] box = cipher.seal(plain);
                        if (Arrays.equals(plain, cipher.open(box, 0, box.length).orElse(null))) ok++;
                        Vectors.Vector v = Vectors.MESSAGES.get(i % Vectors.MESSAGES.size());
                        if (HEX.formatHex(cipher.seal(v.plaintextBytes(), nonce)).equals(v.packet())) ok++;
                    }
                    return ok;
                }));
            }
            for (Future<Integer> f : results) assertEquals(4000, f.get(60, TimeUnit.SECONDS));
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void toStringHidesTheKey() {
        assertFalse(cipher.toString().contains(Vectors.KEY));
        assertNotEquals("", cipher.toString());
    }
}
