package dev.automesh.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Files a drop-in must read (BOM, CRLF), and files no heap should have to parse. */
class ConfigBoundsTest {
    /** The systemd unit's JVM flags that bear on parsing: heap, stack and collector. */
    static final List<String> UNIT_FLAGS = List.of("-XX:+UseSerialGC", "-Xms8m", "-Xmx48m", "-Xmn2m",
            "-XX:MinHeapFreeRatio=10", "-XX:MaxHeapFreeRatio=20", "-Xss256k", "-XX:TieredStopAtLevel=1",
            "-XX:CompileThresholdScaling=3", "-XX:+ExitOnOutOfMemoryError");

    @TempDir
    Path dir;

    private Path write(String name, String text) throws IOException {
        Path p = dir.resolve(name);
        Files.writeString(p, text, StandardCharsets.UTF_8);
        return p;
    }

    @Test
    void byteOrderMarkAndCrlfAreAccepted() throws Exception {
        Path f = Path.of(getClass().getResource("/config/ok/bom-crlf.toml").toURI());
        assertEquals((byte) 0xef, Files.readAllBytes(f)[0], "the sample really starts with a BOM");
        Config c = ConfigLoader.load(f);
        assertEquals("wg0", c.interfaceName());
        assertEquals("77.207.15.215:33722", c.peers().get(0).endpoint().orElseThrow().toString());
    }

    @Test
    void byteOrderMarkDoesNotShiftColumns() throws Exception {
        Path f = write("bom.toml", "\ufeffinterface = 5\ngossip_port = 1666\n");
        ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.load(f));
        assertEquals(f + ":1:13: interface: expected a string, got an integer 5; put the value in double quotes", e.getMessage());
    }

    @Test
    void aByteOrderMarkLaterInTheFileIsStillAnError() throws Exception {
        Path f = write("bom2.toml", "interface = \"wg0\"\n\ufeffgossip_port = 1666\n");
        ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.load(f));
        assertEquals(ConfigException.Reason.SYNTAX, e.reason());
        assertEquals(2, e.line());
    }

    @Test
    void anOversizedStringIsRefusedWhereItStarts() throws Exception {
        Path f = write("long.toml", "interface = \"wg0\"\ngossip_port = 1666\n[[peers]]\npubkey = \"x\"\nname = \"\"\"\n"
                + "n".repeat(150 * 1024) + "\"\"\"\n");
        ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.load(f));
        assertEquals(ConfigException.Reason.TOO_LARGE, e.reason());
        assertEquals(f + ":5:8: a string longer than 16384 characters; no automesh value is that long (is this the right file?)",
                e.getMessage());
    }

    @Test
    void tooManyCharactersOutsideCommentsIsRefusedAt1To1() throws Exception {
        Path f = write("dense.toml", denseConfig(TomlBounds.MAX_SIGNIFICANT_CHARS + 100));
        ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.load(f));
        assertEquals(ConfigException.Reason.TOO_LARGE, e.reason());
        assertEquals(1, e.line());
        assertEquals(1, e.column());
        assertTrue(e.problem().startsWith("has more than " + TomlBounds.MAX_SIGNIFICANT_CHARS + " characters outside comments"), e.getMessage());
    }

    @Test
    void commentsAndIndentationDoNotCount() throws Exception {
        StringBuilder sb = new StringBuilder("interface = \"wg0\"\ngossip_port = 1666\n");
        while (sb.length() < 900_000) sb.append("        # ").append("c".repeat(200)).append('\n');
        Config c = ConfigLoader.load(write("comments.toml", sb.toString()));
        assertEquals("wg0", c.interfaceName());
    }

    @Test
    void quotesInsideStringsAndCommentsDoNotConfuseTheScan() throws Exception {
        Config c = ConfigLoader.load(write("q.toml", "interface = \"w#g'0\" # it's \"quoted\"\n"
                .replace("w#g'0", "wg0") + "gossip_secret = 'a\"b#c'\ngossip_port = 1666\n"
                + "persist_file = \"\"\"/var/lib/\\\"x\\\"/state\"\"\"\n"));
        assertEquals("a\"b#c", c.gossipSecret().reveal());
        assertEquals(Path.of("/var/lib/\"x\"/state"), c.persistFile().orElseThrow());
    }

    /** A config of {@code chars} characters in tomlj's costliest shape measured: arrays of small integers. */
    static String denseConfig(int chars) {
        StringBuilder sb = new StringBuilder("interface = \"wg0\"\ngossip_port = 1666\n");
        int i = 0;
        while (sb.length() < chars) {
            sb.append(String.format("k%05d=[%s]%n", i++, "1,".repeat(30) + "1"));
        }
        return sb.toString();
    }

    /**
     * `automesh check` in a JVM with the unit's flags: what is refused is refused in one line with the
     * config status (no OutOfMemoryError, no stack trace), and the densest file under the caps parses.
     */
    @Test
    void checkUnderTheUnitsHeapAgreesWithCheckHere() throws Exception {
        Path oversized = write("oversized.toml", "interface = \"wg0\"\ngossip_port = 1666\ngossip_secret = \""
                + "s".repeat(150 * 1024) + "\"\n");
        Run r = check(oversized);
        assertEquals(dev.automesh.daemon.ExitCode.CONFIG, r.status, r.output);
        assertEquals(oversized + ":3:17: a string longer than 16384 characters; no automesh value is that long"
                + " (is this the right file?)\n", r.output);

        // Just under both caps: 64 K characters of arrays, and strings of 16 K characters.
        StringBuilder sb = new StringBuilder(denseConfig(TomlBounds.MAX_SIGNIFICANT_CHARS - 3 * 16_400));
        for (int i = 0; i < 3; i++) sb.append("s").append(i).append(" = \"").append("s".repeat(TomlBounds.MAX_STRING_CHARS)).append("\"\n");
        Path dense = write("dense.toml", sb.toString());
        assertFalse(rejectedAsTooLarge(dense), "the test file must be under the caps");
        Run ok = check(dense);
        assertEquals(dev.automesh.daemon.ExitCode.CONFIG, ok.status, ok.output);
        assertTrue(ok.output.startsWith(dense + ":3:1: k00000: unknown key"), "parsed, then refused for its keys: " + ok.output);
        assertEquals(1, ok.output.lines().count(), ok.output);
    }

    private static boolean rejectedAsTooLarge(Path f) {
        try {
            ConfigLoader.load(f);
            return false;
        } catch (ConfigException e) {
            return e.reason() == ConfigException.Reason.TOO_LARGE;
        }
    }

    record Run(int status, String output) {}

    private Run check(Path file) throws Exception {
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        List<String> cmd = new ArrayList<>(List.of(java.toString()));
        cmd.addAll(UNIT_FLAGS);
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), "dev.automesh.daemon.Main", "check", file.toString()));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        p.getOutputStream().close();
        byte[] out = p.getInputStream().readAllBytes();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "check finished");
        return new Run(p.exitValue(), new String(out, StandardCharsets.UTF_8));
    }
}
