package dev.automesh.packaging;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.automesh.testbed.Sh;
import dev.automesh.testsupport.Facility;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** The installed `automesh` wrapper runs the installed jar (PREFIX in a temp dir, no DESTDIR). */
class InstalledWrapperIT {
    @Test
    void wrapperRunsTheInstalledJar() throws Exception {
        Facility.requireCommands("make", "sed", "install", "java");
        Path jar = Path.of("target/automesh.jar").toAbsolutePath();
        assertTrue(Files.isRegularFile(jar), jar + " missing: this test runs after `mvn package`");
        Path prefix = Files.createTempDirectory("amk-prefix");
        try {
            Sh.run(List.of("make", "-s", "install", "PREFIX=" + prefix, "SYSCONFDIR=" + prefix.resolve("etc"),
                    "JAR=" + jar)).orThrow();
            Path wrapper = prefix.resolve("bin/automesh");
            Sh.Result version = Sh.run(List.of(wrapper.toString(), "--version"));
            assertEquals(0, version.exit(), version.out() + version.err());
            var m = java.util.regex.Pattern.compile("<artifactId>automesh</artifactId>\\s*<version>([^<]+)</version>")
                    .matcher(Files.readString(Path.of("pom.xml")));
            assertTrue(m.find(), "project version in pom.xml");
            assertEquals("automesh " + m.group(1), version.out().strip(), "version of the installed jar");
            assertEquals("", version.err(), "nothing else from the JVM");
            // make install built the class-data-sharing archive for this jar and JDK; the wrapper uses it.
            assertTrue(Files.size(prefix.resolve("lib/automesh/automesh.jsa")) > 0, "the CDS archive");
            assertEquals("AUTOMESH_CDS=-XX:SharedArchiveFile=" + prefix.resolve("lib/automesh/automesh.jsa") + "\n",
                    Files.readString(prefix.resolve("lib/automesh/cds.env")), "the unit's pointer to it");
            Sh.Result shared = Sh.run(List.of("env", "AUTOMESH_JAVA_OPTS=-Xlog:class+load", wrapper.toString(), "--version"));
            assertTrue(shared.out().contains("dev.automesh.daemon.Main source: shared objects file"), shared.out());
            Sh.Result check = Sh.run(List.of(wrapper.toString(), "check",
                    prefix.resolve("etc/automesh/config.toml.example").toString()));
            assertEquals(0, check.exit(), check.out() + check.err());
            assertTrue(check.out().contains("wg0"), check.out());
        } finally {
            try (Stream<Path> s = Files.walk(prefix)) {
                for (Path p : s.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
            }
        }
    }
}
