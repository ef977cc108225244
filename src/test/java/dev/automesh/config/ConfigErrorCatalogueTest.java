package dev.automesh.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The config error catalogue: one small file per failure under {@code config/errors/}. Each file's
 * first line states what must be reported:
 * {@code # expect: LINE:COLUMN KEYPATH | message fragment} (KEYPATH "-" for none, 0:0 for no position).
 */
class ConfigErrorCatalogueTest {
    private static final Pattern EXPECT = Pattern.compile("^# expect: (\\d+):(\\d+) (\\S+) \\| (.+)$");

    static Stream<Path> catalogue() throws IOException, URISyntaxException {
        Path dir = Path.of(ConfigErrorCatalogueTest.class.getResource("/config/errors").toURI());
        List<Path> files;
        try (Stream<Path> s = Files.list(dir)) {
            files = s.filter(p -> p.toString().endsWith(".toml")).sorted().toList();
        }
        assertTrue(files.size() >= 40, "the catalogue lost files: " + files.size());
        return files.stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("catalogue")
    void eachFileFailsWithItsPositionKeyAndMessage(Path file) throws IOException {
        String first = new String(Files.readAllBytes(file), StandardCharsets.ISO_8859_1).lines().findFirst().orElse("");
        Matcher m = EXPECT.matcher(first);
        assertTrue(m.matches(), file.getFileName() + " must start with '# expect: L:C key | fragment'");
        int line = Integer.parseInt(m.group(1));
        int column = Integer.parseInt(m.group(2));
        String key = m.group(3).equals("-") ? "" : m.group(3);
        String fragment = m.group(4);

        ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.load(file));
        String where = file.getFileName() + " -> " + e.getMessage();
        assertEquals(file.toString(), e.file(), where);
        assertEquals(line, e.line(), "line: " + where);
        assertEquals(column, e.column(), "column: " + where);
        assertEquals(key, e.keyPath(), "key path: " + where);
        assertTrue(e.problem().contains(fragment), "message lacks \"" + fragment + "\": " + where);

        String expectedPrefix = file + (line > 0 ? ":" + line + ":" + column : "") + ": " + (key.isEmpty() ? "" : key + ": ");
        assertTrue(e.getMessage().startsWith(expectedPrefix), "rendering: " + where);
        assertEquals(-1, e.getMessage().indexOf('\n'), "one line: " + where);

        // The same file through the check entry point: invalid, the same single line on stderr, nothing on stdout.
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        ConfigCheck.Outcome status = ConfigCheck.run(file, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        assertEquals(ConfigCheck.Outcome.INVALID, status, where); // the CLI maps it to exit 78 (MainTest)
        assertEquals("", out.toString(StandardCharsets.UTF_8), where);
        assertEquals(e.getMessage() + System.lineSeparator(), err.toString(StandardCharsets.UTF_8), where);
    }

    @Test
    void missingConfigFileIsAConfigErrorWithoutPosition() {
        Path missing = Path.of("/nonexistent/amc-automesh/config.toml");
        ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.load(missing));
        assertEquals(missing + ": cannot read the config file: no such file", e.getMessage());

        ByteArrayOutputStream err = new ByteArrayOutputStream();
        ConfigCheck.Outcome status = ConfigCheck.run(missing, new PrintStream(new ByteArrayOutputStream()),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        assertEquals(ConfigCheck.Outcome.INVALID, status);
        assertTrue(err.toString(StandardCharsets.UTF_8).startsWith(missing + ": cannot read"));
    }

    @Test
    void directoryAsConfigIsAConfigError(@org.junit.jupiter.api.io.TempDir Path dir) {
        ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.load(dir));
        assertEquals(dir + ": is a directory, not a config file", e.getMessage());
    }
}
