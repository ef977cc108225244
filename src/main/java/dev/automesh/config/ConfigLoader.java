package dev.automesh.config;

import java.nio.file.Path;

/** Reads and validates a wgautomesh-compatible TOML config. Owner: config. */
public final class ConfigLoader {
    private ConfigLoader() {}

    /** @throws ConfigException with file:line:column, key path and the fix, as one line */
    public static Config load(Path file) throws ConfigException {
        throw new UnsupportedOperationException("ConfigLoader.load: not implemented yet");
    }
}
