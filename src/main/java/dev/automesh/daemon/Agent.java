package dev.automesh.daemon;

import dev.automesh.config.Config;
import dev.automesh.config.HostPort;
import dev.automesh.config.PeerConfig;
import dev.automesh.crypto.GossipCipher;
import dev.automesh.crypto.WgKey;
import dev.automesh.mesh.Action;
import dev.automesh.mesh.Mesh;
import dev.automesh.mesh.MeshSettings;
import dev.automesh.net.Counters;
import dev.automesh.net.GossipChannel;
import dev.automesh.store.EndpointStore;
import dev.automesh.wg.WgDevice;
import dev.automesh.wg.WireGuard;
import dev.automesh.wg.WireGuardException;
import dev.automesh.wg.WireGuards;
import dev.automesh.wire.Message;
import dev.automesh.wire.TimedEndpoint;
import io.netty.channel.EventLoop;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.util.concurrent.ScheduledFuture;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Wires the mesh state machine to the real world. One thread, the gossip channel's event loop, owns
 * the {@link Mesh} and the {@link WireGuard} handle: datagrams, the poll timer, DNS results and UPnP
 * results all run there. Blocking work happens elsewhere: DNS on its own thread, state-file writes on
 * another (debounced, from an immutable snapshot), add-ons on a third.
 */
public final class Agent {
    /** Exit statuses (sysexits.h) for failures waiting cannot fix. */
    public static final int EXIT_OK = 0;
    public static final int EXIT_UNAVAILABLE = 69;
    public static final int EXIT_NOPERM = 77;

    static final long PERSIST_DEBOUNCE_MILLIS = 1500;
    static final long DNS_REFRESH_MILLIS = 5 * 60_000;
    static final long DNS_RETRY_MILLIS = 15_000;
    /** How long shutdown may spend on the final save and on closing add-ons. */
    static final long SHUTDOWN_STEP_MILLIS = 300;
    /** Add-ons get this long, together, to close at shutdown. */
    static final long SERVICES_CLOSE_MILLIS = 500;

    private final Logger log = LoggerFactory.getLogger(Agent.class);
    /** The mesh's own state-change lines (Notice actions) log under the mesh's name. */
    private final Logger meshLog = LoggerFactory.getLogger(Mesh.class);
    private final Config config;
    private final List<AgentService> services;
    private final InterfaceWait.Opener opener;
    private final LongSupplier clock;
    private final Optional<InetAddress> bindAddress;
    private final CountDownLatch stopRequested = new CountDownLatch(1);
    private final CountDownLatch terminated = new CountDownLatch(1);
    private final CompletableFuture<AgentHandle> started = new CompletableFuture<>();
    private volatile boolean stopping;

    // Set once in run(), before the mesh thread sees any event.
    private volatile GossipChannel gossip;
    private volatile EventLoop loop;

    // Mesh-thread state.
    private Mesh mesh;
    private WireGuard wg;
    private WgKey ownKey;
    private WgDevice lastDevice;
    private boolean interfacePresent = true;
    private String lastReadError;
    private String lastConfigureError;
    private Optional<InetSocketAddress> externalEndpoint = Optional.empty();
    private final Set<String> reportedBugs = new HashSet<>();

    // DNS-thread state: last failure per host, so a dead name is logged once, not at every retry.
    private final Map<String, String> dnsFailures = new LinkedHashMap<>();
    private boolean dnsRetryPending;
    private volatile ScheduledExecutorService dnsExec;

    public Agent(Config config, List<AgentService> services) {
        this(config, services,
                () -> WireGuards.open(config.wireguardBackend(), config.interfaceName(), config.uapiSocket()),
                System::currentTimeMillis);
    }

    Agent(Config config, List<AgentService> services, InterfaceWait.Opener opener, LongSupplier clock) {
        this(config, services, opener, clock, Optional.empty());
    }

    /** {@code bindAddress}: tests run several agents in one namespace, each on its own loopback address. */
    Agent(Config config, List<AgentService> services, InterfaceWait.Opener opener, LongSupplier clock,
          Optional<InetAddress> bindAddress) {
        this.bindAddress = bindAddress;
        this.config = Objects.requireNonNull(config);
        this.services = List.copyOf(services);
        this.opener = opener;
        this.clock = clock;
    }

