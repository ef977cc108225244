package dev.automesh.wg;

import java.nio.file.Path;

/**
 * Opens each UAPI socket given and prints a line "OK" or "REASON|message": run by UserspaceWireGuardTest as an
 * unprivileged user (a root test process cannot be refused a connection).
 */
public final class ConnectProbe {
    private ConnectProbe() {}

    public static void main(String[] args) {
        for (int i = 1; i < args.length; i++) {
            try (UserspaceWireGuard wg = UserspaceWireGuard.open(args[0], Path.of(args[i]))) {
                System.out.println("OK");
            } catch (WireGuardException e) {
                System.out.println(e.reason() + "|" + e.getMessage());
            }
        }
    }
}
