package dev.automesh.net;

import java.util.concurrent.atomic.AtomicLong;

/**
 * Counters of one node's relay socket, both roles, readable from any thread (status, metrics). Every
 * dropped frame is counted under its reason and never logged.
 */
public final class RelayCounters {
    // As relay (between two peers).
    final AtomicLong framesForwarded = new AtomicLong();
    final AtomicLong bytesForwarded = new AtomicLong();
    final AtomicLong sessionsOpened = new AtomicLong();
    final AtomicLong sessionsExpired = new AtomicLong();
    final AtomicLong droppedRateLimited = new AtomicLong();
    final AtomicLong droppedWrongSource = new AtomicLong();
    // As an end (our WireGuard's traffic to a peer through a relay).
    final AtomicLong framesToRelay = new AtomicLong();
    final AtomicLong bytesToRelay = new AtomicLong();
    final AtomicLong framesFromRelay = new AtomicLong();
    final AtomicLong bytesFromRelay = new AtomicLong();
    final AtomicLong droppedNotFromWireGuard = new AtomicLong();
    final AtomicLong droppedWhileProbing = new AtomicLong();
    // Either role.
    final AtomicLong droppedMalformed = new AtomicLong();
    final AtomicLong droppedUnknownSession = new AtomicLong();
    final AtomicLong droppedBackpressure = new AtomicLong();
    final AtomicLong sendErrors = new AtomicLong();

    /** An immutable reading. */
    public record Snapshot(long framesForwarded, long bytesForwarded, long sessionsOpened, long sessionsExpired,
                           long droppedRateLimited, long droppedWrongSource, long framesToRelay, long bytesToRelay,
                           long framesFromRelay, long bytesFromRelay, long droppedNotFromWireGuard,
                           long droppedMalformed, long droppedUnknownSession, long droppedBackpressure,
                           long sendErrors, long droppedWhileProbing) {}

    public Snapshot snapshot() {
        return new Snapshot(framesForwarded.get(), bytesForwarded.get(), sessionsOpened.get(), sessionsExpired.get(),
                droppedRateLimited.get(), droppedWrongSource.get(), framesToRelay.get(), bytesToRelay.get(),
                framesFromRelay.get(), bytesFromRelay.get(), droppedNotFromWireGuard.get(), droppedMalformed.get(),
                droppedUnknownSession.get(), droppedBackpressure.get(), sendErrors.get(), droppedWhileProbing.get());
    }
}
