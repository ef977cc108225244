package dev.automesh.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.automesh.wg.Backend;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** config.toml.example and docs/configuration.md stay valid and list every key the loader knows. */
class ConfigExampleTest {
    private static final Path EXAMPLE = Path.of("config.toml.example");
    private static final Path DOC = Path.of("docs/configuration.md");

    @Test
    void examplePassesCheck() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        ConfigCheck.Outcome rc = ConfigCheck.run(EXAMPLE, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        assertEquals(ConfigCheck.Outcome.VALID, rc, err.toString(StandardCharsets.UTF_8));
        assertTrue(out.toString(StandardCharsets.UTF_8).startsWith("config.toml.example: OK, 3 peers"), out.toString());
    }

    @Test
    void exampleShowsEveryKeyWithItsDefault() throws Exception {
        String text = Files.readString(EXAMPLE);
        List<String> missing = new ArrayList<>();
        for (String key : allKeys()) {
            if (key.equals("peers")) {
                if (!text.contains("[[peers]]")) missing.add(key);
            } else if (!Pattern.compile("(?m)^(# )?" + key + " = ").matcher(text).find()) {
                missing.add(key);
            }
        }
        assertEquals(List.of(), missing, "keys missing from config.toml.example");
        assertTrue(text.contains("TRAILING NEWLINE IS PART OF THE SECRET"), "the loud secret-file caveat");
        assertTrue(text.contains("printf %s"), "the printf %s vs echo advice");
    }

    @Test
    void exampleWithEveryCommentedDefaultUncommentedLoads() throws Exception {
        // The commented defaults must be valid values too: uncomment them all (except the two
        // exclusive secret keys) and the file must load.
        String text = Files.readString(EXAMPLE).replaceAll("(?m)^# ((?!gossip_secret)[a-z_0-9]+ = .*)$", "$1");
        Path tmp = Files.createTempFile("amc-example", ".toml");
        try {
            Files.writeString(tmp, text);
            Config c = ConfigLoader.load(tmp);
            assertEquals(Backend.AUTO, c.wireguardBackend());
            assertEquals(1000, c.wgPollMillis());
            assertEquals(51820, c.upnpForwardExternalPort().orElseThrow());
            assertTrue(c.metricsAddress().isPresent());
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    @Test
    void docTableListsEveryKey() throws Exception {
        String doc = Files.readString(DOC);
        List<String> missing = new ArrayList<>();
        for (String key : allKeys()) {
            if (!doc.contains("| `" + key + "`")) missing.add(key);
        }
        assertEquals(List.of(), missing, "keys missing from the table in docs/configuration.md");
    }

    private static List<String> allKeys() {
        List<String> keys = new ArrayList<>(ConfigLoader.TOP_KEYS);
        keys.addAll(ConfigLoader.PEER_KEYS);
        return keys;
    }
}
