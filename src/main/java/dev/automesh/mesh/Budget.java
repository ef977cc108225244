package dev.automesh.mesh;

/**
 * A token bucket on the event time: at most {@code burst} at once, refilled at {@code perSecond}. It
 * bounds the work an input can trigger (reconfigurations, forwards, saves, answer bytes) whatever the
 * input rate. Counts what it refused.
 */
final class Budget {
    private final double perMilli;
    private final double burst;
    private double tokens;
    private long atMillis = Long.MIN_VALUE;
    private long refused;

    Budget(double perSecond, double burst) {
        this.perMilli = perSecond / 1000.0;
        this.burst = burst;
        this.tokens = burst;
    }

    /** Takes {@code n} tokens if there are that many; otherwise takes none and counts a refusal. */
    boolean take(double n, long nowMillis) {
        refill(nowMillis);
        if (tokens >= n) {
            tokens -= n;
            return true;
        }
        refused++;
        return false;
    }

    boolean take(long nowMillis) {
        return take(1, nowMillis);
    }

    /** Whether {@code n} tokens are there now, without taking them. */
    boolean has(double n, long nowMillis) {
        refill(nowMillis);
        return tokens >= n;
    }

    /** Full again: nothing was spent for a whole burst's worth of time. */
    boolean full(long nowMillis) {
        refill(nowMillis);
        return tokens >= burst;
    }

    long refused() {
        return refused;
    }

    private void refill(long nowMillis) {
        if (atMillis != Long.MIN_VALUE && nowMillis > atMillis) {
            tokens = Math.min(burst, tokens + (nowMillis - atMillis) * perMilli);
        }
        if (nowMillis > atMillis) atMillis = nowMillis;
    }
}
