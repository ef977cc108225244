package dev.automesh.wg;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/** Picks the backend: AUTO uses userspace when the UAPI socket exists, else the kernel. */
public final class WireGuards {
    private WireGuards() {}

    public static WireGuard open(Backend backend, String iface, Optional<Path> uapiSocket)
            throws WireGuardException {
        Path socket = uapiSocket.orElseGet(() -> UserspaceWireGuard.defaultSocket(iface));
        return switch (backend) {
            case USERSPACE -> UserspaceWireGuard.open(iface, socket);
            case KERNEL -> KernelWireGuard.open(iface);
            case AUTO -> Files.exists(socket) ? UserspaceWireGuard.open(iface, socket) : KernelWireGuard.open(iface);
        };
    }
}
