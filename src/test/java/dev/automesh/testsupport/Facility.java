package dev.automesh.testsupport;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;

/**
 * Gate for tests that need a real facility (root, network namespaces, wireguard-go, qemu, miniupnpd).
 * Outside CI a missing facility skips the test with a loud "SKIPPED: why" line; under CI=true it
 * fails, because CI installs everything and nothing may be skipped there.
 */
public final class Facility {
    private Facility() {}

    public static boolean inCi() {
        String ci = System.getenv("CI");
        return ci != null && !ci.isEmpty() && !ci.equals("false") && !ci.equals("0");
    }

    /** Skips (or fails in CI) unless {@code present}. */
    public static void require(boolean present, String why) {
        if (present) return;
        System.out.println("SKIPPED: " + why);
        System.out.flush();
        if (inCi()) {
            Assertions.fail("facility missing in CI (nothing may be skipped there): " + why);
        }
        Assumptions.abort("SKIPPED: " + why);
    }

    public static boolean isRoot() {
        return "root".equals(System.getProperty("user.name"));
    }

    /** True if an executable of that name is on PATH (or an absolute path that exists). */
    public static boolean hasCommand(String name) {
        if (name.startsWith("/")) return Files.isExecutable(Path.of(name));
        String path = System.getenv().getOrDefault("PATH", "/usr/sbin:/usr/bin:/sbin:/bin");
        for (String dir : (path + ":/usr/sbin:/sbin").split(":")) {
            if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, name))) return true;
        }
        return false;
    }

    public static void requireRoot() {
        require(isRoot(), "needs root (network namespaces, WireGuard interfaces)");
    }

    public static void requireCommands(String... names) {
        for (String n : names) {
            require(hasCommand(n), "needs `" + n + "` (Debian packages are installed by `make deps`)");
        }
    }
}
