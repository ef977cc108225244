package dev.automesh.wg;

import java.nio.file.Path;
import java.util.List;

/** wireguard-go / boringtun over the cross-platform UAPI unix socket. Owner: uapi. */
public final class UserspaceWireGuard implements WireGuard {
    /** Default socket path of an interface. */
    public static Path defaultSocket(String iface) {
        return Path.of("/var/run/wireguard", iface + ".sock");
    }

    private UserspaceWireGuard() {}

    public static UserspaceWireGuard open(String iface, Path socket) throws WireGuardException {
        throw new UnsupportedOperationException("not implemented yet");
    }

    @Override public String kind() { return "userspace"; }
    @Override public String interfaceName() { throw new UnsupportedOperationException(); }
    @Override public WgDevice read() throws WireGuardException { throw new UnsupportedOperationException(); }
    @Override public void apply(List<PeerUpdate> updates) throws WireGuardException { throw new UnsupportedOperationException(); }
    @Override public void close() { }
}
