package dev.automesh.daemon;

import dev.automesh.config.Config;
import dev.automesh.net.Counters;
import java.net.InetSocketAddress;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.BooleanSupplier;
import java.util.function.Function;

/** The any-thread handle of a running agent: everything that touches mesh state is posted to the mesh thread. */
final class LiveHandle implements AgentHandle {
    private final MeshDriver driver;
    private final AgentView view;
    private final Executor meshThread;
    private final BooleanSupplier stopping;

    LiveHandle(MeshDriver driver, Executor meshThread, BooleanSupplier stopping) {
        this.driver = driver;
        this.view = new LiveView(driver);
        this.meshThread = meshThread;
        this.stopping = stopping;
    }

    @Override
    public Config config() {
        return driver.config();
    }

    @Override
    public <T> CompletableFuture<T> inspect(Function<AgentView, T> query) {
        CompletableFuture<T> f = new CompletableFuture<>();
        if (stopping.getAsBoolean()) {
            f.completeExceptionally(new IllegalStateException("agent is stopping"));
            return f;
        }
        try {
            meshThread.execute(() -> {
                try {
                    f.complete(query.apply(view));
                } catch (RuntimeException e) {
                    f.completeExceptionally(e);
                }
            });
        } catch (RejectedExecutionException e) {
            f.completeExceptionally(new IllegalStateException("agent has stopped"));
        }
        return f;
    }

    @Override
    public void externalEndpoint(Optional<InetSocketAddress> endpoint) {
        Objects.requireNonNull(endpoint);
        try {
            meshThread.execute(() -> driver.onExternalEndpoint(endpoint));
        } catch (RejectedExecutionException e) {
            // Stopped meanwhile: nothing to update.
        }
    }

    @Override
    public Counters.Snapshot counters() {
        return driver.gossip().counters().snapshot();
    }
}
