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
            case AUTO -> Files.exists(socket) ? UserspaceWireGuard.open(iface, socket) : openKernelForAuto(iface, socket);
        };
    }

    /** With backend auto, a missing kernel interface also means the userspace socket was not there. */
    private static WireGuard openKernelForAuto(String iface, Path socket) throws WireGuardException {
        try {
            return KernelWireGuard.open(iface);
        } catch (WireGuardException e) {
            if (e.reason() != WireGuardException.Reason.NO_SUCH_DEVICE && e.reason() != WireGuardException.Reason.NO_WIREGUARD) {
                throw e;
            }
            throw new WireGuardException(e.reason(), e.getMessage() + "; and no wireguard-go or boringtun serves "
                    + socket + " (wireguard_backend = \"auto\" tries both)", e);
        }
    }
}
