package dev.automesh.wire;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** Guards against a vector of vectors.md being forgotten: every hex string in it must be in {@link Vectors}. */
class VectorsCompletenessTest {
    @Test
    void everyHexStringOfVectorsMdIsCovered() throws IOException {
        String md;
        try (InputStream in = getClass().getResourceAsStream("vectors.md")) {
            assertNotNull(in, "test resource dev/automesh/wire/vectors.md (a copy of the shared vectors.md)");
            md = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        Set<String> known = new HashSet<>();
        known.add(Vectors.KEY);
        known.add(Vectors.KEY_EMPTY_SECRET);
        known.add(Vectors.NONCE);
        for (Vectors.Vector v : Vectors.MESSAGES) {
            known.add(v.plaintext());
            known.add(v.packet());
        }
        for (Vectors.StateVector s : Vectors.STATE_FILES) known.add(s.bytes());

        // Hex runs of 8+ characters with a digit and a letter (all-digit ones are numbers or checked below).
        Matcher m = Pattern.compile("\\b[0-9a-f]{8,}\\b").matcher(md);
        int found = 0;
        while (m.find()) {
            String hex = m.group();
            if (!hex.matches(".*[0-9].*") || hex.matches("[0-9]+")) continue;
            found++;
            assertTrue(known.contains(hex), "vectors.md has a hex vector not covered by Vectors: " + hex);
        }
        assertFalse(found < 12, "expected at least 12 hex vectors in vectors.md, found " + found);
        assertTrue(md.contains(Vectors.SECRET) && md.contains(Vectors.PUBKEY));
        // The all-digit vectors the regex skips:
        for (String digits : new String[] {"| Ping | 00000000 |", "| Pong | 01000000 |", "| Request | 03000000 |",
                "empty map = 0000000000000000"}) {
            assertTrue(md.contains(digits), "vectors.md changed: " + digits);
        }
    }
}
