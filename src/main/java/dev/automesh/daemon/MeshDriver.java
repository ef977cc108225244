package dev.automesh.daemon;

import dev.automesh.config.Config;
import dev.automesh.config.HostPort;
import dev.automesh.crypto.WgKey;
import dev.automesh.mesh.Action;
import dev.automesh.mesh.Mesh;
import dev.automesh.net.GossipChannel;
import dev.automesh.wg.WgDevice;
import dev.automesh.wg.WireGuardException;
import dev.automesh.wire.Extension;
import dev.automesh.wire.Message;
import dev.automesh.wire.TimedEndpoint;
import java.net.InetSocketAddress;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The mesh thread's side of the agent: it owns the {@link Mesh} and everything the mesh thread
 * reads, feeds it events (datagrams, device reads, DNS and UPnP results, ticks) and carries out the
 * actions it returns. It never blocks: WireGuard calls go to the {@link WgWorker}, saves to the
 * debouncer's thread. Every method runs on the mesh thread.
 */
final class MeshDriver implements WgWorker.Listener {
    private static final Logger log = LoggerFactory.getLogger(Agent.class);
    /** The mesh's own state-change lines (Notice actions) log under the mesh's name. */
    private static final Logger meshLog = LoggerFactory.getLogger(Mesh.class);

    private final Config config;
    private final Function<WgKey, Mesh> newMesh;
    private Mesh mesh;
    private WgKey ownKey;
    private boolean ownKeyChecked;
    private final String backendKind;
    private final GossipChannel gossip;
    private final Optional<Debouncer<Map<String, List<TimedEndpoint>>>> persist;
    private final MeshClock clock;
    private final RelayPlane relay;
    private WgWorker wg;

    private WgDevice lastDevice;
    private boolean interfacePresent = true;
    private String lastReadError;
    private String lastConfigureError;
    private Optional<InetSocketAddress> externalEndpoint = Optional.empty();
    private final Set<String> reportedBugs = new HashSet<>();
    /** When the read in flight was asked for (clock millis); empty when none is. */
    private OptionalLong readSince = OptionalLong.empty();
    /** The apply batch that carries our latest Configure; a read must reflect it to count. */
    private long latestApply;
    private boolean stopping;

    /** @param newMesh makes the mesh for our key (again, when the interface comes back with a new key) */
    MeshDriver(Config config, Function<WgKey, Mesh> newMesh, WgKey ownKey, String backendKind, WgDevice firstDevice, GossipChannel gossip,
               Optional<Debouncer<Map<String, List<TimedEndpoint>>>> persist, MeshClock clock, RelayPlane relay) {
        this.config = config;
        this.newMesh = newMesh;
        this.mesh = newMesh.apply(ownKey);
        this.ownKey = ownKey;
        this.backendKind = backendKind;
        this.lastDevice = firstDevice;
        this.gossip = gossip;
        this.persist = persist;
        this.clock = clock;
        this.relay = relay;
    }

    /** Set once, before the first event. */
    void attach(WgWorker worker) {
        this.wg = worker;
    }

    void start(Map<String, List<TimedEndpoint>> saved) {
        long now = clock.getAsLong();
        relay.wireGuardPort(lastDevice.listenPort());
        warnIfOwnKeyNotConfigured();
        guarded("start", () -> execute(mesh.start(WallTime.shift(saved, clock.offsetSeconds()), now)));
        guarded("device", () -> execute(mesh.onDevice(WallTime.toMesh(lastDevice, clock.offsetSeconds()), now)));
        // A second read at once, queued behind the peers just configured: on a fresh interface they
        // appear only in it, and the mesh tries their endpoints (and calls on the LAN) from that read,
        // not from the first poll a poll interval later.
        requestRead();
    }

    void stop() {
        stopping = true;
    }

    void onMessage(InetSocketAddress from, Message message, List<Extension> extensions) {
        if (stopping) return;
        guarded("datagram", () -> {
            long now = clock.getAsLong();
            execute(mesh.onDatagram(from, WallTime.shift(message, clock.offsetSeconds()), extensions, now));
        });
    }

    /** The poll timer: asks for a read unless one is still in flight (a stuck device must not pile them up). */
    void poll() {
        if (stopping || readSince.isPresent()) return;
        requestRead();
    }

    private void requestRead() {
        readSince = OptionalLong.of(clock.getAsLong());
        wg.read();
    }

    @Override
    public void onRead(WgWorker.ReadResult r) {
        readSince = OptionalLong.empty();
        if (stopping) return;
        // Netty cancels a periodic task that throws: nothing may escape, or the agent silently stops polling.
        guarded("poll", () -> handleRead(r));
    }

