package dev.automesh.packaging;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.automesh.testbed.Sh;
import dev.automesh.testsupport.Facility;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The class-data-sharing archive that packaging/cds-archive.sh builds (as `make install` and the Nix
 * package do) is mapped by the JVM started with the unit's flags, and when it is missing or does not
 * fit (another JDK build, a replaced jar) that JVM starts without it and says nothing.
 */
class CdsArchiveIT {
    private static final String MAIN_SHARED = "dev.automesh.daemon.Main source: shared objects file";
    private static Path dir;
    private static Path jar;
    private static Path archive;
    private static String version;

    @BeforeAll
    static void buildArchive() throws IOException {
        Facility.requireCommands("java", "sh");
        Path built = Path.of("target/automesh.jar").toAbsolutePath();
        assertTrue(Files.isRegularFile(built), built + " missing: this test runs after `mvn package`");
        dir = Files.createTempDirectory("amk-cds");
        // A copy: the archive is bound to the jar's path and mtime, and target/ may be rebuilt meanwhile.
        jar = Files.copy(built, dir.resolve("automesh.jar"), StandardCopyOption.COPY_ATTRIBUTES);
        archive = dir.resolve("automesh.jsa");
        Path tmp = Files.createDirectory(dir.resolve("tmp"));
        Sh.Result r = Sh.run(List.of("env", "TMPDIR=" + tmp, "sh", "packaging/cds-archive.sh", "java", jar.toString(),
                archive.toString()), 120).orThrow();
        assertTrue(Files.isRegularFile(archive) && Files.size(archive) > 0, "no archive written: " + r.err());
        try (Stream<Path> left = Files.list(dir)) {
            assertEquals(List.of("automesh.jar", "automesh.jsa", "tmp"),
                    left.map(p -> p.getFileName().toString()).sorted().toList(), "no temporary files left");
        }
        try (Stream<Path> left = Files.list(tmp)) {
            assertEquals(List.of(), left.toList(), "nothing left in TMPDIR");
        }
        assertEquals(List.of(), processesMentioning(dir.toString()), "no process left");
        Matcher m = Pattern.compile("<artifactId>automesh</artifactId>\\s*<version>([^<]+)</version>")
                .matcher(Files.readString(Path.of("pom.xml")));
        assertTrue(m.find(), "project version in pom.xml");
        version = "automesh " + m.group(1) + "\n";
    }

