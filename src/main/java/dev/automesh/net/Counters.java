package dev.automesh.net;

import java.util.concurrent.atomic.AtomicLong;

/**
 * Datagram counters of one agent, readable from any thread (status socket, metrics). Counting replaces
 * per-packet logging: garbage is dropped and counted, never logged at INFO.
 */
public final class Counters {
    final AtomicLong datagramsIn = new AtomicLong();
    final AtomicLong datagramsOut = new AtomicLong();
    final AtomicLong droppedUndecryptable = new AtomicLong();
    final AtomicLong droppedUndecodable = new AtomicLong();
    /** Datagrams that could not be sent. */
    final AtomicLong droppedReplayed = new AtomicLong();
    final AtomicLong sendErrors = new AtomicLong();
    /** Errors the socket reported on receive (an ICMP error surfaced on the next read, say). */
    final AtomicLong receiveErrors = new AtomicLong();
    final AtomicLong ownBroadcastsIgnored = new AtomicLong();

    /** An immutable reading of the counters. */
    public record Snapshot(long datagramsIn, long datagramsOut, long droppedUndecryptable, long droppedUndecodable,
                           long sendErrors, long receiveErrors, long ownBroadcastsIgnored, long droppedReplayed) {
        public Snapshot(long datagramsIn, long datagramsOut, long droppedUndecryptable, long droppedUndecodable,
                        long sendErrors, long receiveErrors, long ownBroadcastsIgnored) {
            this(datagramsIn, datagramsOut, droppedUndecryptable, droppedUndecodable, sendErrors, receiveErrors,
                    ownBroadcastsIgnored, 0);
        }
    }

    public Snapshot snapshot() {
        return new Snapshot(datagramsIn.get(), datagramsOut.get(), droppedUndecryptable.get(),
                droppedUndecodable.get(), sendErrors.get(), receiveErrors.get(), ownBroadcastsIgnored.get(),
                droppedReplayed.get());
    }
}
