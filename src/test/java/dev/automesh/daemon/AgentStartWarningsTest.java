package dev.automesh.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import dev.automesh.config.Config;
import dev.automesh.config.ConfigLoader;
import dev.automesh.wg.WireGuardException;
import dev.automesh.wg.WireGuardException.Reason;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The agent itself warns about a config that `check` warns about, once, and never logs the secret. */
class AgentStartWarningsTest {
    @TempDir
    Path dir;

    /** Runs an agent whose interface cannot be opened; returns what it logged (slf4j-simple writes to System.err). */
    private static String runAndCaptureLog(Config config) throws Exception {
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        PrintStream saved = System.err;
        System.setErr(new PrintStream(log, true, StandardCharsets.UTF_8));
        try {
            Agent a = new Agent(config, List.of(), () -> {
                throw new WireGuardException(Reason.NOT_PERMITTED, "wg0: operation not permitted");
            }, System::currentTimeMillis);
            assertEquals(ExitCode.NOPERM, a.run());
        } finally {
            System.setErr(saved);
        }
        return log.toString(StandardCharsets.UTF_8);
    }

    @Test
    void anEmptySecretFileIsWarnedAboutOnceAtStart() throws Exception {
        Path secret = Files.createFile(dir.resolve("empty-secret"));
        Path f = dir.resolve("c.toml");
        Files.writeString(f, "interface = \"wg0\"\ngossip_port = 1666\ngossip_secret_file = \"" + secret + "\"\n"
                + "[[peers]]\npubkey = \"7Nm7pMmyS7Nts1MB+loyD8u84ODxHPTkDu+uqQR6yDk=\"\naddress = \"10.0.0.2\"\n");
        String log = runAndCaptureLog(ConfigLoader.load(f));
        assertEquals(1, log.lines().filter(l -> l.contains("WARN") && l.contains("no gossip secret")).count(), log);
    }

    @Test
    void aKnownSecretNeverReachesTheLog() throws Exception {
        String known = "agent-log-known-secret-4711";
        Path f = dir.resolve("c.toml");
        Files.writeString(f, "interface = \"wg0\"\ngossip_port = 1666\ngossip_secret = \"" + known + "\"\n");
        String log = runAndCaptureLog(ConfigLoader.load(f));
        assertFalse(log.isEmpty(), "something was logged");
        assertFalse(log.contains(known), log);
        assertFalse(log.contains("no gossip secret"), log);
    }
}