    @AfterAll
    static void cleanUp() throws IOException {
        if (dir == null) return;
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
        }
    }

    @Test
    void theUnitsFlagsMapTheArchiveAndLoadTheAgentFromIt() {
        Sh.Result r = java(archive, List.of("-Xlog:cds", "-Xlog:class+load"), "check", "config.toml.example");
        assertEquals(0, r.exit(), r.err());
        assertTrue(r.out().contains("Mapped static  region #0"), r.out());
        assertFalse(r.out().contains("Unable to use shared archive"), r.out());
        assertTrue(r.out().contains(MAIN_SHARED), "the agent's own classes come from the archive");
        assertTrue(r.out().contains("org.tomlj.Toml source: shared objects file"), "and a library's");
        assertTrue(r.out().contains("java.lang.Object source: shared objects file"), "and the JDK's");
    }

    @Test
    void missingArchiveFallsBackSilently() {
        assertSilentFallback(dir.resolve("no-such.jsa"));
    }

    @Test
    void archiveOfAnotherJdkBuildFallsBackSilently() throws IOException {
        // What a JDK upgrade does to the archive: the VM build recorded in its header no longer matches.
        byte[] b = Files.readAllBytes(archive);
        Matcher vm = Pattern.compile("java\\.vm\\.version = (\\S+)")
                .matcher(Sh.run(List.of("java", "-XshowSettings:properties", "-version")).err());
        assertTrue(vm.find(), "java's VM version");
        byte[] ident = vm.group(1).getBytes(StandardCharsets.US_ASCII);
        int at = indexOf(b, ident);
        assertTrue(at >= 0, "the archive header names the VM build " + new String(ident, StandardCharsets.US_ASCII));
        b[at + ident.length - 1] ^= 1;
        Path other = Files.write(dir.resolve("other-jdk.jsa"), b);
        assertTrue(java(other, "-Xlog:cds").out().contains("different version or build of HotSpot"),
                "the JVM saw the mismatch (so the next check is not vacuous)");
        assertSilentFallback(other);
    }

    @Test
    void archiveOfAnotherJarFallsBackSilently() throws IOException {
        Path replaced = Files.copy(archive, dir.resolve("replaced.jsa"));
        FileTime before = Files.getLastModifiedTime(jar);
        try {
            Files.setLastModifiedTime(jar, FileTime.fromMillis(before.toMillis() + 10_000));
            assertTrue(java(replaced, "-Xlog:cds").out().contains("A jar file is not the one used"),
                    "the JVM saw the changed jar");
            assertSilentFallback(replaced);
        } finally {
            Files.setLastModifiedTime(jar, before);
        }
    }

    @Test
    void garbageInPlaceOfTheArchiveFallsBackSilently() throws IOException {
        byte[] junk = new byte[8192];
        Arrays.fill(junk, (byte) 0x5a);
        assertSilentFallback(Files.write(dir.resolve("junk.jsa"), junk));
    }

    private static void assertSilentFallback(Path jsa) {
        Sh.Result r = java(jsa);
        assertEquals(0, r.exit(), r.err());
        assertEquals(version, r.out(), "nothing but the agent's own output on stdout");
        assertEquals("", r.err(), "nothing on stderr");
        Sh.Result loaded = java(jsa, "-Xlog:class+load");
        assertFalse(loaded.out().contains(MAIN_SHARED), "the agent did not come from this archive");
        assertTrue(loaded.out().contains("dev.automesh.daemon.Main source: "), "but it ran");
    }

    /** `java <the unit's flags, archive replaced> <extra> -jar automesh.jar --version`. */
    private static Sh.Result java(Path jsa, String... extra) {
        return java(jsa, List.of(extra), "--version");
    }

    private static Sh.Result java(Path jsa, List<String> extra, String... args) {
        List<String> cmd = new ArrayList<>(List.of("java"));
        for (String f : unitFlags()) cmd.add(f.equals("$AUTOMESH_CDS") ? "-XX:SharedArchiveFile=" + jsa : f);
        cmd.addAll(extra);
        cmd.addAll(List.of("-jar", jar.toString()));
        cmd.addAll(List.of(args));
        return Sh.run(cmd);
    }

    private static List<String> unitFlags() {
        try {
            String unit = Files.readString(Path.of("packaging/systemd/automesh.service"));
            Matcher m = Pattern.compile("(?m)^ExecStart=/usr/bin/java (.*) -jar ").matcher(unit);
            assertTrue(m.find(), "the unit's ExecStart");
            List<String> flags = List.of(m.group(1).split(" "));
            assertTrue(flags.contains("$AUTOMESH_CDS"), "the unit takes the archive from cds.env");
            assertTrue(flags.contains("-Xshare:auto"), "the unit lets a JVM run without the archive");
            return flags;
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    @Test
    void theClassListStillNamesTheAgentsClasses() throws IOException {
        // A stale list only costs start time (missing classes are skipped), but then it is time to
        // rerun packaging/make-classlist.sh.
        List<String> listed = Files.readAllLines(Path.of("packaging/automesh.classlist")).stream()
                .filter(l -> l.startsWith("dev/automesh/")).toList();
        assertTrue(listed.size() > 50, "the list names the agent's classes: " + listed.size());
        List<String> gone = new ArrayList<>();
        try (java.util.zip.ZipFile z = new java.util.zip.ZipFile(jar.toFile())) {
            for (String c : listed) if (z.getEntry(c + ".class") == null) gone.add(c);
        }
        assertTrue(gone.size() * 10 <= listed.size(), gone.size() + " of the " + listed.size()
                + " automesh classes in packaging/automesh.classlist are no longer in the jar: run"
                + " packaging/make-classlist.sh (root, after mvn package). Gone: " + gone);
    }

    private static List<String> processesMentioning(String s) throws IOException {
        List<String> found = new ArrayList<>();
        try (Stream<Path> procs = Files.list(Path.of("/proc"))) {
            for (Path p : procs.filter(p -> p.getFileName().toString().matches("\\d+")).toList()) {
                try {
                    String cmdline = new String(Files.readAllBytes(p.resolve("cmdline")), StandardCharsets.UTF_8);
                    if (cmdline.contains(s)) found.add(p.getFileName() + ": " + cmdline.replace('\0', ' '));
                } catch (IOException gone) {
                    // exited meanwhile
                }
            }
        }
        return found;
    }

    private static int indexOf(byte[] hay, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= hay.length; i++) {
            for (int j = 0; j < needle.length; j++) if (hay[i + j] != needle[j]) continue outer;
            return i;
        }
        return -1;
    }
}
