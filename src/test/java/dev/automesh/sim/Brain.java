package dev.automesh.sim;

import dev.automesh.config.PeerConfig;
import dev.automesh.crypto.WgKey;
import dev.automesh.mesh.Action;
import dev.automesh.mesh.Mesh;
import dev.automesh.mesh.MeshSettings;
import dev.automesh.wg.WgDevice;
import dev.automesh.wire.Message;
import dev.automesh.wire.TimedEndpoint;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Map;

/** What runs on a node: the real Mesh, or the model of wgautomesh. Same events, same actions. */
interface Brain {
    List<Action> start(Map<String, List<TimedEndpoint>> saved, long nowMillis);

    List<Action> onDatagram(InetSocketAddress from, Message m, long nowMillis);

    List<Action> onDevice(WgDevice device, long nowMillis);

    List<Action> onTick(long nowMillis);

    List<Action> onResolved(WgKey peer, List<InetSocketAddress> addresses, long nowMillis);

    /** The gossip table (what a Persist saves). */
    Map<String, List<TimedEndpoint>> table();

    /** Gossip work held back now: {fan-outs deferred by the work budget, Announces queued in the outbox}. */
    default int[] deferred() {
        return new int[2];
    }

    /** Why each peer's outstanding Ping was sent (Mesh status), counted by reason: for --explain-pings. */
    default Map<String, Integer> doubts(long nowMillis) {
        return Map.of();
    }

    /** The one place MeshSettings is built, so a change to its components is a one-line change here. */
    static MeshSettings settings(WgKey own, int gossipPort, boolean lanDiscovery, List<PeerConfig> peers,
                                 List<dev.automesh.wg.IpPrefix> lanSubnets) {
        return new MeshSettings(own, gossipPort, lanDiscovery, peers, lanSubnets);
    }

    /** The code under test. */
    final class Real implements Brain {
        private final Mesh mesh;

        Real(MeshSettings s) { this.mesh = new Mesh(s); }

        public List<Action> start(Map<String, List<TimedEndpoint>> saved, long now) { return mesh.start(saved, now); }

        public List<Action> onDatagram(InetSocketAddress from, Message m, long now) { return mesh.onDatagram(from, m, now); }

        public List<Action> onDevice(WgDevice d, long now) { return mesh.onDevice(d, now); }

        public List<Action> onTick(long now) { return mesh.onTick(now); }

        public List<Action> onResolved(WgKey k, List<InetSocketAddress> a, long now) { return mesh.onResolved(k, a, now); }

        public Map<String, List<TimedEndpoint>> table() { return mesh.persistentState(); }

        public Map<String, Integer> doubts(long now) {
            Map<String, Integer> m = new java.util.TreeMap<>();
            for (var p : mesh.status(now).peers()) {
                if (p.inDoubt().isEmpty()) continue;
                if (m.merge(p.inDoubt().get().name(), 1, Integer::sum) <= 2) m.put("e.g. " + p.pubkey(), 0);
            }
            return m;
        }

        public int[] deferred() {
            var d = dev.automesh.mesh.MeshProbe.deferred(mesh);
            return new int[] {d.fanOuts(), d.queuedAnnounces()};
        }
    }
}
