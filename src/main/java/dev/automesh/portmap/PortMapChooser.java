package dev.automesh.portmap;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs the configured protocols in order of preference, one at a time: the first that maps the port
 * stays; one that finds no server or fails before it ever mapped is closed and the next is tried.
 * After the last, the round starts again from the first with a doubling delay. A protocol that
 * mapped and then fails three times in a row gives way too (the router was reconfigured).
 * Decisions run on the chooser's own thread; the protocol clients do their I/O on theirs.
 */
public final class PortMapChooser implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(PortMapChooser.class);
    static final int FAILURES_BEFORE_FALLBACK_WHEN_MAPPED = 3;

    /** Creates one protocol's client; the real one is {@link #realClients()}. */
    public interface Factory {
        PortMapper create(Protocol p, PortMapSettings s, Consumer<Optional<InetSocketAddress>> onExternalEndpoint,
                Consumer<PortMapStatus> onStatus);
    }

    private final PortMapSettings settings;
    private final Consumer<Optional<InetSocketAddress>> onExternalEndpoint;
    private final Factory factory;
    private final ScheduledThreadPoolExecutor executor;
    private volatile PortMapper current;
    private volatile String tried = "";
    private volatile boolean closed;

    // Confined to the executor thread.
    private int index;
    private int rounds;
    private boolean everMapped;
    private final List<String> reasons = new ArrayList<>();

    public PortMapChooser(PortMapSettings settings, Consumer<Optional<InetSocketAddress>> onExternalEndpoint, Factory factory) {
        this.settings = Objects.requireNonNull(settings);
        this.onExternalEndpoint = Objects.requireNonNull(onExternalEndpoint);
        this.factory = Objects.requireNonNull(factory);
        this.executor = new ScheduledThreadPoolExecutor(1, r -> {
            Thread t = new Thread(r, "automesh-portmap");
            t.setDaemon(true);
            return t;
        });
        executor.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
    }

    /** NAT-PMP and PCP on the default gateway, UPnP IGD by SSDP. */
    public static Factory realClients() {
        return (p, s, ext, st) -> p == Protocol.UPNP ? new UpnpMapper(s, ext, st)
                : new PmpClient(p, s, PmpClient.defaultGateway(), ext, st);
    }

    public PortMapSettings settings() {
        return settings;
    }

    public void start() {
        log.info("port mapping: forwarding external UDP port {} to WireGuard port {}, protocols in order: {}",
                settings.externalPort(), settings.listenPort(), settings.protocols().stream().map(Protocol::label).toList());
        executor.execute(() -> startAt(0));
    }

    /** The protocol in use and its lease, one line; safe from any thread. */
    public String summary() {
        PortMapper m = current;
        String s = m == null ? "starting" : m.status().summary();
        String t = tried;
        return t.isEmpty() ? s : s + " (" + t + ")";
    }

    /** The current protocol's status, empty before the first starts. */
    public Optional<PortMapStatus> status() {
        PortMapper m = current;
        return m == null ? Optional.empty() : Optional.of(m.status());
    }

    // ---- executor thread ----

    private void startAt(int i) {
        if (closed) return;
        index = i;
        everMapped = false;
        Protocol p = settings.protocols().get(i);
        PortMapper[] self = new PortMapper[1];
        PortMapper m = factory.create(p, settings, onExternalEndpoint, s -> {
            try {
                executor.execute(() -> onStatus(self[0], s));
            } catch (java.util.concurrent.RejectedExecutionException e) {
                // closing
            }
        });
        self[0] = m;
        current = m;
        m.start();
    }

    private void onStatus(PortMapper m, PortMapStatus s) {
        if (closed || m != current) return;
        switch (s.state()) {
            case MAPPED -> {
                if (!everMapped) {
                    everMapped = true;
                    rounds = 0;
                    reasons.clear();
                    if (index > 0) log.info("port mapping: using {} ({})", s.protocol().label(), tried);
                }
            }
            case NO_GATEWAY, FAILED -> {
                if (everMapped && s.failures() < FAILURES_BEFORE_FALLBACK_WHEN_MAPPED) return;
                if (settings.protocols().size() == 1) return; // it keeps retrying with its own backoff
                reasons.add(s.protocol().label() + ": " + s.lastError().orElse(s.state().name().toLowerCase()));
                tried = "tried " + String.join("; ", reasons);
                m.close();
                int nextIndex = (index + 1) % settings.protocols().size();
                Protocol next = settings.protocols().get(nextIndex);
                if (nextIndex == 0) {
                    Duration delay = roundDelay();
                    rounds++;
                    log.warn("port mapping: no protocol could map UDP port {} ({}); starting again with {} in {} s",
                            settings.externalPort(), tried, next.label(), delay.toMillis() / 1000.0);
                    reasons.clear();
                    executor.schedule(() -> startAt(0), delay.toMillis(), TimeUnit.MILLISECONDS);
                } else {
                    log.info("port mapping: {} did not work, trying {}", s.protocol().label(), next.label());
                    startAt(nextIndex);
                }
            }
            default -> { }
        }
    }

    private Duration roundDelay() {
        Duration d = settings.upnp().retryMin().multipliedBy(1L << Math.min(rounds, 20));
        return d.compareTo(settings.upnp().retryMax()) > 0 ? settings.upnp().retryMax() : d;
    }

    /** Closes the protocol in use (deleting its mapping, bounded wait) and stops. Idempotent. */
    @Override
    public void close() {
        synchronized (this) {
            if (closed) return;
            closed = true;
        }
        Future<?> f = executor.submit(() -> {
            PortMapper m = current;
            if (m != null) m.close();
        });
        executor.shutdown();
        try {
            f.get(30, TimeUnit.SECONDS);
        } catch (TimeoutException | ExecutionException e) {
            log.warn("port mapping: closing {}: {}", current == null ? "" : current.protocol().label(), e.toString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            executor.shutdownNow();
        }
    }
}
