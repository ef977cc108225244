package dev.automesh.daemon;

import dev.automesh.config.Config;
import dev.automesh.net.Counters;
import java.net.InetSocketAddress;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;

/**
 * What add-ons (UPnP forwarder, status socket, metrics) may do with a running agent, from any
 * thread. Everything that touches mesh state is posted to the mesh thread.
 */
public interface AgentHandle {
    Config config();

    /**
     * Runs {@code query} on the mesh thread with a view of the live state and completes with its
     * result; completes exceptionally when the agent has stopped. The view must not escape the query.
     */
    <T> CompletableFuture<T> inspect(Function<AgentView, T> query);

    /** A status snapshot (own key, backend, last device read, counters...). */
    default CompletableFuture<AgentStatus> status() {
        return inspect(AgentView::snapshot);
    }

    /** For the UPnP forwarder: our public endpoint as the router maps it; empty when the mapping is gone. */
    void externalEndpoint(Optional<InetSocketAddress> endpoint);

    /** Datagram counters; readable without going through the mesh thread. */
    Counters.Snapshot counters();
}