    private void handleRead(WgWorker.ReadResult r) {
        if (r.error().isPresent()) {
            WireGuardException e = r.error().get();
            if (!Objects.equals(e.getMessage(), lastReadError)) {
                log.warn("cannot read WireGuard interface {}: {}; keeping the mesh state and retrying every {} ms",
                        config.interfaceName(), e.getMessage(), config.wgPollMillis());
                lastReadError = e.getMessage();
            }
            interfacePresent = false;
            return;
        }
        if (r.appliesBefore() < latestApply) {
            // Taken before our latest configuration reached the device: the mesh would see its own
            // change undone and act on it again. Read once more, behind that configuration.
            requestRead();
            return;
        }
        WgDevice d = r.device().orElseThrow();
        long now = clock.getAsLong();
        if (!interfacePresent) {
            log.info("WireGuard interface {} is back; resuming with the mesh state kept", config.interfaceName());
            interfacePresent = true;
        }
        lastReadError = null;
        lastDevice = d;
        relay.wireGuardPort(d.listenPort());
        if (d.publicKey().isPresent() && !d.publicKey().get().equals(ownKey)) adoptKey(d.publicKey().get(), now);
        guarded("device", () -> execute(mesh.onDevice(WallTime.toMesh(d, clock.offsetSeconds()), now)));
        guarded("tick", () -> execute(mesh.onTick(now)));
    }

    /**
     * The mesh announces and ranks by our key: under a new key it starts afresh, keeping the gossip
     * table (other peers' endpoints do not depend on our key).
     */
    private void adoptKey(WgKey key, long now) {
        log.warn("the key of {} changed to {} (was {}); gossiping under the new key from now on",
                config.interfaceName(), key, ownKey);
        Map<String, List<TimedEndpoint>> kept = snapshotState();
        ownKey = key;
        mesh = newMesh.apply(key);
        ownKeyChecked = false;
        warnIfOwnKeyNotConfigured();
        guarded("start", () -> execute(mesh.start(kept, now)));
    }

    /** Once per key: the agent can tell what `automesh check` cannot, that the config lacks this node. */
    private void warnIfOwnKeyNotConfigured() {
        if (ownKeyChecked) return;
        ownKeyChecked = true;
        if (config.peers().stream().noneMatch(p -> p.pubkey().equals(ownKey))) {
            log.warn("the peers in {} do not include this node's own key {} (of {}): other nodes cannot "
                    + "configure this one; add it as a peer there", config.source(), ownKey, config.interfaceName());
        }
    }

    @Override
    public void onApplied(WgWorker.ApplyResult r) {
        if (!stopping) runDeferred(r.seq());
        if (r.error().isEmpty()) {
            if (lastConfigureError != null) {
                log.info("configuring peers of {} works again", config.interfaceName());
                lastConfigureError = null;
            }
            return;
        }
        // Once per distinct error: the mesh retries on every change, which must not flood the log.
        WireGuardException e = r.error().get();
        if (!Objects.equals(e.getMessage(), lastConfigureError)) {
            log.warn("cannot configure peers of {}: {}", config.interfaceName(), e.getMessage());
            lastConfigureError = e.getMessage();
        }
    }

    void onResolved(WgKey peer, List<InetSocketAddress> addresses) {
        if (!stopping) guarded("dns", () -> execute(mesh.onResolved(peer, addresses, clock.getAsLong())));
    }

    /** This host's addresses or routes changed (the netlink monitor): every path may have changed. */
    void onNetworkChanged(String what) {
        if (stopping) return;
        log.info("network of this host changed ({}): pinging peers, telling the LAN, asking for fresh endpoints", what);
        guarded("network", () -> execute(mesh.onNetworkChanged(clock.getAsLong())));
    }

    void onExternalEndpoint(Optional<InetSocketAddress> endpoint) {
        if (stopping) return;
        // Repeats too: the mesh re-announces an unchanged endpoint when it gets old.
        externalEndpoint = endpoint;
        guarded("external endpoint", () -> execute(mesh.onExternalEndpoint(endpoint, clock.getAsLong())));
    }

    private void execute(List<Action> actions) {
        for (int i = 0; i < actions.size(); i++) {
            Action a = actions.get(i);
            // One failing action (say, a message the codec rejects) must not swallow the ones after it.
            guarded("action " + a.getClass().getSimpleName(), () -> execute(a));
            if (a instanceof Action.Configure && i + 1 < actions.size() && afterApply.size() < MAX_DEFERRED) {
                // What the mesh does after configuring (a Ping through the tunnel, to make WireGuard
                // handshake at the new endpoint) must reach the device after the configuration does.
                afterApply.add(new Deferred(latestApply, List.copyOf(actions.subList(i + 1, actions.size()))));
                return;
            }
        }
    }

