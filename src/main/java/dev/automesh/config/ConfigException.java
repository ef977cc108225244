package dev.automesh.config;

/**
 * A configuration error, rendered as one line:
 * {@code config.toml:14:12: peers[2].endpoint: "10.0.0.1" has no port (expected host:port or [v6]:port)}.
 * Line and column are 1-based; 0 when unknown (e.g. an unreadable file).
 */
public final class ConfigException extends Exception {
    private final String file;
    private final int line;
    private final int column;
    private final String keyPath;
    private final String problem;

    public ConfigException(String file, int line, int column, String keyPath, String problem) {
        super(render(file, line, column, keyPath, problem));
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

    public String file() { return file; }
    public int line() { return line; }
    public int column() { return column; }
    public String keyPath() { return keyPath; }
    public String problem() { return problem; }
}
