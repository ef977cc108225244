package dev.automesh.mesh;

import static dev.automesh.testsupport.TestValues.ip;

import dev.automesh.config.HostPort;
import dev.automesh.config.PeerConfig;
import dev.automesh.crypto.WgKey;
import dev.automesh.wg.IpPrefix;
import dev.automesh.wg.PeerUpdate;
import dev.automesh.wg.WgDevice;
import dev.automesh.wg.WgPeer;
import dev.automesh.wire.Message;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A WireGuard interface held in memory: applies Configure actions the way `wg set` would and hands out
 * snapshots. Handshakes happen only when a test (or the simulation) says so.
 */
final class FakeDevice {
    static final class P {
        final WgKey key;
        InetSocketAddress endpoint;
        long handshake;
        int keepalive;
        List<IpPrefix> allowed = List.of();
        long rx, tx;

        P(WgKey key) { this.key = key; }
    }

    final WgKey own;
    int listenPort;
    final Map<WgKey, P> peers = new LinkedHashMap<>();
    final List<PeerUpdate> applied = new ArrayList<>();

    FakeDevice(WgKey own, int listenPort) {
        this.own = own;
        this.listenPort = listenPort;
    }

    void apply(List<Action> actions) {
        for (Action a : actions) {
            if (a instanceof Action.Configure c) {
                for (PeerUpdate u : c.updates()) {
                    applied.add(u);
                    // a fresh update re-creates the peer: no session, counters from 0
                    if (u.fresh()) peers.put(u.publicKey(), new P(u.publicKey()));
                    P p = peers.computeIfAbsent(u.publicKey(), P::new);
                    u.endpoint().ifPresent(e -> p.endpoint = e);
                    u.persistentKeepalive().ifPresent(k -> p.keepalive = k);
                    u.replaceAllowedIps().ifPresent(l -> p.allowed = l);
                }
            }
        }
    }

    P peer(WgKey k) {
        return peers.computeIfAbsent(k, P::new);
    }

    WgDevice snapshot() {
        List<WgPeer> list = new ArrayList<>();
        for (P p : peers.values()) {
            list.add(new WgPeer(p.key, Optional.ofNullable(p.endpoint), p.handshake, p.keepalive, p.allowed, p.rx, p.tx));
        }
        return new WgDevice("wg0", Optional.of(own), listenPort, list);
    }

    // ------------------------------------------------------------ small helpers shared by the tests

    static PeerConfig peerConfig(String name, WgKey key, String meshAddress, String endpoint) {
        Optional<HostPort> e = Optional.empty();
        if (endpoint != null) {
            int i = endpoint.lastIndexOf(':');
            e = Optional.of(new HostPort(endpoint.substring(0, i), Integer.parseInt(endpoint.substring(i + 1))));
        }
        return new PeerConfig(key, ip(meshAddress), e, Optional.of(name));
    }

    static <T> List<T> only(List<Action> actions, Class<T> type) {
        return actions.stream().filter(type::isInstance).map(type::cast).toList();
    }

    /** The messages sent, as "to message" pairs. */
    static List<Action.Send> sends(List<Action> actions) {
        return only(actions, Action.Send.class);
    }

    static List<PeerUpdate> updates(List<Action> actions) {
        return only(actions, Action.Configure.class).stream().flatMap(c -> c.updates().stream()).toList();
    }

    static List<Message.Announce> announces(List<Action> actions) {
        return sends(actions).stream().map(Action.Send::message).filter(Message.Announce.class::isInstance)
                .map(Message.Announce.class::cast).toList();
    }
}
