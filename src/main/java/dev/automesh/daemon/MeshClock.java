package dev.automesh.daemon;

import java.util.function.LongSupplier;

/**
 * The time the mesh runs on, in milliseconds: it advances with the monotonic clock, so intervals
 * (backoff, Ping answers, windows) survive the wall clock being stepped back; and it follows the
 * wall clock forward when that jumps ahead of the monotonic one (a suspend, which Linux's monotonic
 * clock does not count), so nothing stale is taken as fresh after a resume. It starts at the wall
 * clock; after a backward step it runs ahead of it by {@link #offsetMillis()}, which {@link WallTime}
 * adds to every wall-clock date entering the mesh (WireGuard's handshake times, gossip, the state
 * file) and takes off every date leaving it. One thread (the mesh's) reads it.
 */
public final class MeshClock implements LongSupplier {
    /** Wall and monotonic clocks may disagree this much between two reads before it counts as a jump. */
    static final long JUMP_MS = 1_000;

    private final LongSupplier wallMillis;
    private final LongSupplier monotonicNanos;
    private long lastWall;
    private long lastMonoMillis;
    private long mesh;

    public MeshClock(LongSupplier wallMillis, LongSupplier monotonicNanos) {
        this.wallMillis = wallMillis;
        this.monotonicNanos = monotonicNanos;
        lastWall = wallMillis.getAsLong();
        lastMonoMillis = monotonicNanos.getAsLong() / 1_000_000;
        mesh = lastWall;
    }

    /** The mesh's now; never goes back. */
    @Override
    public long getAsLong() {
        long wall = wallMillis.getAsLong();
        long mono = monotonicNanos.getAsLong() / 1_000_000;
        long dMono = Math.max(0, mono - lastMonoMillis);
        long dWall = wall - lastWall;
        // Forward beyond the monotonic clock: follow the wall (suspend, or a step forward); else the monotonic one.
        mesh += dWall - dMono > JUMP_MS ? dWall : dMono;
        lastWall = wall;
        lastMonoMillis = mono;
        return mesh;
    }

    /** How far the mesh's time is ahead of the wall clock (as of the last read): the sum of backward steps, roughly. */
    public long offsetMillis() {
        return mesh - lastWall;
    }

    /** {@link #offsetMillis()} in whole seconds, for the unix-second dates of WireGuard and the wire. */
    public long offsetSeconds() {
        return Math.floorDiv(offsetMillis() + 500, 1000);
    }
}
