package dev.automesh.store;

import dev.automesh.wire.TimedEndpoint;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Saves and loads known endpoints at persist_file: atomic writes (temp file, fsync, rename, fsync dir);
 * a corrupt file is moved aside (never deleted) and reported once. Owner: wire.
 */
public final class EndpointStore {
    /** What load() found; {@code warning} is set when a corrupt file was moved aside. */
    public record Loaded(Map<String, List<TimedEndpoint>> table, Optional<String> warning) {}

    private final Path file;

    public EndpointStore(Path file) {
        this.file = file;
    }

    public Path file() {
        return file;
    }

    /** A missing file is an empty table; an unreadable or corrupt one is moved aside with a warning. */
    public Loaded load() {
        throw new UnsupportedOperationException("not implemented yet");
    }

    public void save(Map<String, List<TimedEndpoint>> table) throws IOException {
        throw new UnsupportedOperationException("not implemented yet");
    }
}
