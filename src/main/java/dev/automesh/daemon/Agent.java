package dev.automesh.daemon;

import dev.automesh.config.Config;
import dev.automesh.crypto.GossipCipher;
import dev.automesh.crypto.WgKey;
import dev.automesh.mesh.Mesh;
import dev.automesh.mesh.MeshSettings;
import dev.automesh.net.GossipChannel;
import dev.automesh.net.NetworkMonitor;
import dev.automesh.store.EndpointStore;
import dev.automesh.wg.WgDevice;
import dev.automesh.wg.WireGuardException;
import dev.automesh.wg.WireGuards;
import dev.automesh.wire.TimedEndpoint;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.util.concurrent.ScheduledFuture;
import java.io.IOException;
import java.net.InetAddress;
import java.security.SecureRandom;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The agent's lifecycle: waits for the interface, builds the parts, runs until asked to stop, then
 * saves and releases everything. It owns the threads: the mesh thread (an event loop that receives
 * gossip and runs the {@link MeshDriver}), the WireGuard worker, the DNS resolver, the state-file
 * writer and the add-ons' start/close pool.
 */
public final class Agent {
    /** Kept for callers of the old names; {@link ExitCode} is where they are defined. */

    static final long PERSIST_DEBOUNCE_MILLIS = 1500;
    /** How long shutdown may spend on the final save and on closing add-ons. */
    static final long SHUTDOWN_STEP_MILLIS = 300;
    /** Add-ons get this long, together, to close at shutdown. */
    static final long SERVICES_CLOSE_MILLIS = 500;