    /** Asks a running (or still waiting) agent to stop; run() then cleans up and returns. Any thread. */
    public void requestStop() {
        stopRequested.countDown();
    }

    /** Waits until run() has finished cleaning up. */
    public boolean awaitTermination(long millis) throws InterruptedException {
        return terminated.await(millis, TimeUnit.MILLISECONDS);
    }

    /** Completes once the agent is up (interface found, socket bound, mesh started). */
    public CompletableFuture<AgentHandle> started() {
        return started;
    }

    /**
     * Runs until {@link #requestStop()}: waits for the interface, starts gossip, and at stop saves the
     * state and releases everything.
     *
     * @return the exit status: 0 after a requested stop, 69/77 when WireGuard cannot be used at all
     */
    public int run() throws InterruptedException {
        try {
            return runUntilStopped();
        } finally {
            terminated.countDown();
            if (!started.isDone()) started.completeExceptionally(new IllegalStateException("agent stopped"));
        }
    }

    private int runUntilStopped() throws InterruptedException {
        config.warnings().forEach(w -> log.warn("{}", w));
        Optional<InterfaceWait.Ready> ready;
        try {
            ready = InterfaceWait.await(config.wireguardBackend(), config.interfaceName(), opener,
                    ms -> !stopRequested.await(ms, TimeUnit.MILLISECONDS), clock, log::info);
        } catch (InterfaceWait.Fatal e) {
            log.error("{}", e.getMessage());
            return e.reason == WireGuardException.Reason.NOT_PERMITTED ? EXIT_NOPERM : EXIT_UNAVAILABLE;
        }
        if (ready.isEmpty()) return EXIT_OK;
        wg = ready.get().wireGuard();
        lastDevice = ready.get().device();
        ownKey = lastDevice.publicKey().orElseThrow();

        Optional<EndpointStore> store = config.persistFile().map(EndpointStore::new);
        Map<String, List<TimedEndpoint>> saved = Map.of();
        if (store.isPresent()) {
            EndpointStore.Loaded loaded = store.get().load();
            loaded.warning().ifPresent(w -> log.warn("{}", w));
            saved = loaded.table();
        }
        mesh = new Mesh(new MeshSettings(ownKey, config.gossipPort(), config.lanDiscovery(),
                config.peers(), dev.automesh.net.LanInterfaces.subnets()));

        ScheduledExecutorService persistExec = Executors.newSingleThreadScheduledExecutor(
                new DefaultThreadFactory("automesh-persist", true));
        dnsExec = Executors.newSingleThreadScheduledExecutor(
                new DefaultThreadFactory("automesh-dns", true));
        ExecutorService serviceExec = Executors.newCachedThreadPool(new DefaultThreadFactory("automesh-addon", true));
        Debouncer<Map<String, List<TimedEndpoint>>> persist = store
                .map(s -> new Debouncer<Map<String, List<TimedEndpoint>>>(PERSIST_DEBOUNCE_MILLIS, t -> save(s, t), persistExec))
                .orElse(null);
        try {
            GossipChannel g;
            try {
                g = GossipChannel.bind(bindAddress, config.gossipPort(), config.ipv6(),
                        GossipCipher.fromSecret(config.gossipSecret()), this::onMessage);
            } catch (IllegalStateException e) {
                log.error("{}", e.getMessage());
                return EXIT_UNAVAILABLE;
            }
            gossip = g;
            loop = g.transport().eventLoop();
            this.persist = persist;
            Map<String, List<TimedEndpoint>> initial = saved;
            loop.submit(() -> {
                long now = clock.getAsLong();
                guarded("start", () -> execute(mesh.start(initial, now)));
                guarded("device", () -> execute(mesh.onDevice(lastDevice, now)));
            }).syncUninterruptibly();
            long poll = Math.max(50, config.wgPollMillis());
            ScheduledFuture<?> pollTask = loop.scheduleWithFixedDelay(this::poll, poll, poll, TimeUnit.MILLISECONDS);
            dnsExec.scheduleWithFixedDelay(this::resolveEndpoints, 0, DNS_REFRESH_MILLIS, TimeUnit.MILLISECONDS);
            log.info("automesh running on {} ({}): public key {}, WireGuard port {}, gossip port {}, {} peer(s){}",
                    config.interfaceName(), wg.kind(), ownKey, lastDevice.listenPort(), g.transport().localAddress().getPort(),
                    config.peers().size(), store.map(s -> ", state file " + s.file()).orElse(""));
            AgentHandle handle = new Handle();
            for (AgentService s : services) {
                starting.add(serviceExec.submit(() -> {
                    try {
                        s.start(handle);
                    } catch (Exception | LinkageError e) {
                        log.warn("{} did not start: {}", s.name(), e.getMessage());
                    }
                }));
            }
            started.complete(handle);

            stopRequested.await();
            stopping = true;
            pollTask.cancel(false);
            dnsExec.shutdownNow();
            Map<String, List<TimedEndpoint>> finalState = null;
            try {
                finalState = loop.submit(this::snapshotState).get(SHUTDOWN_STEP_MILLIS, TimeUnit.MILLISECONDS);
            } catch (Exception e) {
                log.warn("could not read the final mesh state for saving: {}", e.toString());
            }
            // Save first: it matters most and is fast. Then add-ons, in parallel and time-bounded (a UPnP
            // router that does not answer must not hold up the exit; its lease expires on its own).
            if (persist != null) {
                // The mesh thread may be stuck in a slow WireGuard read: then save what is already pending.
                boolean done = finalState != null ? persist.flush(finalState, SHUTDOWN_STEP_MILLIS)
                        : persist.flushPending(SHUTDOWN_STEP_MILLIS);
                if (!done) log.warn("saving {} at shutdown did not finish in time", store.get().file());
            }
            closeServices(serviceExec, SERVICES_CLOSE_MILLIS);
            return EXIT_OK;
        } finally {
            stopping = true;
            dnsExec.shutdownNow();
            persistExec.shutdownNow();
            serviceExec.shutdownNow();
            // The WireGuard handle belongs to the mesh thread: close it there, after any read in progress.
            // If that thread is stuck (a read blocked up to its timeout), close it from here, which also
            // unblocks the read; we are exiting either way.
            boolean closedOnLoop = false;
            if (loop != null) {
                try {
                    loop.submit(wg::close).get(1000, TimeUnit.MILLISECONDS);
                    closedOnLoop = true;
                } catch (Exception e) {
                    log.debug("closing WireGuard on the mesh thread: {}", e.toString());
                }
            }
            if (gossip != null) gossip.close();
            if (!closedOnLoop) wg.close();
            log.info("stopped");
        }
    }

