package dev.automesh.e2e;

import static org.junit.jupiter.api.Assertions.*;

import dev.automesh.testbed.AgentProcess;
import dev.automesh.testbed.Converge;
import dev.automesh.testbed.NatTopology;
import dev.automesh.testbed.NatTopology.Host;
import dev.automesh.testsupport.Facility;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * End to end: real agents (the packaged jar) on wireguard-go behind two nftables NATs. Every
 * config names only the public host's endpoint; everything else must be learned.
 */
class MeshIT {
    private static final long TIMEOUT_MS = 40_000;
    private NatTopology t;
    private final List<AgentProcess> agents = new ArrayList<>();

    @BeforeEach
    void up() {
        Facility.requireRoot();
        Facility.requireCommands("ip", "nft", "wireguard-go", "wg", "unshare", "java");
        t = NatTopology.create();
    }

    @AfterEach
    void down() {
        for (AgentProcess a : agents) a.stop();
        if (t != null) t.close();
    }

    private Map<Host, String> onlyPublicEndpoint() {
        return Map.of(t.pub, NatTopology.PUBLIC_IP + ":" + NatTopology.WG_PORT);
    }

    private AgentProcess startAgent(Host h, Map<Host, String> endpoints) {
        AgentProcess a = AgentProcess.start(h, AgentProcess.configFor(h, t.hosts(), endpoints, ""));
        agents.add(a);
        return a;
    }

    /** When the last startAll began, for "handshake since the agents started". */
    private long since;

    private void startAll(Map<Host, String> endpoints) {
        since = Converge.nowSeconds();
        for (Host h : t.hosts()) startAgent(h, endpoints);
    }

    private String diagnostics() {
        StringBuilder sb = new StringBuilder("\nWireGuard as seen by `wg show`:\n").append(Converge.table(t.hosts()));
        for (AgentProcess a : agents) {
            String log = a.log();
            sb.append("\n--- agent ").append(a.host().role).append(" log (tail) ---\n")
                    .append(log.substring(Math.max(0, log.length() - 3000)));
        }
        return sb.toString();
    }

    /**
     * The endpoint is at that NAT's WAN address. Any port: a NAT may map a host to another one.
     */
    private static boolean atHost(String endpoint, String host) {
        return endpoint != null && endpoint.startsWith(host + ":");
    }

    @Test
    void natPeersConnectDirectlyAtEachOthersNatAddressLearnedByGossip() {
        startAll(onlyPublicEndpoint());
        boolean ok = Converge.await(TIMEOUT_MS, () -> Converge.connectedSince(t.a, t.b, since) && Converge.connectedSince(t.b, t.a, since)
                && atHost(Converge.endpoint(t.a, t.b), NatTopology.NAT2_WAN)
                && atHost(Converge.endpoint(t.b, t.a), NatTopology.NAT1_WAN));
        assertTrue(ok, "a and b did not connect directly through their NATs" + diagnostics());
        // Traffic flows through the direct tunnel.
        assertEquals(0, t.a.ns.exec("ping", "-c", "1", "-W", "2", t.b.meshIp).exit(), diagnostics());
    }

    @Test
    void lanPeersUseEachOthersLanAddresses() {
        startAll(onlyPublicEndpoint());
        boolean ok = Converge.await(TIMEOUT_MS, () -> Converge.connectedSince(t.a, t.a2, since) && Converge.connectedSince(t.a2, t.a, since)
                && (t.a2.lanIp + ":" + t.a2.listenPort).equals(Converge.endpoint(t.a, t.a2))
                && (t.a.lanIp + ":51820").equals(Converge.endpoint(t.a2, t.a)));
        assertTrue(ok, "a and a2 are not using their LAN addresses" + diagnostics());
    }

    @Test
    void meshComesBackFromStateFilesWhenConfiguredEndpointsAreWrong() throws Exception {
        startAll(onlyPublicEndpoint());
        assertTrue(Converge.await(TIMEOUT_MS, () -> Converge.fullMeshSince(t.hosts(), since)), "no full mesh at first" + diagnostics());
        for (AgentProcess a : agents) assertEquals(0, a.stop(), "agent did not exit 0 on SIGTERM" + diagnostics());
        for (Host h : t.hosts()) {
            Path state = AgentProcess.stateFile(h);
            assertTrue(Files.size(state) > 8, h + " saved no endpoints at " + state);
            h.startWireGuard(h.listenPort); // as after a reboot: a fresh interface without peers
        }
        assertFalse(Converge.connected(t.a, t.b, 60), "interfaces were not reset");
        agents.clear();
        startAll(Map.of(t.pub, "198.51.100.99:51820")); // nobody is there
        assertTrue(Converge.await(TIMEOUT_MS, () -> Converge.fullMeshSince(t.hosts(), since)),
                "the mesh did not come back from the state files" + diagnostics());
    }

    @Test
    void nodeRestartedWithAnotherWireGuardPortIsFoundAgain() {
        startAll(onlyPublicEndpoint());
        assertTrue(Converge.await(TIMEOUT_MS, () -> Converge.fullMeshSince(t.hosts(), since)), "no full mesh at first" + diagnostics());
        AgentProcess bAgent = agents.get(3);
        assertEquals(t.b, bAgent.host());
        assertEquals(0, bAgent.stop());
        t.b.startWireGuard(51999);
        bAgent.start();
        long restarted = Converge.nowSeconds();
        boolean ok = Converge.await(TIMEOUT_MS, () -> {
            for (Host h : List.of(t.pub, t.a, t.a2)) {
                var p = h.dump().get(t.b.publicKey);
                if (p == null || p.latestHandshake() < restarted || p.endpoint() == null || !p.endpoint().endsWith(":51999")) {
                    return false;
                }
            }
            return true;
        });
        assertTrue(ok, "b on port 51999 was not found again by everyone" + diagnostics());
    }

    @Test
    void garbageFloodDoesNotStopGossip() {
        // 5000 garbage datagrams a second at the public node's gossip port for the whole test.
        Process flood = t.nat2.spawn(List.of("java", "-cp", Path.of("target/test-classes").toAbsolutePath().toString(),
                "dev.automesh.testbed.UdpFlood", NatTopology.PUBLIC_IP, Integer.toString(AgentProcess.GOSSIP_PORT), "60", "5000"),
                t.nat2.dir().resolve("flood.log"));
        try {
            startAll(onlyPublicEndpoint());
            boolean ok = Converge.await(TIMEOUT_MS, () -> Converge.connectedSince(t.a, t.b, since) && Converge.connectedSince(t.b, t.a, since)
                    && atHost(Converge.endpoint(t.a, t.b), NatTopology.NAT2_WAN));
            assertTrue(flood.isAlive(), "the flood ended before the mesh converged; the test proves nothing");
            assertTrue(ok, "gossip through the flooded public node did not get a and b connected" + diagnostics());
            assertTrue(agents.get(0).process().isAlive(), "the flooded agent died" + diagnostics());
        } finally {
            flood.destroy();
        }
    }
}
