package dev.automesh.daemon;

import dev.automesh.crypto.WgKey;
import dev.automesh.wg.PeerUpdate;
import dev.automesh.wg.WgDevice;
import dev.automesh.wg.WireGuard;
import dev.automesh.wg.WireGuardException;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executor;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;

/**
 * The one thread that talks to WireGuard (netlink or UAPI), so that a slow or hung device never
 * stops the mesh thread. Reads and applies run in the order they were asked for, on this thread
 * alone; results are posted back to the mesh thread. Its own DNS-free thread: a stuck name lookup
 * must not delay device reads.
 *
 * <p>Bounded while WireGuard is stuck: at most one read is queued or running (the mesh thread asks
 * again only after the answer), and pending updates are merged per peer into one batch, which has
 * the same effect as applying them one after the other.
 *
 * <p>Every read carries how many apply batches had completed when it started, so the mesh thread can
 * tell a read that predates its latest configuration.
 */
final class WgWorker implements AutoCloseable {
    /** A read's outcome: the device or the error, and how many applies it reflects. */
    record ReadResult(Optional<WgDevice> device, Optional<WireGuardException> error, long appliesBefore) {}

    /** An apply batch's outcome: the error, if any. */
    record ApplyResult(Optional<WireGuardException> error, long seq) {}

    interface Listener {
        void onRead(ReadResult r);

        void onApplied(ApplyResult r);
    }

    private final WireGuard wg;
    private final Executor meshThread;
    private final Listener listener;
    private final ExecutorService thread = Executors.newSingleThreadExecutor(new DefaultThreadFactory("automesh-wg", true));

    // Guarded by this: updates merged per peer, waiting for the worker.
    private final Map<WgKey, PeerUpdate> pending = new LinkedHashMap<>();
    private boolean applyQueued;
    private long batchesAsked;
    // Written by the worker only.
    private volatile long batchesDone;

    WgWorker(WireGuard wg, Executor meshThread, Listener listener) {
        this.wg = wg;
        this.meshThread = meshThread;
        this.listener = listener;
    }

    /** Reads the device; the result arrives on the mesh thread. Call again only after it arrived. */
    void read() {
        submit(() -> {
            long before = batchesDone;
            ReadResult r;
            try {
                r = new ReadResult(Optional.of(wg.read()), Optional.empty(), before);
            } catch (WireGuardException e) {
                r = new ReadResult(Optional.empty(), Optional.of(e), before);
            } catch (RuntimeException e) {
                // A backend bug must not leave the mesh thread waiting for an answer forever.
                r = new ReadResult(Optional.empty(), Optional.of(internal("reading", e)), before);
            }
            ReadResult result = r;
            post(() -> listener.onRead(result));
        });
    }

    /**
     * Queues updates behind everything asked before.
     *
     * @return the number of the batch that will carry them: reads with {@code appliesBefore} at least
     *         this number reflect them
     */
    synchronized long apply(List<PeerUpdate> updates) {
        for (PeerUpdate u : updates) pending.merge(u.publicKey(), u, WgWorker::merged);
        if (!applyQueued) {
            applyQueued = true;
            batchesAsked++;
            submit(this::applyPending);
        }
        return batchesAsked;
    }

    /**
     * Applying {@code b} after {@code a} has the same effect as this one update: {@code b}'s fields laid
     * over {@code a}'s. Fresh if either is: after fresh then plain, the peer is new with the plain
     * fields on top; for plain then fresh, the peer must still become new, and an endpoint the fresh
     * one lacks is taken from the plain one (the mesh asked for it and has not withdrawn it, where a
     * re-created peer would otherwise have none).
     */
    static PeerUpdate merged(PeerUpdate a, PeerUpdate b) {
        return new PeerUpdate(b.publicKey(), b.endpoint().or(a::endpoint),
                b.persistentKeepalive().or(a::persistentKeepalive), b.replaceAllowedIps().or(a::replaceAllowedIps),
                a.fresh() || b.fresh());
    }

    private void applyPending() {
        List<PeerUpdate> batch;
        long seq;
        synchronized (this) {
            batch = new ArrayList<>(pending.values());
            pending.clear();
            applyQueued = false;
            seq = batchesAsked;
        }
        Optional<WireGuardException> error = Optional.empty();
        try {
            wg.apply(batch);
        } catch (WireGuardException e) {
            error = Optional.of(e);
        } catch (RuntimeException e) {
            error = Optional.of(internal("configuring", e));
        }
        batchesDone = seq;
        ApplyResult result = new ApplyResult(error, seq);
        post(() -> listener.onApplied(result));
    }

    private WireGuardException internal(String doing, RuntimeException e) {
        return new WireGuardException(WireGuardException.Reason.IO, "internal error " + doing + " the interface: " + e
                + " (please report)", e);
    }

    private void submit(Runnable r) {
        try {
            thread.execute(r);
        } catch (RejectedExecutionException e) {
            // Closed: the agent is stopping, nothing more to do on the device.
        }
    }

    private void post(Runnable r) {
        try {
            meshThread.execute(r);
        } catch (RejectedExecutionException e) {
            // The mesh thread has stopped: the result is of no use any more.
        }
    }

    /**
     * Stops the worker and closes the WireGuard handle: after the call in progress when that ends in
     * time, otherwise from here, which also ends a blocked read; we are exiting either way.
     */
    @Override
    public void close() {
        thread.shutdown();
        try {
            // An interrupt ends a UAPI wait early; a netlink call ends within its own timeout.
            if (!thread.awaitTermination(1000, TimeUnit.MILLISECONDS)) {
                thread.shutdownNow();
                thread.awaitTermination(200, TimeUnit.MILLISECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        wg.close();
    }
}