    private Debouncer<Map<String, List<TimedEndpoint>>> persist;
    private final List<java.util.concurrent.Future<?>> starting = new ArrayList<>();

    private void closeServices(ExecutorService exec, long millis) {
        // A service still starting would otherwise create what close() already missed (a socket, a mapping).
        long deadline = System.nanoTime() + millis * 1_000_000 / 2;
        for (java.util.concurrent.Future<?> f : starting) {
            try {
                f.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            } catch (Exception e) {
                // not started in time (or failed): close it anyway
            }
        }
        List<CompletableFuture<Void>> closing = new ArrayList<>();
        for (AgentService s : services) {
            closing.add(CompletableFuture.runAsync(() -> {
                try {
                    s.close();
                } catch (RuntimeException e) {
                    log.warn("closing {}: {}", s.name(), e.getMessage());
                }
            }, exec));
        }
        try {
            CompletableFuture.allOf(closing.toArray(new CompletableFuture<?>[0])).get(millis, TimeUnit.MILLISECONDS);
        } catch (Exception e) {
            for (int i = 0; i < services.size(); i++) {
                if (!closing.get(i).isDone()) log.warn("{} did not close within {} ms; exiting anyway", services.get(i).name(), millis);
            }
        }
    }

    private void save(EndpointStore store, Map<String, List<TimedEndpoint>> table) {
        try {
            store.save(table);
            log.debug("saved {} peer(s) to {}", table.size(), store.file());
        } catch (IOException | RuntimeException e) {
            log.warn("cannot save known endpoints to {}: {}", store.file(), e.getMessage());
        }
    }

