package dev.automesh.mesh;

import java.net.InetSocketAddress;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/**
 * How often each endpoint of one peer was tried and how long it must wait before the next try: 5 s,
 * 10 s, 20 s ... at most 120 s after each failure. Forgetting an endpoint (a fresher sighting of it)
 * makes it untried, and so first in line.
 */
final class Attempts {
    static final long BACKOFF_BASE_MS = 5_000;
    static final long BACKOFF_MAX_MS = 120_000;

    /** One endpoint's record; tries and the last try are for status. */
    record Attempt(int tries, int failures, long lastTriedMillis, long eligibleAtMillis) {
        Attempt tried(long nowMillis) {
            return new Attempt(tries + 1, failures, nowMillis, eligibleAtMillis);
        }

        Attempt failed(long nowMillis) {
            int f = failures + 1;
            return new Attempt(tries, f, lastTriedMillis,
                    nowMillis + Math.min(BACKOFF_MAX_MS, BACKOFF_BASE_MS << Math.min(f - 1, 20)));
        }

        Attempt reset() {
            return new Attempt(tries, 0, lastTriedMillis, 0);
        }
    }

    private final Map<InetSocketAddress, Attempt> byAddress = new HashMap<>();

    Optional<Attempt> of(InetSocketAddress a) {
        return Optional.ofNullable(byAddress.get(a));
    }

    boolean untried(InetSocketAddress a) {
        return !byAddress.containsKey(a);
    }

    /** Untried, or its backoff is over. */
    boolean eligible(InetSocketAddress a, long nowMillis) {
        Attempt x = byAddress.get(a);
        return x == null || x.eligibleAtMillis() <= nowMillis;
    }

    void tried(InetSocketAddress a, long nowMillis) {
        byAddress.put(a, byAddress.getOrDefault(a, new Attempt(0, 0, 0, 0)).tried(nowMillis));
    }

    /** Its try window passed without a handshake (nothing to count if it was forgotten meanwhile). */
    void failed(InetSocketAddress a, long nowMillis) {
        byAddress.computeIfPresent(a, (k, x) -> x.failed(nowMillis));
    }

    int size() {
        return byAddress.size();
    }

    /** Whether it failed since the last reset (a peer's state change). */
    boolean hasFailed(InetSocketAddress a) {
        Attempt x = byAddress.get(a);
        return x != null && x.failures() > 0;
    }

    /** Drops the records of endpoints that are no longer candidates. */
    void retain(java.util.List<PathCandidate> cands) {
        if (byAddress.size() <= cands.size()) return;
        java.util.Set<InetSocketAddress> keep = new java.util.HashSet<>();
        for (PathCandidate c : cands) keep.add(c.address());
        byAddress.keySet().retainAll(keep);
    }

    void forget(InetSocketAddress a) {
        byAddress.remove(a);
    }

    /** The connection state changed: old failures say nothing about the new situation (tries stay). */
    void resetBackoff() {
        byAddress.replaceAll((k, x) -> x.reset());
    }
}
