package dev.automesh.portmap;

/**
 * One protocol's client keeping our WireGuard port mapped on the router. Each runs its blocking I/O
 * on its own thread; start returns at once, close deletes the mapping (bounded wait) and is idempotent.
 */
public interface PortMapper extends AutoCloseable {
    Protocol protocol();

    void start();

    /** Safe from any thread. */
    PortMapStatus status();

    @Override
    void close();
}
