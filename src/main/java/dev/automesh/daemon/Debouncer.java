package dev.automesh.daemon;

import java.util.Objects;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;

/**
 * Runs {@code action} with the latest submitted value once {@code delayMillis} after the first of a
 * burst of submissions (trailing edge, bounded latency: a steady stream still saves every delay).
 * The action always runs on the given single-thread executor, so saves never overlap or reorder.
 */
final class Debouncer<T> {
    private final long delayMillis;
    private final Consumer<T> action;
    private final ScheduledExecutorService executor;
    private T latest;
    private ScheduledFuture<?> pending;

    Debouncer(long delayMillis, Consumer<T> action, ScheduledExecutorService singleThread) {
        this.delayMillis = delayMillis;
        this.action = Objects.requireNonNull(action);
        this.executor = Objects.requireNonNull(singleThread);
    }

    /** Remembers {@code value} (replacing any not yet acted on) and schedules the action if none is. */
    synchronized void submit(T value) {
        latest = Objects.requireNonNull(value);
        if (pending == null) pending = executor.schedule(this::fire, delayMillis, TimeUnit.MILLISECONDS);
    }

    private void fire() {
        T v;
        synchronized (this) {
            v = latest;
            latest = null;
            pending = null;
        }
        if (v != null) action.accept(v);
    }

    /** For shutdown when no fresh value can be had: runs the action now with the pending value, if any. */
    boolean flushPending(long timeoutMillis) {
        T v;
        synchronized (this) {
            v = latest;
        }
        return v == null || flush(v, timeoutMillis);
    }

    /**
     * Drops anything pending and runs the action with {@code value} now, waiting up to
     * {@code timeoutMillis} for it (after any action already running). For shutdown.
     *
     * @return whether the action completed in time
     */
    boolean flush(T value, long timeoutMillis) {
        synchronized (this) {
            if (pending != null) pending.cancel(false);
            pending = null;
            latest = null;
        }
        try {
            executor.submit(() -> action.accept(value)).get(timeoutMillis, TimeUnit.MILLISECONDS);
            return true;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        } catch (ExecutionException | TimeoutException | java.util.concurrent.RejectedExecutionException e) {
            return false;
        }
    }
}
