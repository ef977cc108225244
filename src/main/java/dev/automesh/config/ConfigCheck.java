package dev.automesh.config;

import java.io.PrintStream;
import java.nio.file.Path;

/**
 * `automesh check config.toml`: validate without a daemon, WireGuard or network. Usable straight
 * from the CLI: it never throws and never prints a stack trace.
 */
public final class ConfigCheck {
    private ConfigCheck() {}

    /** sysexits.h EX_CONFIG: what systemd and scripts expect for "your config is wrong". */
    public static final int EX_CONFIG = 78;
    /** sysexits.h EX_SOFTWARE: a bug in automesh, not in the config. */
    public static final int EX_SOFTWARE = 70;

    /** @return 0 and the summary on {@code out}, or {@link #EX_CONFIG} and one error line on {@code err} */
    public static int run(Path file, PrintStream out, PrintStream err) {
        Config config;
        try {
            config = ConfigLoader.load(file);
        } catch (ConfigException e) {
            err.println(e.getMessage());
            err.flush();
            return EX_CONFIG;
        } catch (RuntimeException e) {
            err.println(file + ": internal error while checking the config (please report): " + e);
            err.flush();
            return EX_SOFTWARE;
        }
        out.print(ConfigSummary.render(config));
        out.flush();
        return 0;
    }
}
