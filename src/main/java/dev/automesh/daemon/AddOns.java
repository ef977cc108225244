package dev.automesh.daemon;

import io.netty.util.concurrent.DefaultThreadFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Starts the add-ons off the mesh thread, each on its own pooled thread (UPnP discovery blocks for
 * seconds and must not delay the status socket), and closes them in parallel, time-bounded. The pool's
 * threads end once idle, so a running agent keeps none.
 */
final class AddOns {
    private static final Logger log = LoggerFactory.getLogger(Agent.class);
    private final List<AgentService> services;
    private final ExecutorService exec = Executors.newCachedThreadPool(new DefaultThreadFactory("automesh-addon", true));
    private final List<Future<?>> starting = new ArrayList<>();

    AddOns(List<AgentService> services) {
        this.services = List.copyOf(services);
    }

    /**
     * Starts what serves while the agent waits for its interface; a failure is logged, as in start().
     *
     * @return the ones started
     */
    static List<AgentService> startWaiting(List<AgentService> services, StatusSource status) {
        List<AgentService> started = new ArrayList<>();
        for (AgentService s : services) {
            try {
                if (s.startWaiting(status)) started.add(s);
            } catch (Exception | LinkageError e) {
                log.warn("{} did not start: {}", s.name(), e.getMessage());
            }
        }
        return started;
    }

    /** Closes those at the very end (already closed when the agent ran: their close is idempotent). */
    static void closeWaiting(List<AgentService> services) {
        for (AgentService s : services) {
            try {
                s.close();
            } catch (RuntimeException e) {
                log.warn("closing {}: {}", s.name(), e.getMessage());
            }
        }
    }

    void start(AgentHandle handle) {
        for (AgentService s : services) {
            starting.add(exec.submit(() -> {
                try {
                    s.start(handle);
                } catch (Exception | LinkageError e) {
                    log.warn("{} did not start: {}", s.name(), e.getMessage());
                }
            }));
        }
    }

    /** Closes every add-on, waiting {@code millis} at most for all of them together. */
    void close(long millis) throws InterruptedException {
        // A service still starting would otherwise create what close() already missed (a socket, a mapping).
        long deadline = System.nanoTime() + millis * 1_000_000 / 2;
        for (Future<?> f : starting) {
            try {
                f.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            } catch (ExecutionException | TimeoutException e) {
                // not started in time (or failed): close it anyway
            }
        }
        List<CompletableFuture<Void>> closing = new ArrayList<>();
        for (AgentService s : services) {
            closing.add(CompletableFuture.runAsync(() -> {
                try {
                    s.close();
                } catch (RuntimeException e) {
                    log.warn("closing {}: {}", s.name(), e.getMessage());
                }
            }, exec));
        }
        try {
            CompletableFuture.allOf(closing.toArray(new CompletableFuture<?>[0])).get(millis, TimeUnit.MILLISECONDS);
        } catch (ExecutionException | TimeoutException e) {
            for (int i = 0; i < services.size(); i++) {
                if (!closing.get(i).isDone()) log.warn("{} did not close within {} ms; exiting anyway", services.get(i).name(), millis);
            }
        }
    }

    void shutdownNow() {
        exec.shutdownNow();
    }
}
