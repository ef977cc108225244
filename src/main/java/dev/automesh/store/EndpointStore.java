package dev.automesh.store;

import dev.automesh.wire.DecodeException;
import dev.automesh.wire.TimedEndpoint;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Clock;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Saves and loads known endpoints at persist_file: atomic writes (temp file, fsync, rename, fsync dir);
 * a corrupt file is moved aside (never deleted) and reported once. Immutable; the file system is the
 * only state.
 */
public final class EndpointStore {
    /** What load() found; {@code warning} is set when a corrupt file was moved aside. */
    public record Loaded(Map<String, List<TimedEndpoint>> table, Optional<String> warning) {}

    /** Far above any real table (a few hundred bytes per peer); larger is not a file we wrote. */
    static final long MAX_FILE_SIZE = 16L << 20;

    private static final DateTimeFormatter STAMP =
            DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'").withZone(ZoneOffset.UTC);

    private final Path file;
    private final Clock clock;

    public EndpointStore(Path file) {
        this(file, Clock.systemUTC());
    }

    /** {@code clock} names moved-aside files; tests pin it. */
    public EndpointStore(Path file, Clock clock) {
        this.file = file.toAbsolutePath();
        this.clock = clock;
    }

    public Path file() {
        return file;
    }

    /**
     * A missing file is an empty table; an unreadable or corrupt one is moved aside with a warning.
     * Call it at start-up, not while a save() may be running: it also deletes temp files a crashed save
     * left behind.
     */
    public Loaded load() {
        removeStaleTemps();
        String problem;
        try {
            long size = Files.size(file);
            if (size > MAX_FILE_SIZE) {
                problem = "it is " + size + " bytes, more than any endpoint table (" + MAX_FILE_SIZE + ")";
            } else {
                return new Loaded(StateFile.decode(Files.readAllBytes(file)), Optional.empty());
            }
        } catch (NoSuchFileException e) {
            return new Loaded(Map.of(), Optional.empty());
        } catch (DecodeException e) {
            problem = "it is not a valid endpoint table (" + e.getMessage() + ")";
        } catch (IOException e) {
            problem = "it cannot be read (" + e + ")";
        }
        return new Loaded(Map.of(), Optional.of(moveAside(problem)));
    }

    /** Renames the bad file to {@code <file>.corrupt-<UTC time>} and says so in one line. */
    private String moveAside(String problem) {
        String base = file.getFileName() + ".corrupt-" + STAMP.format(clock.instant());
        Path target = file.resolveSibling(base);
        for (int i = 1; Files.exists(target, java.nio.file.LinkOption.NOFOLLOW_LINKS); i++) {
            target = file.resolveSibling(base + "-" + i);
        }
        try {
            // No REPLACE_EXISTING: an earlier moved-aside file must never be overwritten.
            Files.move(file, target);
        } catch (IOException e) {
            return "persist file " + file + ": " + problem + "; could not move it aside (" + e
                    + "); left it in place and starting with no saved endpoints";
        }
        return "persist file " + file + ": " + problem + "; moved it to " + target
                + " and starting with no saved endpoints";
    }

    /**
     * Writes the table atomically: a temp file in the same directory is written and fsynced, renamed
     * over the file, then the directory is fsynced. Readers and a crash at any point see either the old
     * or the new complete file; on failure the old file is untouched and the temp file removed.
     */
    public void save(Map<String, List<TimedEndpoint>> table) throws IOException {
        byte[] bytes = StateFile.encode(table);
        Path dir = file.getParent();
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new IOException("cannot create directory " + dir + " for persist file " + file + ": " + e, e);
        }
        Path tmp;
        try {
            tmp = Files.createTempFile(dir, tempPrefix(), ".tmp");
        } catch (IOException e) {
            // The JDK's message is often just the temp file's path: name the file we save and why.
            throw new IOException("cannot save persist file " + file + ": cannot create a temporary file in " + dir
                    + " (" + why(e) + "); choose a persist_file in a writable directory", e);
        }
        boolean renamed = false;
        try {
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
                ByteBuffer buf = ByteBuffer.wrap(bytes);
                while (buf.hasRemaining()) ch.write(buf);
                ch.force(true);
            }
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            renamed = true;
            // The rename is durable only once the directory entry is on disk.
            try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
                d.force(true);
            }
        } catch (IOException e) {
            throw new IOException("saving persist file " + file + " failed"
                    + (renamed ? " after the rename (directory fsync)" : ", the previous file is unchanged")
                    + ": " + e, e);
        } finally {
            if (!renamed) Files.deleteIfExists(tmp);
        }
    }

    /** The reason of a file-system error, by its type when the JDK gives none. */
    static String why(IOException e) {
        if (e instanceof java.nio.file.FileSystemException f && f.getReason() != null) return f.getReason();
        if (e instanceof java.nio.file.AccessDeniedException) return "permission denied";
        if (e instanceof java.nio.file.NoSuchFileException) return "no such file or directory";
        if (e instanceof java.nio.file.FileAlreadyExistsException) return "file exists";
        if (e instanceof java.nio.file.FileSystemException) return e.getClass().getSimpleName();
        return String.valueOf(e.getMessage());
    }

    private String tempPrefix() {
        return "." + file.getFileName() + ".";
    }

    /** Temp files left by a crash between create and rename: ours by name, never complete, safe to drop. */
    private void removeStaleTemps() {
        Path dir = file.getParent();
        String glob = tempPrefix().replace("\\", "\\\\").replace("*", "\\*").replace("?", "\\?")
                .replace("[", "\\[").replace("{", "\\{") + "*.tmp";
        try (DirectoryStream<Path> stale = Files.newDirectoryStream(dir, glob)) {
            for (Path p : stale) {
                if (Files.isRegularFile(p, java.nio.file.LinkOption.NOFOLLOW_LINKS)) Files.deleteIfExists(p);
            }
        } catch (IOException | RuntimeException e) {
            // Best effort only: a leftover temp file is harmless.
        }
    }
}
