package dev.automesh.crypto;

import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Objects;
import java.util.Optional;
import org.bouncycastle.crypto.digests.Blake3Digest;
import org.bouncycastle.crypto.engines.XSalsa20Engine;
import org.bouncycastle.crypto.macs.Poly1305;
import org.bouncycastle.crypto.params.KeyParameter;
import org.bouncycastle.crypto.params.ParametersWithIV;

/**
 * wgautomesh's gossip encryption: key = BLAKE3("wgautomesh: " + secret); datagram = nonce(24) ||
 * tag(16) || ciphertext (NaCl secretbox). Immutable and thread-safe: the only state is the key (never
 * exposed) and a SecureRandom (itself thread-safe); cipher engines are created per call.
 */
public final class GossipCipher {
    public static final int NONCE_LENGTH = 24;
    public static final int TAG_LENGTH = 16;
    public static final int OVERHEAD = NONCE_LENGTH + TAG_LENGTH;
    public static final int KEY_LENGTH = 32;

    /** wgautomesh's domain-separation prefix; the secret follows it verbatim (no trimming). */
    private static final String KDF_PREFIX = "wgautomesh: ";
    /** secretbox: the first 32 bytes of the XSalsa20 keystream are the one-time Poly1305 key. */
    private static final int POLY_KEY_LENGTH = 32;

    private final byte[] key;
    private final SecureRandom random;

    private GossipCipher(byte[] key, SecureRandom random) {
        this.key = key;
        this.random = random;
    }

    /**
     * The cipher for a gossip secret, used verbatim: a trailing newline read from gossip_secret_file is
     * part of the secret, exactly as in wgautomesh. No secret at all is the empty string.
     */
    public static GossipCipher fromSecret(String secret) {
        return new GossipCipher(deriveKey(secret), new SecureRandom());
    }

    /** As {@link #fromSecret(String)}, from the config's value. */
    public static GossipCipher fromSecret(GossipSecret secret) {
        return fromSecret(secret.reveal());
    }

    /** The 32-byte key: BLAKE3-256 of the UTF-8 bytes of "wgautomesh: " + secret. */
    public static byte[] deriveKey(String secret) {
        Objects.requireNonNull(secret, "secret");
        byte[] input = (KDF_PREFIX + secret).getBytes(StandardCharsets.UTF_8);
        Blake3Digest blake3 = new Blake3Digest(KEY_LENGTH * 8);
        blake3.update(input, 0, input.length);
        byte[] out = new byte[KEY_LENGTH];
        blake3.doFinal(out, 0);
        return out;
    }

    /** Seals with a fresh random nonce. */
    public byte[] seal(byte[] plaintext) {
        byte[] nonce = new byte[NONCE_LENGTH];
        random.nextBytes(nonce);
        return seal(plaintext, nonce);
    }

    /** Seals with the given nonce (tests and vectors). Never reuse a nonce with the same key. */
    public byte[] seal(byte[] plaintext, byte[] nonce) {
        Objects.requireNonNull(plaintext, "plaintext");
        Objects.requireNonNull(nonce, "nonce");
        if (nonce.length != NONCE_LENGTH) {
            throw new IllegalArgumentException("nonce must be " + NONCE_LENGTH + " bytes, got " + nonce.length);
        }
        byte[] out = new byte[OVERHEAD + plaintext.length];
        System.arraycopy(nonce, 0, out, 0, NONCE_LENGTH);
        XSalsa20Engine stream = stream(nonce, 0);
        byte[] polyKey = new byte[POLY_KEY_LENGTH];
        stream.processBytes(polyKey, 0, POLY_KEY_LENGTH, polyKey, 0);
        stream.processBytes(plaintext, 0, plaintext.length, out, OVERHEAD);
        mac(polyKey, out, OVERHEAD, plaintext.length, out, NONCE_LENGTH);
        Arrays.fill(polyKey, (byte) 0);
        return out;
    }

    /**
     * The plaintext, or empty when the datagram is too short or its tag does not verify. Never throws
     * for any datagram content; only an offset/length outside the array (a caller bug) throws.
     */
    public Optional<byte[]> open(byte[] datagram, int offset, int length) {
        Objects.requireNonNull(datagram, "datagram");
        Objects.checkFromIndexSize(offset, length, datagram.length);
        if (length < OVERHEAD) return Optional.empty();
        XSalsa20Engine stream = stream(datagram, offset);
        byte[] polyKey = new byte[POLY_KEY_LENGTH];
        stream.processBytes(polyKey, 0, POLY_KEY_LENGTH, polyKey, 0);
        int ctOffset = offset + OVERHEAD;
        int ctLength = length - OVERHEAD;
        byte[] expected = new byte[TAG_LENGTH];
        mac(polyKey, datagram, ctOffset, ctLength, expected, 0);
        Arrays.fill(polyKey, (byte) 0);
        // Constant time: the comparison must not reveal how many tag bytes matched.
        if (!org.bouncycastle.util.Arrays.constantTimeAreEqual(
                TAG_LENGTH, expected, 0, datagram, offset + NONCE_LENGTH)) {
            return Optional.empty();
        }
        byte[] plaintext = new byte[ctLength];
        stream.processBytes(datagram, ctOffset, ctLength, plaintext, 0);
        return Optional.of(plaintext);
    }

    private XSalsa20Engine stream(byte[] nonceBuf, int nonceOffset) {
        byte[] nonce = Arrays.copyOfRange(nonceBuf, nonceOffset, nonceOffset + NONCE_LENGTH);
        XSalsa20Engine engine = new XSalsa20Engine();
        engine.init(true, new ParametersWithIV(new KeyParameter(key), nonce));
        return engine;
    }

    private static void mac(byte[] polyKey, byte[] in, int inOff, int inLen, byte[] out, int outOff) {
        Poly1305 poly = new Poly1305();
        poly.init(new KeyParameter(polyKey));
        poly.update(in, inOff, inLen);
        poly.doFinal(out, outOff);
    }

    @Override
    public String toString() {
        return "GossipCipher[key hidden]";
    }
}
