package dev.automesh.daemon;

import static dev.automesh.daemon.AgentRuns.await;
import static dev.automesh.daemon.AgentRuns.run;
import static org.junit.jupiter.api.Assertions.*;

import dev.automesh.config.Config;
import dev.automesh.config.PeerConfig;
import dev.automesh.crypto.GossipSecret;
import dev.automesh.crypto.WgKey;
import dev.automesh.wg.Backend;
import dev.automesh.wg.PeerUpdate;
import dev.automesh.wg.WgDevice;
import dev.automesh.wg.WireGuard;
import java.net.InetAddress;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The interface comes back with a new private key (re-created by the admin): the agent goes on under
 * the new key, without a restart. The device is a stand-in whose key the test switches; the agent,
 * its threads and its mesh are real.
 */
class AgentKeyChangeTest {
    static final WgKey OLD = WgKey.fromBase64("YGV8Kll6LhnqBaeIqo/5M5brFCUgSE4uTMxoSw7whnM=");
    static final WgKey NEW = WgKey.fromBase64("UKRRFT9ePi/56TPq1bZfAcoXuLHO49wn4e84vFEN+QI=");

    static final class SwitchableWg implements WireGuard {
        volatile WgKey key = OLD;

        public String kind() { return "test"; }
        public WgDevice read() { return new WgDevice("wg7", Optional.of(key), 51820, List.of()); }
        public void apply(List<PeerUpdate> updates) { }
        public void close() { }
    }

    @Test
    void adoptsANewInterfaceKeyInPlace() throws Exception {
        SwitchableWg wg = new SwitchableWg();
        Config c = Config.builder(Path.of("test.toml"), "wg7", 0).gossipSecret(GossipSecret.of("secret"))
                .wireguardBackend(Backend.USERSPACE).controlSocket(Path.of("/nonexistent/automesh.sock"))
                .wgPollMillis(50).peers(List.of(
                        new PeerConfig(OLD, InetAddress.getByName("10.98.0.1"), Optional.empty(), Optional.empty()),
                        new PeerConfig(NEW, InetAddress.getByName("10.98.0.2"), Optional.empty(), Optional.empty()))).build();
        Agent agent = new Agent(c, List.of(), () -> wg, System::currentTimeMillis,
                Optional.of(InetAddress.getLoopbackAddress()));
        run(agent);
        try {
            AgentHandle h = agent.started().get(10, TimeUnit.SECONDS);
            assertEquals(OLD, h.status().get(2, TimeUnit.SECONDS).ownKey());
            wg.key = NEW;
            assertTrue(await(10_000, () -> h.status().join().ownKey().equals(NEW)), "the new key was not adopted");
            assertTrue(h.inspect(v -> v.mesh().status(v.nowMillis()).peers().stream()
                    .noneMatch(p -> p.pubkey().equals(NEW.toString()))).get(2, TimeUnit.SECONDS),
                    "the mesh runs under the new key: it does not list itself as a peer");
        } finally {
            agent.requestStop();
            assertTrue(agent.awaitTermination(5000));
        }
    }
}