    // ---- mesh thread ----

    /** An immutable deep copy, so the persist thread never sees the mesh's own collections. */
    private Map<String, List<TimedEndpoint>> snapshotState() {
        Map<String, List<TimedEndpoint>> copy = new LinkedHashMap<>();
        mesh.persistentState().forEach((k, v) -> copy.put(k, List.copyOf(v)));
        return Map.copyOf(copy);
    }

    private void onMessage(InetSocketAddress from, Message message) {
        if (stopping) return;
        guarded("datagram", () -> execute(mesh.onDatagram(from, message, clock.getAsLong())));
    }

    private void poll() {
        if (stopping) return;
        // Netty cancels a periodic task that throws: nothing may escape, or the agent silently stops polling.
        guarded("poll", this::pollOnce);
    }

    private void pollOnce() {
        long now = clock.getAsLong();
        try {
            WgDevice d = wg.read();
            if (!interfacePresent) {
                log.info("WireGuard interface {} is back; resuming with the mesh state kept", config.interfaceName());
                interfacePresent = true;
            }
            lastReadError = null;
            if (d.publicKey().isPresent() && !d.publicKey().get().equals(ownKey) && !d.publicKey().equals(lastDevice.publicKey())) {
                // The mesh announces and ranks by our key: a new key needs a fresh start, not a silent mix-up.
                log.warn("the key of {} changed to {} (was {}); restart automesh to gossip under the new key",
                        config.interfaceName(), d.publicKey().get(), ownKey);
            }
            lastDevice = d;
            guarded("device", () -> execute(mesh.onDevice(d, now)));
        } catch (WireGuardException e) {
            if (!Objects.equals(e.getMessage(), lastReadError)) {
                log.warn("cannot read WireGuard interface {}: {}; keeping the mesh state and retrying every {} ms",
                        config.interfaceName(), e.getMessage(), config.wgPollMillis());
                lastReadError = e.getMessage();
            }
            interfacePresent = false;
            return;
        }
        guarded("tick", () -> execute(mesh.onTick(now)));
    }

    private void execute(List<Action> actions) {
        // One failing action (say, a message the codec rejects) must not swallow the ones after it.
        for (Action a : actions) guarded("action " + a.getClass().getSimpleName(), () -> execute(a));
    }

    private void execute(Action a) {
        if (a instanceof Action.Send s) {
            gossip.send(s.to(), s.message());
        } else if (a instanceof Action.Broadcast b) {
            gossip.broadcast(b.message());
        } else if (a instanceof Action.Configure c) {
            configure(c);
        } else if (a instanceof Action.Persist) {
            if (persist != null) persist.submit(snapshotState());
        } else if (a instanceof Action.Notice n) {
            meshLog.info("{}", NoticeLines.line(n));
        }
    }

    private void configure(Action.Configure c) {
        try {
            wg.apply(c.updates());
            if (lastConfigureError != null) {
                log.info("configuring peers of {} works again", config.interfaceName());
                lastConfigureError = null;
            }
        } catch (WireGuardException e) {
            // Once per distinct error: the mesh retries on every change, which must not flood the log.
            if (!Objects.equals(e.getMessage(), lastConfigureError)) {
                log.warn("cannot configure peers of {}: {}", config.interfaceName(), e.getMessage());
                lastConfigureError = e.getMessage();
            }
        }
    }

    /** A bug in the mesh logic must not kill the mesh thread (Netty cancels a periodic task that throws). */
    private void guarded(String what, Runnable r) {
        try {
            r.run();
        } catch (RuntimeException e) {
            String key = what + ":" + e;
            if (reportedBugs.size() < 100 && reportedBugs.add(key)) {
                log.error("internal error handling {} (please report; further occurrences not logged)", what, e);
            }
        }
    }

    // ---- DNS thread ----

