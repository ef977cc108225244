package dev.automesh.wg;

import java.util.List;

/**
 * Control of one existing WireGuard interface. Implementations keep their socket open across calls
 * and reopen it transparently if the interface went away and came back. Not thread-safe: the mesh
 * thread owns it.
 */
public interface WireGuard extends AutoCloseable {
    /** Which implementation this is, for status output ("kernel" or "userspace"). */
    String kind();

    WgDevice read() throws WireGuardException;

    /** Applies all updates, in order; splits into several messages if needed. */
    void apply(List<PeerUpdate> updates) throws WireGuardException;

    @Override
    void close();
}
