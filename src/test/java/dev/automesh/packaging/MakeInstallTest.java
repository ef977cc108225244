package dev.automesh.packaging;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.automesh.testbed.Sh;
import dev.automesh.testsupport.Facility;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import org.junit.jupiter.api.Test;

class MakeInstallTest {
    @Test
    void laysOutJarUnitWrapperAndExampleUnderDestdir() throws Exception {
        Facility.requireCommands("make", "sed", "install");
        try (Install in = Install.run("/usr", "/etc")) {
            assertEquals(List.of(
                    "/etc/automesh/config.toml.example",
                    "/usr/bin/automesh",
                    "/usr/lib/automesh/automesh.classlist",
                    "/usr/lib/automesh/automesh.jar",
                    "/usr/lib/automesh/cds-archive.sh",
                    "/usr/lib/systemd/system/automesh.service",
                    "/usr/share/doc/automesh/README.md"), in.files());
            assertEquals(Install.JAR_CONTENT, Files.readString(in.file("/usr/lib/automesh/automesh.jar")));
            assertEquals(Files.readString(Path.of("config.toml.example")),
                    Files.readString(in.file("/etc/automesh/config.toml.example")));
            assertEquals(Files.readString(Path.of("packaging/systemd/automesh.service")),
                    Files.readString(in.file("/usr/lib/systemd/system/automesh.service")),
                    "with PREFIX=/usr the unit is installed unchanged");
            assertEquals("rwxr-xr-x", perms(in.file("/usr/bin/automesh")));
            assertEquals("rw-r--r--", perms(in.file("/usr/lib/systemd/system/automesh.service")));
            assertEquals("rw-r--r--", perms(in.file("/usr/lib/automesh/automesh.jar")));
            assertEquals("rwxr-xr-x", perms(in.file("/usr/lib/automesh/cds-archive.sh")));
            String wrapper = Files.readString(in.file("/usr/bin/automesh"));
            assertTrue(wrapper.contains("-jar \"/usr/lib/automesh/automesh.jar\""), wrapper);
            // No archive under a DESTDIR (it is bound to the jar's final path), but the wrapper names it.
            assertTrue(wrapper.contains("-XX:SharedArchiveFile=/usr/lib/automesh/automesh.jsa") && !wrapper.contains("@CDS@"), wrapper);
            // The wrapper is valid sh.
            Sh.run(List.of("sh", "-n", in.file("/usr/bin/automesh").toString())).orThrow();
        }
    }

    @Test
    void otherPrefixIsWrittenIntoUnitAndWrapper() throws Exception {
        Facility.requireCommands("make", "sed", "install");
        try (Install in = Install.run("/opt/am", "/opt/am/etc")) {
            assertTrue(in.files().containsAll(List.of("/opt/am/bin/automesh", "/opt/am/lib/automesh/automesh.jar",
                    "/opt/am/lib/systemd/system/automesh.service", "/opt/am/etc/automesh/config.toml.example")),
                    in.files().toString());
            String unit = Files.readString(in.file("/opt/am/lib/systemd/system/automesh.service"));
            assertTrue(unit.contains("-jar /opt/am/lib/automesh/automesh.jar /opt/am/etc/automesh/config.toml\n"), unit);
            assertTrue(unit.contains("LoadCredential=gossip_secret:/opt/am/etc/automesh/gossip_secret\n"), unit);
            assertTrue(unit.contains("Documentation=file:/opt/am/share/doc/automesh/README.md\n"), unit);
            assertTrue(!unit.contains("/usr/lib/automesh") && !unit.contains(" /etc/automesh"), unit);
            assertTrue(Files.readString(in.file("/opt/am/bin/automesh")).contains("/opt/am/lib/automesh/automesh.jar"));
            assertTrue(unit.contains("EnvironmentFile=-/opt/am/lib/automesh/cds.env\n"), unit);
            assertTrue(Files.readString(in.file("/opt/am/bin/automesh")).contains("/opt/am/lib/automesh/automesh.jsa"));
        }
    }

    private static String perms(Path p) throws Exception {
        return PosixFilePermissions.toString(Files.getPosixFilePermissions(p));
    }
}
