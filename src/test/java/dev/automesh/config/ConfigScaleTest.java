package dev.automesh.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Many peers are read; files at the caps that sections make possible still parse within the unit's heap. */
class ConfigScaleTest {
    @TempDir
    Path dir;

    private Path write(String name, String text) throws IOException {
        Path p = dir.resolve(name);
        Files.writeString(p, text, StandardCharsets.UTF_8);
        return p;
    }

    @Test
    void aDuplicateFarDownPointsAtBothLines() throws Exception {
        String text = ConfigScale.realistic(1000) + "\n[[peers]]\npubkey = \"" + ConfigScale.pubkey(7) + "\"\naddress = \"10.99.0.1\"\n";
        Path f = write("dup.toml", text);
        ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.load(f));
        long line = text.lines().count() - 1;
        long first = text.lines().takeWhile(l -> !l.contains(ConfigScale.pubkey(7))).count() - 1;
        assertEquals(f + ":" + line + ":10: peers[1000].pubkey: same key as peers[7] (line " + first
                + "); each peer may appear once: remove or merge one", e.getMessage());
    }

    @Test
    void peersAsATableAfterPeersAsAnArrayIsAnError() throws Exception {
        String text = ConfigScale.realistic(3) + "\n[peers]\nname = \"x\"\n";
        Path f = write("clash.toml", text);
        ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.load(f));
        List<String> lines = text.lines().toList();
        assertEquals(f + ":" + (lines.indexOf("[peers]") + 1) + ":1: invalid TOML: peers previously defined at line "
                + (lines.indexOf("[[peers]]") + 1) + ", column 1", e.getMessage());
    }

    @Test
    void tooManyValuesInAllIsRefusedAtTheSectionThatPassesTheCap() throws Exception {
        StringBuilder sb = new StringBuilder("interface = \"wg0\"\ngossip_port = 1666\n");
        int line = 3;
        int sectionLine = 0;
        for (int s = 0; sb.length() < TomlBounds.MAX_TOTAL_SIGNIFICANT_CHARS - 10_000; s++) {
            sectionLine = line;
            sb.append("[t").append(s).append("]\n");
            line++;
            for (int k = 0; k < 100; k++, line++) sb.append("k").append(k).append(" = [").append("1,".repeat(49)).append("1]\n");
            if ((s + 1) * 100 * 51 > TomlBounds.MAX_VALUES) break;
        }
        Path f = write("values.toml", sb.toString());
        ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.load(f));
        assertEquals(f + ":" + sectionLine + ":1: has more than " + TomlBounds.MAX_VALUES
                + " keys, values and tables in all, more than automesh keeps in memory (is this the right file?)", e.getMessage());
    }

    @Test
    void tooManyCharactersInAllIsRefusedAt1To1() throws Exception {
        StringBuilder sb = new StringBuilder("interface = \"wg0\"\ngossip_port = 1666\n");
        for (int s = 0; sb.length() <= TomlBounds.MAX_TOTAL_SIGNIFICANT_CHARS; s++) {
            sb.append("[t").append(s).append("]\ns = \"").append("x".repeat(TomlBounds.MAX_STRING_CHARS)).append("\"\n");
        }
        Path f = write("chars.toml", sb.toString());
        ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.load(f));
        assertEquals(f + ":1:1: has more than " + TomlBounds.MAX_TOTAL_SIGNIFICANT_CHARS + " characters outside comments,"
                + " more than automesh reads within its memory (is this the right file? comments do not count)", e.getMessage());
    }

    @Test
    void aDenseTableIsRefusedAtItsHeader() throws Exception {
        String text = "interface = \"wg0\"\ngossip_port = 1666\n[[peers]]\nname = \"a\"\n[t]\n"
                + ConfigBoundsTest.denseConfig(TomlBounds.MAX_SIGNIFICANT_CHARS + 100).substring(36);
        Path f = write("dense.toml", text);
        ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.load(f));
        assertEquals(f + ":5:1: has more than " + TomlBounds.MAX_SIGNIFICANT_CHARS + " characters outside comments in the"
                + " section under this header, more than automesh parses at once within its memory (is this the right file?"
                + " comments do not count)", e.getMessage());
    }

    /**
     * `automesh check` with the unit's flags: 4096 realistic peers pass, and the costliest file under
     * every cap (a dense top-level section, then as many values as the cap keeps, then strings up to
     * the total) is parsed and refused for its keys in one line, not by an OutOfMemoryError.
     */
    @Test
    void checkUnderTheUnitsHeapReadsTheLargestFiles() throws Exception {
        String text = ConfigScale.realistic(4096);
        assertTrue(text.length() < TomlBounds.MAX_TOTAL_SIGNIFICANT_CHARS, "the total cap admits 4096 peers: " + text.length());
        Path many = write("c4096.toml", text);
        Run ok = check(many);
        assertEquals(dev.automesh.daemon.ExitCode.OK, ok.status, ok.output);
        assertTrue(ok.output.startsWith(many + ": OK, 4096 peers\n"), ok.output.lines().findFirst().orElse(""));

        StringBuilder sb = new StringBuilder(ConfigBoundsTest.denseConfig(TomlBounds.MAX_SIGNIFICANT_CHARS - 200));
        int values = 2 + 32 * (int) (sb.toString().lines().count() - 2); // a key and 31 integers a line
        for (int s = 0; values < TomlBounds.MAX_VALUES - 3000; s++) {
            sb.append("[t").append(s).append("]\n");
            values++;
            for (int k = 0; k < 200 && values < TomlBounds.MAX_VALUES - 3000; k++, values += 51) {
                sb.append("k").append(k).append("=[").append("1,".repeat(49)).append("1]\n");
            }
        }
        for (int s = 0; sb.length() < TomlBounds.MAX_TOTAL_SIGNIFICANT_CHARS - 2 * TomlBounds.MAX_STRING_CHARS; s++) {
            sb.append("[s").append(s).append("]\ns = \"").append("x".repeat(TomlBounds.MAX_STRING_CHARS)).append("\"\n");
        }
        Path dense = write("dense.toml", sb.toString());
        Run r = check(dense);
        assertEquals(dev.automesh.daemon.ExitCode.CONFIG, r.status, r.output);
        assertTrue(r.output.startsWith(dense + ":3:1: k00000: unknown key"), "parsed, then refused for its keys: " + r.output);
        assertEquals(1, r.output.lines().count(), r.output);
    }

    record Run(int status, String output) {}

    private Run check(Path file) throws Exception {
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        List<String> cmd = new ArrayList<>(List.of(java.toString()));
        cmd.addAll(ConfigBoundsTest.UNIT_FLAGS);
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), "dev.automesh.daemon.Main", "check", file.toString()));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        p.getOutputStream().close();
        byte[] out = p.getInputStream().readAllBytes();
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "check finished");
        return new Run(p.exitValue(), new String(out, StandardCharsets.UTF_8));
    }
}
