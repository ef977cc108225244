package dev.automesh.e2e;

import static org.junit.jupiter.api.Assertions.*;

import dev.automesh.store.EndpointStore;
import dev.automesh.testbed.AgentProcess;
import dev.automesh.testbed.Converge;
import dev.automesh.testbed.Miniupnpd;
import dev.automesh.testbed.NatTopology.Host;
import dev.automesh.testbed.NatTopology.WgDumpPeer;
import dev.automesh.testbed.Netns;
import dev.automesh.testbed.Sh;
import dev.automesh.testsupport.Facility;
import dev.automesh.wire.TimedEndpoint;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * End to end, with the real agent: a sits behind a home router running miniupnpd, b is on the
 * router's WAN. a's agent maps upnp_forward_external_port and gossips the router's address with that
 * port; when the router loses its NAT state and a may not open new flows towards b, b reconnects
 * through the mapping it was told about.
 * <pre>
 *   b 203.0.114.2 ──wan0── router 203.0.114.1 (miniupnpd, NAT) ──lan0── a 192.168.1.10
 * </pre>
 */
class UpnpAgentIT {
    private static final String ROUTER_WAN = "203.0.114.1";
    private static final int EXTERNAL_PORT = 40000;
    private final List<Netns> namespaces = new ArrayList<>();
    private final List<AgentProcess> agents = new ArrayList<>();
    private Netns router;
    private Host a, b;

    @BeforeEach
    void up() {
        Facility.requireRoot();
        Facility.requireCommands("ip", "nft", "conntrack", "miniupnpd", "upnpc", "wireguard-go", "wg", "unshare", "java");
        String base = Netns.uniqueName("amu");
        router = ns(base + "r");
        Netns na = ns(base + "a"), nb = ns(base + "b");
        Sh.ok("ip", "link", "add", "wan0", "netns", router.name(), "type", "veth", "peer", "name", "eth0", "netns", nb.name());
        Sh.ok("ip", "link", "add", "lan0", "netns", router.name(), "type", "veth", "peer", "name", "eth0", "netns", na.name());
        router.ok("ip", "addr", "add", ROUTER_WAN + "/24", "dev", "wan0");
        router.ok("ip", "addr", "add", "192.168.1.1/24", "dev", "lan0");
        router.ok("ip", "link", "set", "wan0", "up");
        router.ok("ip", "link", "set", "lan0", "up");
        router.ok("sysctl", "-q", "-w", "net.ipv4.ip_forward=1");
        nb.ok("ip", "addr", "add", "203.0.114.2/24", "dev", "eth0");
        nb.ok("ip", "link", "set", "eth0", "up");
        na.ok("ip", "addr", "add", "192.168.1.10/24", "dev", "eth0");
        na.ok("ip", "link", "set", "eth0", "up");
        na.ok("ip", "route", "add", "default", "via", "192.168.1.1");
        Miniupnpd.start(router, "lan0", "192.168.1.0/24", "3d3cec3a-8cf0-11e0-98ee-001a6bd2d07d", false);
        a = Host.start("a", na, "192.168.1.10", "10.99.0.1");
        b = Host.start("b", nb, "203.0.114.2", "10.99.0.2");
    }

    private Netns ns(String name) {
        Netns n = Netns.create(name);
        namespaces.add(n);
        return n;
    }

    @AfterEach
    void down() {
        for (AgentProcess p : agents) p.stop();
        for (int i = namespaces.size() - 1; i >= 0; i--) namespaces.get(i).close();
    }

    private String logs() {
        StringBuilder sb = new StringBuilder("\n").append(Converge.table(List.of(a, b)));
        sb.append("router conntrack:\n").append(router.exec("conntrack", "-L").out());
        for (AgentProcess p : agents) sb.append("\n--- ").append(p.host().role).append(" ---\n").append(p.log());
        return sb.toString();
    }

    @Test
    void peerReconnectsThroughTheMappingTheAgentAnnounced() {
        // a knows b's address and reaches it out through the NAT; b knows nothing about a's.
        agents.add(AgentProcess.start(a, AgentProcess.configFor(a, List.of(a, b), Map.of(b, "203.0.114.2:51820"),
                "upnp_forward_external_port = " + EXTERNAL_PORT + "\n")));
        agents.add(AgentProcess.start(b, AgentProcess.configFor(b, List.of(a, b), Map.of(), "")));
        long since = Converge.nowSeconds();
        assertTrue(Converge.await(30_000, () -> Converge.connectedSince(b, a, since)), "a never reached b" + logs());

        // b learns, through gossip, the endpoint a's router maps for it (and saves it in its state file).
        InetSocketAddress mapped = new InetSocketAddress(ROUTER_WAN, EXTERNAL_PORT);
        assertTrue(Converge.await(30_000, () -> new EndpointStore(AgentProcess.stateFile(b)).load().table()
                .getOrDefault(a.publicKey, List.of()).stream().map(TimedEndpoint::address).anyMatch(mapped::equals)),
                "b never learned " + mapped + " for a" + logs());

        // The router forgets its NAT state and a may not open new flows to b: only the mapping is left.
        router.ok("nft", "insert", "rule", "inet", "filter", "forward", "iifname", "lan0", "ct", "state", "new", "drop");
        router.exec("conntrack", "-F");
        long cut = Converge.nowSeconds();
        boolean back = Converge.await(150_000, () -> {
            WgDumpPeer p = b.dump().get(a.publicKey);
            return p != null && (ROUTER_WAN + ":" + EXTERNAL_PORT).equals(p.endpoint()) && p.latestHandshake() >= cut;
        });
        assertTrue(back, "b did not reconnect to a through " + mapped + logs());
        assertEquals(0, b.ns.exec("ping", "-c", "1", "-W", "3", a.meshIp).exit(), "no traffic through the tunnel" + logs());
        // The agent notices at its next WireGuard read (every second).
        assertTrue(Converge.await(5_000, () -> agents.get(1).log().contains("a connected directly at " + ROUTER_WAN + ":" + EXTERNAL_PORT)),
                "b's state-change line" + logs());

        // a's interface comes back on another port (say, a reboot with a random ListenPort): the agent
        // moves the mapping, and b gets through the same external port again.
        a.startWireGuard(51999);
        assertTrue(Converge.await(60_000, () -> mappings().contains("UDP " + EXTERNAL_PORT + "->192.168.1.10:51999")),
                "the mapping was not moved to port 51999:\n" + mappings() + logs());
        // The router still has b's flow to the external port DNAT-ed to the old internal port, and b's
        // probes keep that entry alive: routers move a flow only when its entry expires. Expire it.
        router.exec("conntrack", "-F");
        long moved = Converge.nowSeconds();
        assertTrue(Converge.await(120_000, () -> Converge.connectedSince(b, a, moved) && Converge.connectedSince(a, b, moved)),
                "b did not reconnect to a's new port through the mapping" + logs());
        assertEquals(ROUTER_WAN + ":" + EXTERNAL_PORT, b.dump().get(a.publicKey).endpoint(), logs());
    }

    private String mappings() {
        return a.ns.exec("upnpc", "-u", "http://192.168.1.1:5000/rootDesc.xml", "-l").out();
    }
}
