package dev.automesh.crypto;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Objects;

/**
 * The mesh's gossip secret, verbatim (a trailing newline read from a file is part of it, as in
 * wgautomesh). It lives in crypto, below config, so that {@link GossipCipher} can take it without an
 * arrow pointing up. {@link #toString()} shows its length only, so a record or log line that holds it
 * cannot print it; {@link #equals} compares in constant time.
 */
public final class GossipSecret {
    /** No secret: wgautomesh then derives the key from the empty string, which anyone can do. */
    public static final GossipSecret NONE = new GossipSecret("");

    private final String text;

    private GossipSecret(String text) {
        this.text = text;
    }

    public static GossipSecret of(String verbatim) {
        Objects.requireNonNull(verbatim, "secret");
        return verbatim.isEmpty() ? NONE : new GossipSecret(verbatim);
    }

    public boolean isEmpty() {
        return text.isEmpty();
    }

    /** Length in UTF-8 bytes: what `check` may show about it. */
    public int utf8Length() {
        return text.getBytes(StandardCharsets.UTF_8).length;
    }

    /** `echo` vs `printf %s` changes the key; the summary says so without showing the secret. */
    public boolean endsWithNewline() {
        return text.endsWith("\n");
    }

    /** The secret itself, for the key derivation only. Never log or format the result. */
    public String reveal() {
        return text;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof GossipSecret s && MessageDigest.isEqual(
                text.getBytes(StandardCharsets.UTF_8), s.text.getBytes(StandardCharsets.UTF_8));
    }

    /** By length only: a hash of the text would be a cheap oracle for it. */
    @Override
    public int hashCode() {
        return text.length();
    }

    @Override
    public String toString() {
        if (text.isEmpty()) return "GossipSecret[none]";
        int n = utf8Length();
        return "GossipSecret[" + n + (n == 1 ? " byte]" : " bytes]");
    }
}