    private void resolveEndpoints() {
        boolean anyFailed = false;
        for (PeerConfig p : config.peers()) {
            if (stopping) return;
            if (p.endpoint().isEmpty() || p.pubkey().equals(ownKey)) continue;
            HostPort hp = p.endpoint().get();
            List<InetSocketAddress> addrs = new ArrayList<>();
            try {
                for (InetAddress a : InetAddress.getAllByName(hp.host())) addrs.add(new InetSocketAddress(a, hp.port()));
                if (dnsFailures.remove(hp.host()) != null) log.info("{} resolves again", hp.host());
            } catch (UnknownHostException e) {
                String msg = e.getMessage();
                if (!Objects.equals(dnsFailures.put(hp.host(), msg), msg)) {
                    log.warn("cannot resolve endpoint {} of peer {}: {}; retrying every {} s (its last addresses, if any, stay in use)",
                            hp, p.displayName(), msg, DNS_RETRY_MILLIS / 1000);
                }
            }
            if (addrs.isEmpty()) {
                // Keep what resolved before: a DNS outage must not take a working endpoint away.
                anyFailed = true;
                continue;
            }
            WgKey key = p.pubkey();
            List<InetSocketAddress> result = List.copyOf(addrs);
            loop.execute(() -> {
                if (!stopping) guarded("dns", () -> execute(mesh.onResolved(key, result, clock.getAsLong())));
            });
        }
        // A name that failed (typically at boot, before the network is up) is retried soon, not in 5 minutes.
        if (anyFailed && !stopping && !dnsRetryPending) {
            dnsRetryPending = true;
            dnsExec.schedule(() -> {
                dnsRetryPending = false;
                resolveEndpoints();
            }, DNS_RETRY_MILLIS, TimeUnit.MILLISECONDS);
        }
    }

    // ---- handle for add-ons ----

    private final class Handle implements AgentHandle, AgentView {
        @Override
        public Config config() {
            return config;
        }

        @Override
        public <T> CompletableFuture<T> inspect(Function<AgentView, T> query) {
            CompletableFuture<T> f = new CompletableFuture<>();
            if (stopping) {
                f.completeExceptionally(new IllegalStateException("agent is stopping"));
                return f;
            }
            try {
                loop.execute(() -> {
                    try {
                        f.complete(query.apply(this));
                    } catch (RuntimeException e) {
                        f.completeExceptionally(e);
                    }
                });
            } catch (java.util.concurrent.RejectedExecutionException e) {
                f.completeExceptionally(new IllegalStateException("agent has stopped"));
            }
            return f;
        }

        @Override
        public void externalEndpoint(Optional<InetSocketAddress> endpoint) {
            Objects.requireNonNull(endpoint);
            try {
                loop.execute(() -> {
                    if (stopping) return;
                    // Repeats too: the mesh re-announces an unchanged endpoint when it gets old.
                    externalEndpoint = endpoint;
                    guarded("external endpoint", () -> execute(mesh.onExternalEndpoint(endpoint, clock.getAsLong())));
                });
            } catch (java.util.concurrent.RejectedExecutionException e) {
                // Stopped meanwhile: nothing to update.
            }
        }

        @Override
        public Counters.Snapshot counters() {
            return gossip.counters().snapshot();
        }

        @Override
        public Mesh mesh() {
            return mesh;
        }

        @Override
        public WgKey ownKey() {
            return ownKey;
        }

        @Override
        public String backendKind() {
            return wg.kind();
        }

        @Override
        public WgDevice lastDevice() {
            return lastDevice;
        }

        @Override
        public boolean interfacePresent() {
            return interfacePresent;
        }

        @Override
        public Optional<InetSocketAddress> externalEndpoint() {
            return externalEndpoint;
        }

        @Override
        public long nowMillis() {
            return clock.getAsLong();
        }

        @Override
        public AgentStatus snapshot() {
            return new AgentStatus(config.interfaceName(), wg.kind(), ownKey, lastDevice.listenPort(),
                    gossip.transport().localAddress().getPort(), interfacePresent, lastDevice, externalEndpoint,
                    counters());
        }
    }
}
