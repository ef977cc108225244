package dev.automesh.store;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.automesh.testsupport.Facility;
import dev.automesh.wire.TimedEndpoint;
import dev.automesh.wire.Vectors;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EndpointStoreTest {
    private static final Clock CLOCK = Clock.fixed(Instant.parse("2026-11-22T05:06:07Z"), ZoneOffset.UTC);

    @TempDir
    Path dir;

    private static List<String> names(Path d) throws IOException {
        try (Stream<Path> s = Files.list(d)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    private static Map<String, List<TimedEndpoint>> table(int peers, int seed) {
        Map<String, List<TimedEndpoint>> t = new LinkedHashMap<>();
        for (int i = 0; i < peers; i++) {
            List<TimedEndpoint> eps = new ArrayList<>();
            for (int j = 0; j < 5; j++) {
                eps.add(new TimedEndpoint(new InetSocketAddress("10." + seed + "." + (i % 250) + "." + j, 51820 + j),
                        1_700_000_000L + i * 10 + j));
            }
            t.put("peer-" + seed + "-" + i, eps);
        }
        return t;
    }

    @Test
    void aSaveWhereNoFileCanBeCreatedNamesThePersistFileAndWhy() {
        // /proc takes no new files, even from root.
        Path file = Path.of("/proc/automesh-test.state");
        IOException e = assertThrows(IOException.class, () -> new EndpointStore(file).save(Map.of()));
        assertTrue(e.getMessage().contains("persist file " + file), e.getMessage());
        assertTrue(e.getMessage().contains("cannot create a temporary file in /proc ("), e.getMessage());
        assertFalse(e.getMessage().contains("()"), "a reason is given: " + e.getMessage());
    }

    @Test
    void missingFileIsAnEmptyTableWithoutWarning() {
        EndpointStore.Loaded l = new EndpointStore(dir.resolve("state.bin"), CLOCK).load();
        assertEquals(Map.of(), l.table());
        assertTrue(l.warning().isEmpty());
    }

    @Test
    void readsTheFileWgautomeshWrote() throws IOException {
        Vectors.StateVector real = Vectors.STATE_FILES.get(2);
        Path f = dir.resolve("wgautomesh.state");
        Files.write(f, real.raw());
        EndpointStore.Loaded l = new EndpointStore(f, CLOCK).load();
        assertEquals(real.table(), l.table());
        assertTrue(l.warning().isEmpty());
    }

    @Test
    void saveCreatesParentsWritesWgautomeshFormatAndLeavesNoTempFile() throws IOException {
        Path f = dir.resolve("var/lib/automesh/state.bin");
        EndpointStore store = new EndpointStore(f, CLOCK);
        Map<String, List<TimedEndpoint>> t = Vectors.STATE_FILES.get(0).table();
        store.save(t);
        assertArrayEquals(Vectors.STATE_FILES.get(0).raw(), Files.readAllBytes(f));
        assertEquals(List.of("state.bin"), names(f.getParent()));
        assertEquals(t, store.load().table());

        Map<String, List<TimedEndpoint>> bigger = table(20, 1);
        store.save(bigger);
        assertEquals(bigger, store.load().table());
        store.save(Map.of());
        assertArrayEquals(Vectors.HEX.parseHex("0000000000000000"), Files.readAllBytes(f), "shrinks, no stale tail");
        assertEquals(List.of("state.bin"), names(f.getParent()));
    }

    @Test
    void relativePathWorks() {
        EndpointStore s = new EndpointStore(Path.of("state.bin"));
        assertTrue(s.file().isAbsolute());
    }

    @Test
    void corruptFileIsMovedAsideWithContentAndOneLineWarning() throws IOException {
        Path f = dir.resolve("state.bin");
        byte[] corrupt = java.util.Arrays.copyOf(Vectors.STATE_FILES.get(0).raw(), 50); // truncated
        Files.write(f, corrupt);
        EndpointStore store = new EndpointStore(f, CLOCK);

        EndpointStore.Loaded l = store.load();
        assertEquals(Map.of(), l.table());
        Path aside = dir.resolve("state.bin.corrupt-20261122T050607Z");
        assertFalse(Files.exists(f), "the corrupt file is no longer in the way");
        assertArrayEquals(corrupt, Files.readAllBytes(aside), "content preserved");
        String w = l.warning().orElseThrow();
        assertFalse(w.contains("\n"), w);
        assertTrue(w.contains(f.toString()) && w.contains(aside.toString()) && w.contains("not a valid endpoint table"), w);

        // Same second again: the first moved-aside file is never overwritten.
        byte[] garbage = "not bincode at all".getBytes();
        Files.write(f, garbage);
        String w2 = store.load().warning().orElseThrow();
        Path aside2 = dir.resolve("state.bin.corrupt-20261122T050607Z-1");
        assertArrayEquals(corrupt, Files.readAllBytes(aside));
        assertArrayEquals(garbage, Files.readAllBytes(aside2));
        assertTrue(w2.contains(aside2.toString()), w2);

        // The agent goes on: saving works and the next load is clean.
        store.save(Vectors.STATE_FILES.get(0).table());
        EndpointStore.Loaded again = store.load();
        assertEquals(Vectors.STATE_FILES.get(0).table(), again.table());
        assertTrue(again.warning().isEmpty());
    }

    @Test
    void unreadableFileIsMovedAside() throws IOException {
        Path f = dir.resolve("state.bin");
        Files.createDirectory(f); // a directory where the file should be: cannot be read as a file
        Files.write(f.resolve("inside"), new byte[] {1, 2, 3});
        EndpointStore.Loaded l = new EndpointStore(f, CLOCK).load();
        assertEquals(Map.of(), l.table());
        assertTrue(l.warning().orElseThrow().contains("cannot be read"), l.warning().get());
        assertArrayEquals(new byte[] {1, 2, 3}, Files.readAllBytes(dir.resolve("state.bin.corrupt-20261122T050607Z/inside")));
    }

    @Test
    void absurdlyLargeFileIsMovedAsideWithoutReadingIt() throws IOException {
        Path f = dir.resolve("state.bin");
        try (RandomAccessFile raf = new RandomAccessFile(f.toFile(), "rw")) {
            raf.setLength(EndpointStore.MAX_FILE_SIZE + 1); // sparse: costs no disk
        }
        EndpointStore.Loaded l = new EndpointStore(f, CLOCK).load();
        assertTrue(l.warning().orElseThrow().contains("bytes, more than"), l.warning().get());
        assertEquals(EndpointStore.MAX_FILE_SIZE + 1, Files.size(dir.resolve("state.bin.corrupt-20261122T050607Z")));
    }

    @Test
    void staleTempFilesFromACrashAreRemovedAtLoad() throws IOException {
        Path f = dir.resolve("state.bin");
        Files.write(dir.resolve(".state.bin.12345.tmp"), new byte[] {9, 9});
        Files.write(dir.resolve("unrelated.tmp"), new byte[] {1});
        new EndpointStore(f, CLOCK).load();
        assertEquals(List.of("unrelated.tmp"), names(dir));
    }

    @Test
    void failedRenameLeavesNoTempFileAndSaysWhy() throws IOException {
        Path f = dir.resolve("state.bin");
        Files.createDirectories(f.resolve("occupied")); // a non-empty directory cannot be renamed over
        IOException e = assertThrows(IOException.class, () -> new EndpointStore(f, CLOCK).save(table(3, 1)));
        assertTrue(e.getMessage().contains(f.toString()) && e.getMessage().contains("previous file is unchanged"),
                e.getMessage());
        assertEquals(List.of("state.bin"), names(dir));
        assertTrue(Files.isDirectory(f.resolve("occupied")));
    }

    @Test
    void diskFullKeepsThePreviousFileIntact() throws Exception {
        Facility.requireRoot();
        Facility.requireCommands("mount", "umount");
        Path mnt = Files.createDirectory(dir.resolve("tmpfs"));
        run("mount", "-t", "tmpfs", "-o", "size=64k", "amw-tmpfs", mnt.toString());
        try {
            Path f = mnt.resolve("state.bin");
            EndpointStore store = new EndpointStore(f, CLOCK);
            Map<String, List<TimedEndpoint>> small = table(5, 1);
            store.save(small);
            byte[] before = Files.readAllBytes(f);
            Map<String, List<TimedEndpoint>> huge = table(1000, 2); // ~200 KB, the tmpfs holds 64 KB
            IOException e = assertThrows(IOException.class, () -> store.save(huge));
            assertTrue(e.getMessage().contains("previous file is unchanged"), e.getMessage());
            assertArrayEquals(before, Files.readAllBytes(f));
            assertEquals(small, store.load().table());
            assertEquals(List.of("state.bin"), names(mnt), "no half-written temp file left");
        } finally {
            run("umount", mnt.toString());
        }
    }

    @Test
    void concurrentReadersSeeOnlyCompleteFiles() throws Exception {
        Path f = dir.resolve("state.bin");
        EndpointStore store = new EndpointStore(f, CLOCK);
        Map<String, List<TimedEndpoint>> a = table(2, 1);
        Map<String, List<TimedEndpoint>> b = table(300, 2); // different sizes: a torn write would show
        store.save(a);
        AtomicBoolean done = new AtomicBoolean();
        AtomicReference<String> problem = new AtomicReference<>();
        int[] reads = {0};
        Thread reader = new Thread(() -> {
            while (!done.get() && problem.get() == null) {
                try {
                    Map<String, List<TimedEndpoint>> t = StateFile.decode(Files.readAllBytes(f));
                    if (!t.equals(a) && !t.equals(b)) problem.set("read a table that was never saved");
                    reads[0]++;
                } catch (NoSuchFileException e) {
                    problem.set("the file was missing between saves");
                } catch (Exception e) {
                    problem.set("torn read: " + e);
                }
            }
        });
        reader.start();
        for (int i = 0; i < 150; i++) store.save(i % 2 == 0 ? b : a);
        done.set(true);
        reader.join(TimeUnit.SECONDS.toMillis(30));
        assertEquals(null, problem.get());
        assertTrue(reads[0] > 0);
        assertEquals(List.of("state.bin"), names(dir));
    }

    private static void run(String... cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        if (!p.waitFor(20, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IOException(String.join(" ", cmd) + " failed: " + out);
        }
    }
}
