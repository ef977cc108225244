package dev.automesh.config;

import java.util.Objects;

/**
 * A configuration error, rendered as one line:
 * {@code config.toml:14:12: peers[2].endpoint: "10.0.0.1" has no port (expected host:port or [v6]:port)}.
 * Line and column are 1-based; 0 when unknown (e.g. an unreadable file). {@link #reason()} classifies
 * it for code; the text is for people.
 */
public final class ConfigException extends Exception {
    /** What kind of mistake it is; callers branch on this, never on the message text. */
    public enum Reason {
        /** The file cannot be read: missing, a directory, permissions. */
        UNREADABLE,
        /** Bigger than automesh parses within its heap. */
        TOO_LARGE,
        /** Not UTF-8 or not TOML. */
        SYNTAX,
        /** A key automesh does not know (usually a typo). */
        UNKNOWN_KEY,
        /** A required key is absent. */
        MISSING_KEY,
        /** A value of the wrong TOML type (a string where a number belongs...). */
        WRONG_TYPE,
        /** A value of the right type that is not acceptable. */
        INVALID_VALUE,
        /** Two entries that must differ (keys, addresses, names), or two keys that exclude each other. */
        CONFLICT,
        /** gossip_secret_file cannot be used. */
        SECRET_FILE,
    }

    private final Reason reason;
    private final String file;
    private final int line;
    private final int column;
    private final String keyPath;
    private final String problem;

    public ConfigException(Reason reason, String file, int line, int column, String keyPath, String problem) {
        super(render(file, line, column, keyPath, problem));
        this.reason = Objects.requireNonNull(reason, "reason");
        this.file = file;
        this.line = line;
        this.column = column;
        this.keyPath = keyPath;
        this.problem = problem;
    }

    private static String render(String file, int line, int column, String keyPath, String problem) {
        StringBuilder sb = new StringBuilder(file);
        if (line > 0) {
            sb.append(':').append(line);
            if (column > 0) sb.append(':').append(column);
        }
        sb.append(": ");
        if (keyPath != null && !keyPath.isEmpty()) sb.append(keyPath).append(": ");
        return sb.append(problem).toString();
    }

    public Reason reason() { return reason; }
    public String file() { return file; }
    public int line() { return line; }
    public int column() { return column; }
    public String keyPath() { return keyPath; }
    public String problem() { return problem; }
}
