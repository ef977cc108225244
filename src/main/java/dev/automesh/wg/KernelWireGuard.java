package dev.automesh.wg;

import java.util.List;

/** Kernel WireGuard over generic netlink (JNA to libc). Owner: kernel. */
public final class KernelWireGuard implements WireGuard {
    private KernelWireGuard() {}

    public static KernelWireGuard open(String iface) throws WireGuardException {
        throw new UnsupportedOperationException("not implemented yet");
    }

    @Override public String kind() { return "kernel"; }
    @Override public String interfaceName() { throw new UnsupportedOperationException(); }
    @Override public WgDevice read() throws WireGuardException { throw new UnsupportedOperationException(); }
    @Override public void apply(List<PeerUpdate> updates) throws WireGuardException { throw new UnsupportedOperationException(); }
    @Override public void close() { }
}
