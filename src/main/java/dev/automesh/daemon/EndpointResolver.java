package dev.automesh.daemon;

import dev.automesh.config.HostPort;
import dev.automesh.config.PeerConfig;
import dev.automesh.crypto.WgKey;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Resolves the configured peers' endpoint names on its own thread, every {@link #REFRESH_MILLIS} and
 * sooner after a failure, and hands each result to the mesh thread. Its own thread: the system
 * resolver blocks for seconds when DNS is down, which must delay neither gossip nor device reads.
 */
final class EndpointResolver implements AutoCloseable {
    static final long REFRESH_MILLIS = 5 * 60_000;
    static final long RETRY_MILLIS = 15_000;

    /** Receives the addresses of one peer's endpoint; called on the resolver thread. */
    @FunctionalInterface
    interface Sink {
        void resolved(WgKey peer, List<InetSocketAddress> addresses);
    }

    private static final Logger log = LoggerFactory.getLogger(Agent.class);
    private final List<PeerConfig> peers;
    private final WgKey ownKey;
    private final Sink sink;
    private final ScheduledExecutorService thread =
            Executors.newSingleThreadScheduledExecutor(new DefaultThreadFactory("automesh-dns", true));
    // Resolver-thread state: last failure per host, so a dead name is logged once, not at every retry.
    private final Map<String, String> failures = new LinkedHashMap<>();
    private boolean retryPending;
    private volatile boolean closed;

    EndpointResolver(List<PeerConfig> peers, WgKey ownKey, Sink sink) {
        this.peers = List.copyOf(peers);
        this.ownKey = ownKey;
        this.sink = sink;
    }

    void start() {
        thread.scheduleWithFixedDelay(this::resolveAll, 0, REFRESH_MILLIS, TimeUnit.MILLISECONDS);
    }

    private void resolveAll() {
        boolean anyFailed = false;
        for (PeerConfig p : peers) {
            if (closed) return;
            if (p.endpoint().isEmpty() || p.pubkey().equals(ownKey)) continue;
            List<InetSocketAddress> addrs = resolve(p);
            if (addrs.isEmpty()) {
                // Keep what resolved before: a DNS outage must not take a working endpoint away.
                anyFailed = true;
                continue;
            }
            sink.resolved(p.pubkey(), addrs);
        }
        // A name that failed (typically at boot, before the network is up) is retried soon, not in 5 minutes.
        if (anyFailed && !closed && !retryPending) {
            retryPending = true;
            thread.schedule(() -> {
                retryPending = false;
                resolveAll();
            }, RETRY_MILLIS, TimeUnit.MILLISECONDS);
        }
    }

    private List<InetSocketAddress> resolve(PeerConfig p) {
        HostPort hp = p.endpoint().get();
        List<InetSocketAddress> addrs = new ArrayList<>();
        try {
            for (InetAddress a : InetAddress.getAllByName(hp.host())) addrs.add(new InetSocketAddress(a, hp.port()));
            if (failures.remove(hp.host()) != null) log.info("{} resolves again", hp.host());
        } catch (UnknownHostException e) {
            String msg = e.getMessage();
            if (!Objects.equals(failures.put(hp.host(), msg), msg)) {
                log.warn("cannot resolve endpoint {} of peer {}: {}; retrying every {} s (its last addresses, if any, stay in use)",
                        hp, p.displayName(), msg, RETRY_MILLIS / 1000);
            }
        }
        return List.copyOf(addrs);
    }

    @Override
    public void close() {
        closed = true;
        thread.shutdownNow();
    }
}
