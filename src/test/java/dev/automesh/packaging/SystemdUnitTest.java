package dev.automesh.packaging;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.automesh.testbed.Sh;
import dev.automesh.testsupport.Facility;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SystemdUnitTest {
    static final Path UNIT = Path.of("packaging/systemd/automesh.service");

    /**
     * systemd-analyze verify on the unit as `make install` lays it out. It checks that ExecStart's
     * binary exists (/usr/bin/java here); unknown keys are only warnings, so any output fails too.
     */
    @Test
    void installedUnitVerifiesCleanly() throws Exception {
        Facility.requireCommands("systemd-analyze", "make", "/usr/bin/java");
        try (Install in = Install.run("/usr", "/etc")) {
            Path unit = in.file("/usr/lib/systemd/system/automesh.service");
            Sh.Result r = Sh.run(List.of("systemd-analyze", "verify", unit.toString()));
            assertEquals(0, r.exit(), "systemd-analyze verify " + unit + ":\n" + r.err() + r.out());
            assertEquals("", (r.err() + r.out()).strip(), "systemd-analyze verify warnings");
        }
    }

    /** The verifier does catch a broken unit (a misspelt key), so the test above can fail. */
    @Test
    void verifierReportsAMisspeltKey() throws Exception {
        Facility.requireCommands("systemd-analyze");
        Path dir = Files.createTempDirectory("amk-unit");
        Path unit = dir.resolve("automesh.service");
        try {
            Files.writeString(unit, Files.readString(UNIT).replace("ProtectHome=yes", "ProtectHom=yes"));
            Sh.Result r = Sh.run(List.of("systemd-analyze", "verify", unit.toString()));
            assertTrue((r.err() + r.out()).contains("Unknown key 'ProtectHom'"), r.err() + r.out());
        } finally {
            Files.deleteIfExists(unit);
            Files.delete(dir);
        }
    }

    /** systemd's own exposure score (0 best, 10 worst; --threshold is that times 10). */
    @Test
    void exposureScoreStaysLow() {
        Facility.requireCommands("systemd-analyze");
        Sh.Result r = Sh.run(List.of("systemd-analyze", "security", "--offline=true", "--threshold=25",
                "--no-pager", UNIT.toString()));
        String last = r.out().strip().lines().reduce((a, b) -> b).orElse("");
        assertEquals(0, r.exit(), "exposure above 2.5: " + last + "\n" + r.err());
        assertTrue(last.contains("Overall exposure level"), last);
    }

    @Test
    void runsAsDynamicUserWithOnlyNetAdminAndJvmTolerableHardening() throws Exception {
        Map<String, String> s = service(Files.readString(UNIT));
        Map<String, String> want = new LinkedHashMap<>();
        want.put("DynamicUser", "yes");
        want.put("AmbientCapabilities", "CAP_NET_ADMIN");
        want.put("CapabilityBoundingSet", "CAP_NET_ADMIN");
        want.put("StateDirectory", "automesh");
        want.put("RuntimeDirectory", "automesh");
        want.put("LoadCredential", "gossip_secret:/etc/automesh/gossip_secret");
        want.put("Restart", "always");
        want.put("ProtectSystem", "strict");
        want.put("ProtectHome", "yes");
        want.put("PrivateTmp", "yes");
        want.put("PrivateDevices", "yes");
        want.put("NoNewPrivileges", "yes");
        want.put("RestrictAddressFamilies", "AF_UNIX AF_INET AF_INET6 AF_NETLINK");
        want.put("SystemCallFilter", "@system-service");
        want.put("SystemCallArchitectures", "native");
        want.put("LockPersonality", "yes");
        want.put("ProtectKernelTunables", "yes");
        want.put("ProtectKernelModules", "yes");
        want.put("ProtectKernelLogs", "yes");
        want.put("ProtectControlGroups", "yes");
        want.put("ProtectClock", "yes");
        want.put("ProtectHostname", "yes");
        want.put("RestrictNamespaces", "yes");
        want.put("RestrictRealtime", "yes");
        want.put("RestrictSUIDSGID", "yes");
        want.put("UMask", "0077");
        want.forEach((k, v) -> assertEquals(v, s.get(k), "[Service] " + k));
        // JIT needs W+X memory; capabilities must act on the host's network namespace.
        assertFalse(s.containsKey("MemoryDenyWriteExecute"));
        assertFalse(s.containsKey("PrivateUsers"));
        String exec = s.get("ExecStart");
        assertTrue(exec.startsWith("/usr/bin/java ") && exec.endsWith(
                " -jar /usr/lib/automesh/automesh.jar /etc/automesh/config.toml"), exec);
        assertTrue(exec.contains("-XX:+UseSerialGC") && exec.contains("-Xmx"), exec);
    }

    /** [Service] key=value pairs (last one wins, as for systemd's single-valued settings). */
    static Map<String, String> service(String unit) {
        Map<String, String> m = new LinkedHashMap<>();
        String section = "";
        for (String line : unit.lines().toList()) {
            String l = line.strip();
            if (l.isEmpty() || l.startsWith("#") || l.startsWith(";")) continue;
            if (l.startsWith("[")) { section = l; continue; }
            int i = l.indexOf('=');
            if (section.equals("[Service]") && i > 0) m.put(l.substring(0, i), l.substring(i + 1));
        }
        return m;
    }
}
