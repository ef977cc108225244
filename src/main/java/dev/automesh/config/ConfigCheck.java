package dev.automesh.config;

import java.io.PrintStream;
import java.nio.file.Path;

/**
 * `automesh check config.toml`: validate without a daemon, WireGuard or network. Usable straight
 * from the CLI: it never throws and never prints a stack trace.
 */
public final class ConfigCheck {
    private ConfigCheck() {}

    /** What the check found; the CLI maps it to an exit status (daemon/ExitCode). */
    public enum Outcome {
        /** Valid: the summary went to {@code out}. */
        VALID,
        /** Not valid: one error line went to {@code err}. */
        INVALID,
        /** A bug in automesh, not in the config: one line went to {@code err}. */
        BUG
    }

    public static Outcome run(Path file, PrintStream out, PrintStream err) {
        Config config;
        try {
            config = ConfigLoader.load(file);
        } catch (ConfigException e) {
            err.println(e.getMessage());
            err.flush();
            return Outcome.INVALID;
        } catch (RuntimeException e) {
            err.println(file + ": internal error while checking the config (please report): " + e);
            err.flush();
            return Outcome.BUG;
        }
        out.print(ConfigSummary.render(config));
        out.flush();
        return Outcome.VALID;
    }
}