    /** Actions waiting for apply batch {@code seq} to be done. */
    private record Deferred(long seq, List<Action> actions) {}

    /** Bounded: with WireGuard stuck, later actions run at once rather than pile up. */
    private static final int MAX_DEFERRED = 256;
    private final java.util.ArrayDeque<Deferred> afterApply = new java.util.ArrayDeque<>();

    private void runDeferred(long doneSeq) {
        while (!afterApply.isEmpty() && afterApply.peek().seq() <= doneSeq) {
            execute(afterApply.poll().actions());
        }
    }

    private void execute(Action a) {
        if (a instanceof Action.Send s) {
            gossip.send(s.to(), WallTime.shift(s.message(), -clock.offsetSeconds()), s.extensions());
        } else if (a instanceof Action.RelayServe r) {
            relay.serve(r.sessionId(), r.x(), r.y());
        } else if (a instanceof Action.RelayUnserve r) {
            relay.unserve(r.sessionId());
        } else if (a instanceof Action.RelayUse r) {
            // The mesh gives WireGuard the loopback endpoint once it knows it: within this execution.
            relay.use(peerName(r.peer()), r.sessionId(), r.relaySocket()).ifPresent(loopback ->
                    execute(mesh.onRelayEndpoint(r.peer(), r.sessionId(), loopback, clock.getAsLong())));
        } else if (a instanceof Action.RelayDrop r) {
            relay.drop(r.sessionId());
        } else if (a instanceof Action.RelayMute r) {
            relay.mute(r.sessionId(), r.muted());
        } else if (a instanceof Action.Broadcast b) {
            gossip.broadcast(b.message());
        } else if (a instanceof Action.Configure c) {
            if (log.isDebugEnabled()) {
                for (var u : c.updates()) {
                    u.endpoint().ifPresent(ep -> log.debug("{}: endpoint {}{}", peerName(u.publicKey()), HostPort.format(ep),
                            u.fresh() ? " (peer re-created)" : ""));
                }
            }
            latestApply = wg.apply(c.updates());
        } else if (a instanceof Action.ReadDevice) {
            if (readSince.isEmpty()) requestRead(); // else the next poll, within an interval, sees it
        } else if (a instanceof Action.Persist) {
            persist.ifPresent(p -> p.submit(wallState()));
        } else if (a instanceof Action.Notice n) {
            meshLog.info("{}", NoticeLines.line(n));
        }
    }

    private String peerName(WgKey key) {
        return config.peers().stream().filter(p -> p.pubkey().equals(key)).findFirst()
                .flatMap(p -> p.name()).orElse(key.shortName());
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

    /** What to save: {@link #snapshotState()} with its dates in wall-clock time. */
    Map<String, List<TimedEndpoint>> wallState() {
        return WallTime.shift(snapshotState(), -clock.offsetSeconds());
    }

    /** An immutable deep copy, so the persist thread never sees the mesh's own collections. */
    Map<String, List<TimedEndpoint>> snapshotState() {
        Map<String, List<TimedEndpoint>> copy = new LinkedHashMap<>();
        mesh.persistentState().forEach((k, v) -> copy.put(k, List.copyOf(v)));
        return Map.copyOf(copy);
    }

    // ---- what AgentView shows ----

    Mesh mesh() {
        return mesh;
    }

    WgKey ownKey() {
        return ownKey;
    }

    String backendKind() {
        return backendKind;
    }

    WgDevice lastDevice() {
        return lastDevice;
    }

    boolean interfacePresent() {
        return interfacePresent;
    }

    /** Why the interface could not be read, while it is missing. */
    Optional<String> missingReason() {
        return interfacePresent ? Optional.empty() : Optional.ofNullable(lastReadError);
    }

    Optional<InetSocketAddress> externalEndpoint() {
        return externalEndpoint;
    }

    /** How long the read in flight has taken so far; empty when none is. */
    OptionalLong readInFlightMillis() {
        return readSince.isPresent() ? OptionalLong.of(Math.max(0, clock.getAsLong() - readSince.getAsLong()))
                : OptionalLong.empty();
    }

    long nowMillis() {
        return clock.getAsLong();
    }

    RelayPlane relay() {
        return relay;
    }

    GossipChannel gossip() {
        return gossip;
    }

    Config config() {
        return config;
    }
}
