package dev.automesh.daemon;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Configures slf4j-simple through system properties; must run before the first logger is created
 * (slf4j-simple reads them once). Under systemd (JOURNAL_STREAM set) lines carry no timestamp (journald
 * adds its own) and start with a syslog {@code <N>} priority so journald records the level.
 */
public final class LogSetup {
    public static final Set<String> LEVELS = Set.of("trace", "debug", "info", "warn", "error", "off");

    private LogSetup() {}

    /** The level from the option, else AUTOMESH_LOG_LEVEL, else info; empty when the value is invalid. */
    public static Optional<String> chooseLevel(String option, Map<String, String> env) {
        String v = option != null ? option : env.getOrDefault("AUTOMESH_LOG_LEVEL", "info");
        String l = v.trim().toLowerCase(Locale.ROOT);
        return LEVELS.contains(l) ? Optional.of(l) : Optional.empty();
    }

    public static void configure(String level, Map<String, String> env) {
        boolean journal = env.containsKey("JOURNAL_STREAM");
        String p = "org.slf4j.simpleLogger.";
        System.setProperty(p + "defaultLogLevel", level);
        System.setProperty(p + "logFile", "System.err");
        System.setProperty(p + "showThreadName", "false");
        System.setProperty(p + "showShortLogName", "true");
        System.setProperty(p + "levelInBrackets", "false");
        System.setProperty(p + "showDateTime", journal ? "false" : "true");
        System.setProperty(p + "dateTimeFormat", "HH:mm:ss.SSS");
        // Netty is chatty at debug about its own internals; keep it at warn unless tracing.
        if (!level.equals("trace")) System.setProperty(p + "log.io.netty", "warn");
        // In a namespace with no Ethernet device Netty warns that it picked a random machine id for
        // channel ids; harmless (we never use channel ids) and confusing in the agent's log.
        System.setProperty(p + "log.io.netty.util.internal.MacAddressUtil", "error");
        if (journal) {
            // slf4j-simple looks System.err up at each write, so a wrapper installed now is used.
            System.setErr(new PrintStream(new SyslogPrefixStream(System.err), true, StandardCharsets.UTF_8));
        }
    }

    /**
     * Prefixes each line with {@code <3>}/{@code <4>}/{@code <6>}/{@code <7>} from the slf4j-simple level
     * word at its start; continuation lines (stack traces) keep the level of the line before.
     */
    static final class SyslogPrefixStream extends OutputStream {
        private final OutputStream out;
        private final ByteArrayOutputStream line = new ByteArrayOutputStream(256);
        private String lastPrefix = "<6>";

        SyslogPrefixStream(OutputStream out) {
            this.out = out;
        }

        static Optional<String> prefixFor(String line) {
            if (line.startsWith("ERROR ")) return Optional.of("<3>");
            if (line.startsWith("WARN ")) return Optional.of("<4>");
            if (line.startsWith("INFO ")) return Optional.of("<6>");
            if (line.startsWith("DEBUG ") || line.startsWith("TRACE ")) return Optional.of("<7>");
            return Optional.empty();
        }

        @Override
        public synchronized void write(int b) throws IOException {
            line.write(b);
            if (b == '\n') emit();
        }

        @Override
        public synchronized void write(byte[] b, int off, int len) throws IOException {
            for (int i = off; i < off + len; i++) write(b[i]);
        }

        private void emit() throws IOException {
            String s = line.toString(StandardCharsets.UTF_8);
            line.reset();
            Optional<String> p = prefixFor(s);
            if (p.isPresent()) lastPrefix = p.get();
            out.write((lastPrefix + s).getBytes(StandardCharsets.UTF_8));
        }

        @Override
        public synchronized void flush() throws IOException {
            out.flush();
        }
    }
}