    private final Logger log = LoggerFactory.getLogger(Agent.class);
    private final Config config;
    private final List<AgentService> services;
    private final InterfaceWait.Opener opener;
    private final LongSupplier clock;
    private final Optional<InetAddress> bindAddress;
    private final CountDownLatch stopRequested = new CountDownLatch(1);
    private final CountDownLatch terminated = new CountDownLatch(1);
    private final CompletableFuture<AgentHandle> started = new CompletableFuture<>();
    private final StatusSource status;
    private volatile boolean stopping;

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
        this.status = new StatusSource(config);
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
        // The status socket opens now, so that waiting is reported as such, not as "no agent".
        List<AgentService> early = AddOns.startWaiting(services, status);
        try {
            return waitThenRun();
        } finally {
            AddOns.closeWaiting(early);
        }
    }

    private int waitThenRun() throws InterruptedException {
        Optional<InterfaceWait.Ready> ready;
        try {
            ready = InterfaceWait.await(config.wireguardBackend(), config.interfaceName(), opener,
                    ms -> !stopRequested.await(ms, TimeUnit.MILLISECONDS), clock, log::info, status::waiting);
        } catch (InterfaceWait.Fatal e) {
            log.error("{}", e.getMessage());
            return e.reason == WireGuardException.Reason.NOT_PERMITTED ? ExitCode.NOPERM : ExitCode.UNAVAILABLE;
        }
        if (ready.isEmpty()) return ExitCode.OK;
        status.waiting("it is there; starting the mesh");
        try (Parts parts = new Parts(ready.get())) {
            return runWith(parts);
        }
    }

    /** Everything the running agent holds, released in reverse order of need at close. */
    private final class Parts implements AutoCloseable {
        final InterfaceWait.Ready ready;
        final WgKey ownKey;
        final Optional<EndpointStore> store = config.persistFile().map(EndpointStore::new);
        final EventLoopGroup meshGroup = new NioEventLoopGroup(1, new DefaultThreadFactory("automesh-mesh", true));
        final EventLoop loop = meshGroup.next();
        final ScheduledExecutorService persistExec = Executors.newSingleThreadScheduledExecutor(
                new DefaultThreadFactory("automesh-persist", true));
        final Optional<Debouncer<Map<String, List<TimedEndpoint>>>> persist;
        final AddOns addOns;
        GossipChannel gossip;
        RelayPlane relay;
        WgWorker wg;
        EndpointResolver dns;
        NetworkMonitor netmon;

        Parts(InterfaceWait.Ready ready) {
            this.ready = ready;
            this.ownKey = ready.device().publicKey().orElseThrow();
            this.persist = store.map(s -> new Debouncer<>(PERSIST_DEBOUNCE_MILLIS, t -> save(s, t), persistExec));
            this.addOns = new AddOns(services);
        }

        @Override
        public void close() {
            stopping = true;
            if (dns != null) dns.close();
            if (netmon != null) netmon.close();
            persistExec.shutdownNow();
            addOns.shutdownNow();
            if (wg != null) wg.close();
            else ready.wireGuard().close();
            if (gossip != null) gossip.close();
            if (relay != null) relay.close();
            meshGroup.shutdownGracefully(0, 200, TimeUnit.MILLISECONDS).awaitUninterruptibly(500);
            log.info("stopped");
        }
    }

    private int runWith(Parts p) throws InterruptedException {
        Map<String, List<TimedEndpoint>> saved = Map.of();
        if (p.store.isPresent()) {
            EndpointStore.Loaded loaded = p.store.get().load();
            loaded.warning().ifPresent(w -> log.warn("{}", w));
            saved = loaded.table();
        }
        // Read once here, not on the mesh thread when a key change makes a fresh Mesh.
        var lanSubnets = dev.automesh.net.LanInterfaces.subnets();
        SecureRandom seeds = new SecureRandom();
        Function<WgKey, Mesh> newMesh = key -> new Mesh(new MeshSettings(key, config.gossipPort(),
                config.lanDiscovery(), config.peers(), lanSubnets, config.relay(), config.relayPort(), seeds.nextLong()));
        MeshDriver[] driverRef = new MeshDriver[1];
        try {
            p.gossip = GossipChannel.bind(p.meshGroup, bindAddress, config.gossipPort(), config.ipv6(),
                    GossipCipher.fromSecret(config.gossipSecret()), (from, m, exts) -> driverRef[0].onMessage(from, m, exts));
        } catch (IllegalStateException e) {
            log.error("{}", e.getMessage());
            return ExitCode.UNAVAILABLE;
        }
        WgDevice first = p.ready.device();
        // On the mesh thread: the relay's control methods run there, and it is the relay socket's loop.
        p.relay = p.loop.submit(() -> RelayPlane.start(config, p.ownKey, p.loop, System::nanoTime, log))
                .syncUninterruptibly().getNow();
        MeshDriver driver = new MeshDriver(config, newMesh, p.ownKey, p.ready.wireGuard().kind(), first, p.gossip,
                p.persist, new MeshClock(clock, System::nanoTime), p.relay);
        p.wg = new WgWorker(p.ready.wireGuard(), p.loop, driver);
        driver.attach(p.wg);
        driverRef[0] = driver;
        Map<String, List<TimedEndpoint>> initial = saved;
        p.loop.submit(() -> driver.start(initial)).syncUninterruptibly();
        long poll = Math.max(50, config.wgPollMillis());
        ScheduledFuture<?> pollTask = p.loop.scheduleWithFixedDelay(driver::poll, poll, poll, TimeUnit.MILLISECONDS);
        p.dns = new EndpointResolver(config.peers(), p.ownKey,
                (key, addrs) -> p.loop.execute(() -> driver.onResolved(key, addrs)));
        p.dns.start();
        p.netmon = watchNetwork(config.interfaceName(), what -> p.loop.execute(() -> driver.onNetworkChanged(what)));
        log.info("automesh running on {} ({}): public key {}, WireGuard port {}, gossip port {}, relay {}, {} peer(s){}",
                config.interfaceName(), p.ready.wireGuard().kind(), p.ownKey, first.listenPort(),
                p.gossip.transport().localAddress().getPort(), p.relay.brief(), config.peers().size(),
                p.store.map(s -> ", state file " + s.file()).orElse(""));
        AgentHandle handle = new LiveHandle(driver, p.loop, () -> stopping);
        status.running(handle);
        p.addOns.start(handle);
        started.complete(handle);

        stopRequested.await();
        stopping = true;
        pollTask.cancel(false);
        p.dns.close();
        finalSave(p, driver);
        p.addOns.close(SERVICES_CLOSE_MILLIS);
        return ExitCode.OK;
    }

    /** Address and route changes of this host, noticed at once; without them the peers' gossip tells us later. */
    private NetworkMonitor watchNetwork(String wgInterface, java.util.function.Consumer<String> onChange) {
        int wgIndex = 0;
        try {
            java.net.NetworkInterface ni = java.net.NetworkInterface.getByName(wgInterface);
            if (ni != null) wgIndex = ni.getIndex();
        } catch (java.net.SocketException e) {
            // not fatal: its own events are then reported too, which only costs a few Pings
        }
        try {
            return NetworkMonitor.start(wgIndex, onChange);
        } catch (IOException | UnsatisfiedLinkError e) {
            log.warn("cannot watch this host's addresses and routes ({}); a change of network is noticed through the peers only",
                    e.getMessage());
            return null;
        }
    }

    /** Save first at shutdown: it matters most and is fast. Add-ons close after, time-bounded. */
    private void finalSave(Parts p, MeshDriver driver) {
        if (p.persist.isEmpty()) {
            p.loop.execute(driver::stop);
            return;
        }
        Map<String, List<TimedEndpoint>> finalState = null;
        try {
            finalState = p.loop.submit(() -> {
                driver.stop();
                return driver.wallState();
            }).get(SHUTDOWN_STEP_MILLIS, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException | TimeoutException e) {
            log.warn("could not read the final mesh state for saving: {}", e.toString());
        }
        // Should the mesh thread not answer in time, save what is already pending.
        boolean done = finalState != null ? p.persist.get().flush(finalState, SHUTDOWN_STEP_MILLIS)
                : p.persist.get().flushPending(SHUTDOWN_STEP_MILLIS);
        if (!done) log.warn("saving {} at shutdown did not finish in time", p.store.get().file());
    }

    /** Persist thread only: the last save failure, so a file that cannot be written is logged once. */
    private String lastSaveError;

    private void save(EndpointStore store, Map<String, List<TimedEndpoint>> table) {
        try {
            store.save(table);
            log.debug("saved {} peer(s) to {}", table.size(), store.file());
            if (lastSaveError != null) log.info("saving known endpoints to {} works again", store.file());
            lastSaveError = null;
        } catch (IOException | RuntimeException e) {
            if (!Objects.equals(e.getMessage(), lastSaveError)) {
                log.warn("cannot save known endpoints to {}: {} (logged once; retried at every change)",
                        store.file(), e.getMessage());
                lastSaveError = e.getMessage();
            }
        }
    }
}
