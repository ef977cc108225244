package dev.automesh.daemon;

import static org.junit.jupiter.api.Assertions.*;

import dev.automesh.config.ConfigException;
import dev.automesh.config.ConfigLoader;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The CLI in-process: exit statuses and what lands on stdout/stderr. */
class MainTest {
    record Outcome(int exit, String out, String err, boolean agentRan) {}

    static Outcome cli(Map<String, String> env, String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        boolean[] ran = new boolean[1];
        int exit = Main.run(args, env, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8), c -> {
                    ran[0] = true;
                    return 0;
                });
        return new Outcome(exit, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8), ran[0]);
    }

    static Outcome cli(String... args) {
        return cli(Map.of(), args);
    }

    @Test
    void helpGoesToStdoutWithStatus0() {
        for (String h : new String[] {"--help", "-h"}) {
            Outcome o = cli(h);
            assertEquals(0, o.exit());
            assertTrue(o.out().startsWith("usage: automesh"), o.out());
            assertTrue(o.out().contains("check CONFIG.toml"));
            assertTrue(o.out().contains("--log-level"));
            assertEquals("", o.err());
        }
        // --help wins even after other arguments.
        assertEquals(0, cli("run", "x.toml", "--help").exit());
    }

    @Test
    void versionPrintsOneLine() {
        Outcome o = cli("--version");
        assertEquals(0, o.exit());
        assertTrue(o.out().matches("automesh \\S.*\\n"), o.out());
        assertEquals(o.out(), cli("-V").out());
    }

    @Test
    void unknownOptionIsAUsageErrorOnOneLine() {
        Outcome o = cli("--frobnicate", "a.toml");
        assertEquals(ExitCode.USAGE, o.exit());
        assertEquals("automesh: unknown option --frobnicate (see automesh --help)\n", o.err());
        assertEquals("", o.out());
        assertFalse(o.agentRan());
    }

    @Test
    void missingOrExtraArgumentsAreUsageErrors() {
        assertEquals(ExitCode.USAGE, cli().exit());
        assertEquals(ExitCode.USAGE, cli("run").exit());
        assertEquals(ExitCode.USAGE, cli("check").exit());
        Outcome o = cli("a.toml", "b.toml");
        assertEquals(ExitCode.USAGE, o.exit());
        assertTrue(o.err().contains("unexpected argument b.toml"), o.err());
        assertEquals(ExitCode.USAGE, cli("--log-level").exit());
    }

    @Test
    void badLogLevelFromOptionOrEnvironmentIsRejected() {
        Outcome o = cli("--log-level", "loud", "a.toml");
        assertEquals(ExitCode.USAGE, o.exit());
        assertTrue(o.err().contains("\"loud\""), o.err());
        Outcome e = cli(Map.of("AUTOMESH_LOG_LEVEL", "chatty"), "a.toml");
        assertEquals(ExitCode.USAGE, e.exit());
        assertTrue(e.err().contains("AUTOMESH_LOG_LEVEL"), e.err());
        assertEquals(1, e.err().lines().count());
    }

    @Test
    void logLevelPrecedenceOptionThenEnvironmentThenInfo() {
        assertEquals("debug", LogSetup.chooseLevel("DEBUG", Map.of("AUTOMESH_LOG_LEVEL", "warn")).orElseThrow());
        assertEquals("warn", LogSetup.chooseLevel(null, Map.of("AUTOMESH_LOG_LEVEL", "warn")).orElseThrow());
        assertEquals("info", LogSetup.chooseLevel(null, Map.of()).orElseThrow());
    }

    @Test
    void missingConfigFileIsOneLineAndStatus78(@TempDir Path dir) {
        requireConfigLoader(dir);
        Path missing = dir.resolve("nope.toml");
        for (String[] args : new String[][] {{missing.toString()}, {"run", missing.toString()}, {"check", missing.toString()}}) {
            Outcome o = cli(args);
            assertEquals(ExitCode.CONFIG, o.exit(), o.err());
            assertEquals(1, o.err().lines().count(), o.err());
            assertTrue(o.err().contains("nope.toml"), o.err());
            assertFalse(o.err().contains("Exception"), o.err());
            assertFalse(o.agentRan());
        }
    }

    @Test
    void invalidConfigIsOneLineAndStatus78(@TempDir Path dir) throws Exception {
        requireConfigLoader(dir);
        Path bad = dir.resolve("bad.toml");
        Files.writeString(bad, "interface = \"wg0\"\ngossip_port = \"not a number\"\n");
        Outcome o = cli("check", bad.toString());
        assertEquals(78, ExitCode.CONFIG, "sysexits.h EX_CONFIG, what systemd and scripts expect");
        assertEquals(ExitCode.CONFIG, o.exit(), o.err());
        assertEquals(1, o.err().lines().count(), o.err());
        assertTrue(o.err().startsWith(bad.toString()), o.err());
    }

    /** The config loader is another engineer's part; until it is merged there is nothing to check. */
    static void requireConfigLoader(Path dir) {
        try {
            ConfigLoader.load(dir.resolve("probe.toml"));
        } catch (UnsupportedOperationException e) {
            Assumptions.abort("SKIPPED: ConfigLoader not merged yet");
        } catch (ConfigException | RuntimeException e) {
            // implemented
        }
    }

    @Test
    void statusWithoutAnAgentSaysSoAndExits3(@TempDir Path dir) {
        Outcome o = cli("status", "--socket", dir.resolve("none.sock").toString());
        assertEquals(3, o.exit());
        assertTrue(o.err().startsWith("automesh: no agent is running"), o.err());
        assertEquals(1, o.err().lines().count());
        assertFalse(o.agentRan());
        assertEquals(ExitCode.USAGE, cli("--json", "a.toml").exit(), "--json is for status only");
        assertEquals(ExitCode.USAGE, cli("status", "--socket", "x", "a.toml").exit());
    }

    @Test
    void statusWithAConfigNeedsOnlyItsSocketNotTheSecret(@TempDir Path dir) throws Exception {
        // The secret file is missing (as if readable by root only): status must still find the socket.
        Path cfg = dir.resolve("c.toml");
        Files.writeString(cfg, "interface = \"wg0\"\ngossip_port = 1666\ngossip_secret_file = \"" + dir.resolve("absent")
                + "\"\ncontrol_socket = \"" + dir.resolve("ctl.sock") + "\"\n");
        Outcome o = cli("status", cfg.toString());
        assertEquals(3, o.exit(), o.err());
        assertTrue(o.err().contains(dir.resolve("ctl.sock").toString()), o.err());
        assertEquals(ExitCode.CONFIG, cli("check", cfg.toString()).exit(), "check still reads the secret");
    }

    @Test
    void anInternalErrorInTheAgentExits70OnOneLine(@TempDir Path dir) throws Exception {
        Path cfg = dir.resolve("c.toml");
        Files.writeString(cfg, "interface = \"wg0\"\ngossip_port = 1666\n");
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int exit = Main.run(new String[] {cfg.toString()}, Map.of(), new PrintStream(new ByteArrayOutputStream()),
                new PrintStream(err, true, StandardCharsets.UTF_8), c -> {
                    throw new IllegalStateException("boom");
                });
        assertEquals(ExitCode.SOFTWARE, exit);
        String e = err.toString(StandardCharsets.UTF_8);
        assertEquals(1, e.lines().count(), e);
        assertTrue(e.contains("internal error") && e.contains("boom"), e);
    }

    @Test
    void syslogPrefixesFollowTheLevelWord() throws Exception {
        ByteArrayOutputStream sink = new ByteArrayOutputStream();
        try (var s = new PrintStream(new LogSetup.SyslogPrefixStream(sink), true, StandardCharsets.UTF_8)) {
            s.println("WARN Agent - cannot configure");
            s.println("\tat some.Frame");
            s.println("INFO Agent - running");
            s.println("ERROR Agent - boom");
            s.println("DEBUG Agent - detail");
        }
        assertEquals("<4>WARN Agent - cannot configure\n<4>\tat some.Frame\n<6>INFO Agent - running\n"
                + "<3>ERROR Agent - boom\n<7>DEBUG Agent - detail\n", sink.toString(StandardCharsets.UTF_8));
    }
}
