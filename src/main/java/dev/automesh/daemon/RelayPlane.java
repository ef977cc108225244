package dev.automesh.daemon;

import dev.automesh.config.Config;
import dev.automesh.config.PeerConfig;
import dev.automesh.crypto.WgKey;
import dev.automesh.net.Relay;
import dev.automesh.net.RelayClient;
import dev.automesh.net.RelayCounters;
import dev.automesh.net.RelayServer;
import dev.automesh.net.RelaySettings;
import io.netty.channel.EventLoop;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.function.LongSupplier;
import java.util.function.Predicate;
import java.util.stream.Collectors;
import org.slf4j.Logger;

/**
 * The node's relay socket as the mesh thread drives it: binds {@link Relay} on the node's own mesh
 * address at relay_port, carries out the mesh's relay actions on it and reads it for status. When the
 * address is not ours (no own [[peers]] entry, or not assigned on this host) the node runs without
 * relaying, and {@link #state()} says why. Every method runs on the mesh thread, the relay's loop.
 */
final class RelayPlane implements AutoCloseable {
    private final Optional<Relay> relay;
    private final String state;
    private final Logger log;
    private final Set<String> reported = new HashSet<>();
    private Map<InetAddress, String> names = Map.of();
    private int wireGuardPort;

    private RelayPlane(Optional<Relay> relay, String state, Logger log) {
        this.relay = relay;
        this.state = state;
        this.log = log;
    }

    /** Binds the relay socket, or warns once and returns a plane without one. */
    static RelayPlane start(Config config, WgKey ownKey, EventLoop loop, LongSupplier nanoClock, Logger log) {
        return start(config, ownKey, loop, nanoClock, log, RelayPlane::assignedLocally);
    }

    /** {@code assigned}: whether an address is on one of this host's interfaces (tests: 127.0.0.0/8 is). */
    static RelayPlane start(Config config, WgKey ownKey, EventLoop loop, LongSupplier nanoClock, Logger log,
                            Predicate<InetAddress> assigned) {
        Optional<PeerConfig> own = config.peers().stream().filter(p -> p.pubkey().equals(ownKey)).findFirst();
        if (own.isEmpty()) {
            return off("off: this node's key is not among the [[peers]], so it has no mesh address to relay on", log);
        }
        InetAddress address = own.get().address();
        if (!assigned.test(address)) {
            return off("off: this node's mesh address " + address.getHostAddress() + " is not assigned on this host"
                    + " (assign it to " + config.interfaceName() + " and restart to relay)", log);
        }
        RelaySettings settings = settings(config);
        try {
            Relay r = Relay.bind(loop, address, settings, peerAddresses(config, ownKey), nanoClock, expired -> {});
            RelayPlane plane = new RelayPlane(Optional.of(r), (config.relay() ? "on" : "not relaying for others (relay = false)")
                    + ", relay socket " + address.getHostAddress() + ":" + r.localAddress().getPort(), log);
            plane.setPeers(config, ownKey);
            return plane;
        } catch (IllegalStateException e) {
            return off("off: " + e.getMessage(), log);
        }
    }

    static RelaySettings settings(Config config) {
        long bytesPerSecond = config.relayRateLimitMbit() * 1_000_000L / 8;
        // The burst stays the default (1 MiB) unless a second of the rate is smaller: a short burst, not a longer one.
        long burst = Math.max(RelaySettings.MAX_FRAME, Math.min(RelaySettings.DEFAULT_BURST_BYTES, bytesPerSecond));
        return RelaySettings.defaults(config.relayPort()).withRate(bytesPerSecond, burst);
    }

    private static RelayPlane off(String why, Logger log) {
        log.warn("running without relaying: {}", why.substring("off: ".length()));
        return new RelayPlane(Optional.empty(), why, log);
    }

    private static boolean assignedLocally(InetAddress a) {
        try {
            return NetworkInterface.getByInetAddress(a) != null;
        } catch (SocketException e) {
            return false;
        }
    }

    private static Set<InetAddress> peerAddresses(Config config, WgKey ownKey) {
        return config.peers().stream().filter(p -> !p.pubkey().equals(ownKey)).map(PeerConfig::address)
                .collect(Collectors.toSet());
    }

    /** The configured peers a session may join, and the names status shows for their addresses. */
    void setPeers(Config config, WgKey ownKey) {
        names = config.peers().stream().collect(Collectors.toUnmodifiableMap(PeerConfig::address,
                p -> p.name().orElse(p.pubkey().shortName()), (a, b) -> a));
        relay.ifPresent(r -> r.server().setPeers(peerAddresses(config, ownKey)));
    }

    /** Our WireGuard's listen port: where relayed datagrams are delivered. Cheap to repeat. */
    void wireGuardPort(int port) {
        if (relay.isEmpty() || port == wireGuardPort || port < 1 || port > 65535) return;
        relay.get().client().setWireGuardPort(port);
        wireGuardPort = port;
    }

    void serve(long id, InetSocketAddress x, InetSocketAddress y) {
        if (relay.isEmpty()) return;
        try {
            relay.get().server().openSession(id, x, y);
        } catch (IllegalArgumentException | IllegalStateException e) {
            once("cannot relay between " + name(x) + " and " + name(y) + ": " + e.getMessage());
        }
    }

    void unserve(long id) {
        relay.ifPresent(r -> r.server().closeSession(id));
    }

    /** The loopback endpoint to give WireGuard for the peer, or empty when it cannot be opened. */
    Optional<InetSocketAddress> use(String peer, long id, InetSocketAddress relaySocket) {
        if (relay.isEmpty()) return Optional.empty();
        try {
            return Optional.of(relay.get().client().open(id, relaySocket));
        } catch (IllegalArgumentException | IllegalStateException e) {
            once("cannot reach " + peer + " through the relay at " + relaySocket + ": " + e.getMessage());
            return Optional.empty();
        }
    }

    void mute(long id, boolean muted) {
        relay.ifPresent(r -> r.client().mute(id, muted));
    }

    void drop(long id) {
        relay.ifPresent(r -> r.client().close(id));
    }

    /** One line per distinct failure: the mesh repeats its requests, which must not flood the log. */
    private void once(String line) {
        if (reported.size() < 100 && reported.add(line)) log.warn("{}", line);
    }

    String name(InetSocketAddress a) {
        return names.getOrDefault(a.getAddress(), a.getAddress().getHostAddress());
    }

    boolean running() {
        return relay.isPresent();
    }

    /** For the start line: the relay port, or "off" (the warning said why). */
    String brief() {
        return relay.map(r -> "port " + r.localAddress().getPort()).orElse("off");
    }

    /** "on, relay socket …", or "off: why". */
    String state() {
        return state;
    }

    List<RelayServer.Session> served() {
        return relay.map(r -> r.server().sessions()).orElse(List.of());
    }

    List<RelayClient.Session> used() {
        return relay.map(r -> r.client().sessions()).orElse(List.of());
    }

    Optional<RelayCounters.Snapshot> counters() {
        return relay.map(Relay::counters);
    }

    Optional<InetSocketAddress> localAddress() {
        return relay.map(Relay::localAddress);
    }

    @Override
    public void close() {
        relay.ifPresent(Relay::close);
    }

    @Override
    public String toString() {
        return "RelayPlane[" + Objects.toString(state) + "]";
    }
}
