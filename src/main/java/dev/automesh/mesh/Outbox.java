package dev.automesh.mesh;

import dev.automesh.wire.Message;
import dev.automesh.wire.TimedEndpoint;
import java.net.InetSocketAddress;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;

/**
 * Paces Announces: a fan-out or a Request's answer queues (destination, pubkey) pairs, and each Mesh
 * call sends what the budgets allow, the rest on later calls (onTick at the latest). A queued pair is
 * sent with the table's list at that moment, so a pubkey that changes again while queued goes out once,
 * current. Budgets: per call (no event emits a storm), and per destination a token bucket (a 1000-entry
 * table reaches one asker in a few seconds without flooding its socket buffer).
 */
final class Outbox {
    /** Announces emitted by one Mesh call at most. */
    static final int CALL_BUDGET = 256;
    /** Per destination: this many at once, refilled at this rate per second. */
    static final int PEER_BURST = 200;
    static final int PEER_PER_S = 200;

    /** A destination's token bucket. */
    private static final class Bucket {
        double tokens = PEER_BURST;
        long atMillis = Long.MIN_VALUE;

        void refill(long nowMillis) {
            if (atMillis != Long.MIN_VALUE && nowMillis > atMillis) {
                tokens = Math.min(PEER_BURST, tokens + (nowMillis - atMillis) * PEER_PER_S / 1000.0);
            }
            atMillis = nowMillis;
        }
    }

    private final int maxDestinations;
    private final Map<InetSocketAddress, LinkedHashSet<String>> queues = new LinkedHashMap<>();
    private final Map<InetSocketAddress, Bucket> buckets = new HashMap<>();
    private long dropped;
    /** No queued destination has a token before this (nothing queued since): a drain before it has nothing to send. */
    private long idleUntilMillis = Long.MIN_VALUE;

    /** @param maxDestinations how many destinations may have something queued (the rest is dropped, counted) */
    Outbox(int maxDestinations) {
        this.maxDestinations = maxDestinations;
    }

    /** Queues an Announce of {@code pk} for {@code to} (once: a queued pubkey is not queued twice). */
    void announce(InetSocketAddress to, String pk) {
        idleUntilMillis = Long.MIN_VALUE;
        LinkedHashSet<String> q = queues.get(to);
        if (q == null) {
            if (queues.size() >= maxDestinations) {
                dropped++;
                return;
            }
            q = new LinkedHashSet<>();
            queues.put(to, q);
        }
        q.add(pk);
    }

    /** Whether anything waits. */
    boolean pending() {
        return !queues.isEmpty();
    }

    /** Queued Announces in all. */
    int size() {
        int n = 0;
        for (var q : queues.values()) n += q.size();
        return n;
    }

    long dropped() {
        return dropped;
    }

    /** Sends what the budgets allow, round-robin over destinations so one big answer does not starve the rest. */
    void drain(GossipTable table, long nowMillis, Out out) {
        drain(table, nowMillis, CALL_BUDGET, out);
    }

    /** The same, with at most {@code callBudget} Announces: what the call's other datagrams left. */
    void drain(GossipTable table, long nowMillis, int callBudget, Out out) {
        if (queues.isEmpty() || nowMillis < idleUntilMillis || callBudget <= 0) return;
        int budget = callBudget;
        // Passes over the destinations in queue order, a slice each, until the budget is spent or nobody
        // can send: in place, as every Mesh call drains and up to N destinations wait in a cold start.
        boolean sentAny = true;
        while (budget > 0 && sentAny) {
            sentAny = false;
            for (var it = queues.entrySet().iterator(); budget > 0 && it.hasNext(); ) {
                var entry = it.next();
                InetSocketAddress to = entry.getKey();
                LinkedHashSet<String> q = entry.getValue();
                Bucket b = buckets.computeIfAbsent(to, k -> new Bucket());
                b.refill(nowMillis);
                if (b.tokens < 1) continue;
                Iterator<String> pks = q.iterator();
                // A slice per destination per round: fair, and few rounds.
                int slice = Math.max(1, Math.min(budget, Math.min((int) b.tokens, CALL_BUDGET / 8)));
                for (int k = 0; k < slice && pks.hasNext(); k++) {
                    String pk = pks.next();
                    pks.remove();
                    sentAny = true;
                    List<TimedEndpoint> eps = table.endpoints(pk);
                    if (eps.isEmpty()) continue;
                    out.send(to, new Message.Announce(pk, eps));
                    b.tokens--;
                    budget--;
                }
                if (q.isEmpty()) it.remove();
            }
        }
        if (budget > 0 && !queues.isEmpty()) {
            // Every destination left is out of tokens: skip the drains (every Mesh call) until one has one again.
            long next = Long.MAX_VALUE;
            for (InetSocketAddress to : queues.keySet()) {
                Bucket b = buckets.get(to);
                next = Math.min(next, b.atMillis + (long) Math.floor((1 - b.tokens) * 1000 / PEER_PER_S));
            }
            idleUntilMillis = next;
        }
        // Only the buckets' memory: forgetting one refills it, which a bounded map may afford.
        if (buckets.size() > 4 * maxDestinations) buckets.keySet().retainAll(queues.keySet());
    }
}
