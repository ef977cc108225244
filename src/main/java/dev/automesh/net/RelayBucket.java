package dev.automesh.net;

/**
 * A token bucket in bytes, refilled from the nanosecond times it is given (no clock of its own, so it
 * is tested without sleeps). Not thread-safe: used on the relay's event loop.
 */
final class RelayBucket {
    private final long bytesPerSecond;
    private final long capacity;
    private double tokens;
    private long last;

    RelayBucket(long bytesPerSecond, long capacity, long nowNanos) {
        this.bytesPerSecond = bytesPerSecond;
        this.capacity = capacity;
        this.tokens = capacity;
        this.last = nowNanos;
    }

    /** Takes {@code bytes} if the bucket holds them. */
    boolean take(int bytes, long nowNanos) {
        long elapsed = nowNanos - last;
        if (elapsed > 0) {
            tokens = Math.min(capacity, tokens + elapsed * (bytesPerSecond / 1e9));
            last = nowNanos;
        }
        if (tokens < bytes) return false;
        tokens -= bytes;
        return true;
    }
}
