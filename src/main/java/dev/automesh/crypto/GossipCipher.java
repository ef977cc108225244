package dev.automesh.crypto;

import java.util.Optional;

/**
 * wgautomesh's gossip encryption: key = BLAKE3("wgautomesh: " + secret); datagram = nonce(24) ||
 * tag(16) || ciphertext (NaCl secretbox). Immutable and thread-safe. Owner: wire.
 */
public final class GossipCipher {
    public static final int NONCE_LENGTH = 24;
    public static final int TAG_LENGTH = 16;
    public static final int OVERHEAD = NONCE_LENGTH + TAG_LENGTH;

    private GossipCipher() {}

    public static GossipCipher fromSecret(String secret) {
        throw new UnsupportedOperationException("not implemented yet");
    }

    /** Seals with a fresh random nonce. */
    public byte[] seal(byte[] plaintext) {
        throw new UnsupportedOperationException("not implemented yet");
    }

    /** Seals with the given nonce (tests and vectors). */
    public byte[] seal(byte[] plaintext, byte[] nonce) {
        throw new UnsupportedOperationException("not implemented yet");
    }

    /** The plaintext, or empty when the datagram is too short or its tag does not verify. */
    public Optional<byte[]> open(byte[] datagram, int offset, int length) {
        throw new UnsupportedOperationException("not implemented yet");
    }
}
