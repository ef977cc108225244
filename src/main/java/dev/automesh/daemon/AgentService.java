package dev.automesh.daemon;

/**
 * An add-on started once the agent runs (UPnP forwarder, status socket, metrics endpoint). start() is
 * called off the mesh thread and may block briefly (UPnP discovery takes ~2 s); it reports back
 * through the handle. close() is called at shutdown and must return quickly (within ~200 ms).
 */
public interface AgentService extends AutoCloseable {
    /** For log lines. */
    String name();

    void start(AgentHandle agent) throws Exception;

    /**
     * For an add-on that serves while the agent still waits for its interface (the status socket):
     * called first, on the agent's thread, so it must be quick. start() follows once the agent runs.
     *
     * @return whether it started (and so is closed at the end even if the agent never ran)
     */
    default boolean startWaiting(StatusSource status) throws Exception {
        return false;
    }

    @Override
    void close();
}
