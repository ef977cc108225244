package dev.automesh.packaging;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.automesh.testbed.Sh;
import dev.automesh.testsupport.Facility;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * config.toml.example is what `make install` ships: the packaged jar's `automesh check` must accept
 * it as is (the config package checks the loader in-process; this is the CLI and its exit status).
 * A config made for the unit names the systemd credential path as gossip_secret_file, so the check
 * runs in a private mount namespace whose /run holds that credential, as the unit's would.
 */
class ExampleConfigIT {
    static final Path EXAMPLE = Path.of("config.toml.example").toAbsolutePath();

    static Sh.Result check(Path config) {
        Path jar = Path.of("target/automesh.jar").toAbsolutePath();
        assertTrue(Files.isRegularFile(jar), jar + " missing: this test runs after `mvn package`");
        return Sh.run(List.of("unshare", "--mount", "--", "sh", "-c",
                "mount -t tmpfs -o mode=0755 tmpfs /run && mkdir -p /run/credentials/automesh.service"
                        + " && printf %s example-secret > /run/credentials/automesh.service/gossip_secret"
                        + " && exec java -XX:TieredStopAtLevel=1 -jar \"$0\" check \"$1\"",
                jar.toString(), config.toString()));
    }

    @Test
    void exampleConfigPassesCheck() {
        Facility.requireRoot();
        Facility.requireCommands("unshare", "mount");
        Sh.Result r = check(EXAMPLE);
        assertEquals(0, r.exit(), "automesh check " + EXAMPLE + ":\n" + r.out() + r.err());
        assertTrue(r.out().contains("wg0"), "the summary names the interface:\n" + r.out() + r.err());
    }

    /** The example as the packaging README tells systemd users to adapt it: secret from the credential. */
    @Test
    void exampleWithTheUnitsCredentialPassesCheck() throws Exception {
        Facility.requireRoot();
        Facility.requireCommands("unshare", "mount");
        Path adapted = Files.createTempFile("amk-example", ".toml");
        try {
            String text = Files.readString(EXAMPLE);
            String secretLine = "\n# gossip_secret_file = \"/etc/automesh/gossip_secret\"\n";
            String persistLine = "\n# persist_file = \"/var/lib/automesh/state\"\n";
            assertTrue(text.contains(secretLine) && text.contains(persistLine), "example's commented lines moved");
            Files.writeString(adapted, text
                    .replace(secretLine, "\ngossip_secret_file = \"/run/credentials/automesh.service/gossip_secret\"\n")
                    .replace(persistLine, "\npersist_file = \"/var/lib/automesh/state\"\n"));
            Sh.Result r = check(adapted);
            assertEquals(0, r.exit(), "automesh check " + adapted + ":\n" + r.out() + r.err());
        } finally {
            Files.delete(adapted);
        }
    }

    /** The same check rejects the example without its required key, so the test above means something. */
    @Test
    void exampleWithoutInterfaceIsRejected() throws Exception {
        Facility.requireRoot();
        Facility.requireCommands("unshare", "mount");
        Path broken = Files.createTempFile("amk-example", ".toml");
        try {
            String text = Files.readString(EXAMPLE);
            assertTrue(text.contains("\ninterface = \"wg0\"\n"));
            Files.writeString(broken, text.replace("\ninterface = \"wg0\"\n", "\n"));
            Sh.Result r = check(broken);
            assertEquals(78, r.exit(), "exit status EX_CONFIG for a config without interface:\n" + r.out() + r.err());
            assertTrue((r.out() + r.err()).contains("interface"), r.out() + r.err());
        } finally {
            Files.delete(broken);
        }
    }
}
