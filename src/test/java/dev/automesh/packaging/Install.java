package dev.automesh.packaging;

import dev.automesh.testbed.Sh;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/** `make install` into a throwaway DESTDIR, with a stand-in jar (the real one is built after tests). */
record Install(Path destdir, Path jar) implements AutoCloseable {
    static final String JAR_CONTENT = "stand-in for target/automesh.jar\n";

    static Install run(String prefix, String sysconfdir) throws IOException {
        Path dir = Files.createTempDirectory("amk-install");
        Path jar = dir.resolve("automesh.jar");
        Files.writeString(jar, JAR_CONTENT);
        Install in = new Install(dir.resolve("root"), jar);
        try {
            Sh.run(List.of("make", "-s", "install", "DESTDIR=" + in.destdir, "PREFIX=" + prefix,
                    "SYSCONFDIR=" + sysconfdir, "JAR=" + jar)).orThrow();
        } catch (RuntimeException e) {
            in.close();
            throw e;
        }
        return in;
    }

    Path file(String absolute) {
        return destdir.resolve(absolute.substring(1));
    }

    List<String> files() throws IOException {
        try (Stream<Path> s = Files.walk(destdir)) {
            return s.filter(Files::isRegularFile).map(p -> "/" + destdir.relativize(p)).sorted().toList();
        }
    }

    @Override
    public void close() throws IOException {
        try (Stream<Path> s = Files.walk(jar.getParent())) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
        }
    }
}
