package dev.automesh.e2e;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.automesh.testbed.AgentProcess;
import dev.automesh.testbed.Converge;
import dev.automesh.testbed.NatTopology;
import dev.automesh.testbed.NatTopology.Host;
import dev.automesh.testsupport.Facility;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Path changes end to end: real agents (the packaged jar) on wireguard-go behind two nftables NATs
 * come back after a NAT re-map, a change of their own host's addresses, b's LAN address changing, b
 * moving onto the other NAT's LAN, and a restart of the public host. Recovery must happen and use the new endpoint; how fast is measured by FailoverBench.
 */
class FailoverIT {
    private static final long TIMEOUT_MS = 60_000;
    private NatTopology t;
    private final List<AgentProcess> agents = new ArrayList<>();

    @BeforeEach
    void up() {
        Facility.requireRoot();
        Facility.requireCommands("ip", "nft", "conntrack", "wireguard-go", "wg", "unshare", "java", "ping");
        t = NatTopology.create();
        Map<Host, String> eps = Map.of(t.pub, NatTopology.PUBLIC_IP + ":" + NatTopology.WG_PORT);
        for (Host h : t.hosts()) agents.add(AgentProcess.start(h, AgentProcess.configFor(h, t.hosts(), eps, "")));
        assertTrue(Converge.await(TIMEOUT_MS, () -> Converge.fullMesh(t.hosts(), 30)), diagnostics());
    }

    @AfterEach
    void down() {
        for (AgentProcess a : agents) a.stop();
        if (t != null) t.close();
    }

    private AgentProcess agentOf(Host h) {
        return agents.stream().filter(a -> a.host() == h).findFirst().orElseThrow();
    }

    private String diagnostics() {
        StringBuilder sb = new StringBuilder("\n").append(Converge.table(t.hosts()));
        for (AgentProcess a : agents) {
            String log = a.log();
            sb.append("\n--- agent ").append(a.host().role).append(" ---\n").append(log.substring(Math.max(0, log.length() - 2500)));
        }
        return sb.toString();
    }

    /** The NAT maps its hosts to ports from {@code from} on and forgets every mapping it had. */
    private static void remap(dev.automesh.testbed.Netns nat, int from) {
        nat.ok("nft", "flush", "chain", "ip", "nat", "postrouting");
        nat.ok("nft", "add", "rule", "ip", "nat", "postrouting", "oifname", "wan0", "meta", "l4proto", "udp", "masquerade",
                "to", ":" + from + "-" + (from + 99));
        nat.ok("nft", "add", "rule", "ip", "nat", "postrouting", "oifname", "wan0", "masquerade");
        nat.exec("conntrack", "-F");
    }

    private void remapNat2(int from) {
        remap(t.nat2, from);
    }

    private static boolean sendsTo(Host from, Host to, String prefix) {
        NatTopology.WgDumpPeer p = from.dump().get(to.publicKey);
        return p != null && p.endpoint() != null && p.endpoint().startsWith(prefix);
    }

    private static boolean sendsExactlyTo(Host from, Host to, String endpoint) {
        NatTopology.WgDumpPeer p = from.dump().get(to.publicKey);
        return p != null && endpoint.equals(p.endpoint());
    }

    /**
     * {@code from} sends to b at NAT 2's current mapping of b's {@code lanIp} towards {@code fromWan},
     * which is not b's endpoint before the change (the old conntrack entry still holds that port).
     */
    private boolean sendsToBsMapping(Host from, String lanIp, String fromWan, String old) {
        String ep = NatTopology.mapping(t.nat2, NatTopology.NAT2_WAN, lanIp, fromWan);
        return ep != null && !ep.equals(old) && sendsExactlyTo(from, t.b, ep);
    }

    private boolean pings(Host from, Host to) {
        return from.ns.exec("ping", "-c", "1", "-W", "2", to.meshIp).exit() == 0;
    }

    @Test
    void aNatRemapOfOneSideIsFollowedAndTheNewEndpointIsUsed() {
        remapNat2(40000);
        String fresh = NatTopology.NAT2_WAN + ":400";
        boolean ok = Converge.await(TIMEOUT_MS, () -> sendsTo(t.pub, t.b, fresh) && sendsTo(t.a, t.b, fresh) && pings(t.a, t.b));
        assertTrue(ok, "a and pub reach b at its new port" + diagnostics());
    }

    @Test
    void bothNatsRemappingAtOnceAreFollowed() {
        remap(t.nat1, 41000);
        remapNat2(42000);
        String freshA = NatTopology.NAT1_WAN + ":410", freshB = NatTopology.NAT2_WAN + ":420";
        boolean ok = Converge.await(TIMEOUT_MS, () -> sendsTo(t.a, t.b, freshB) && sendsTo(t.b, t.a, freshA)
                && sendsTo(t.pub, t.a, freshA) && sendsTo(t.pub, t.b, freshB) && pings(t.a, t.b) && pings(t.b, t.a));
        assertTrue(ok, "a and b reach each other at their new ports" + diagnostics());
    }

    @Test
    void anAddressChangeOnTheAgentsOwnHostIsNoticedAndAnnouncedAtOnce() {
        // b gets a second address on its LAN interface: the netlink monitor reports it, the agent acts.
        assertFalse(agentOf(t.b).log().contains("network of this host changed"), "nothing changed yet" + diagnostics());
        t.b.ns.ok("ip", "addr", "add", "192.168.2.77/24", "dev", "eth0");
        boolean noticed = Converge.await(TIMEOUT_MS, () -> agentOf(t.b).log().contains("network of this host changed"));
        assertTrue(noticed, "b's agent noticed" + diagnostics());
        assertTrue(Converge.await(TIMEOUT_MS, () -> pings(t.a, t.b) && pings(t.b, t.pub)), "and the mesh still works" + diagnostics());
    }

    @Test
    void thePublicHostRestartingWithTheSameKeyAndPortIsReachedAgain() {
        AgentProcess pub = agentOf(t.pub);
        pub.stop();
        t.pub.startWireGuard(NatTopology.WG_PORT); // a fresh interface: same key and port, no sessions, no peers
        long since = Converge.nowSeconds();
        pub.start();
        boolean ok = Converge.await(TIMEOUT_MS, () -> Converge.connectedSince(t.a, t.pub, since)
                && Converge.connectedSince(t.b, t.pub, since) && pings(t.a, t.pub) && pings(t.b, t.pub));
        assertTrue(ok, "a and b are back with pub" + diagnostics());
    }

    @Test
    void bsLanAddressChangingIsFollowedToItsNewMapping() {
        // As a DHCP lease change: the old address goes (and with it the default route), a new one comes.
        String fresh = "192.168.2.20", pubSaw = Converge.endpoint(t.pub, t.b), aSaw = Converge.endpoint(t.a, t.b);
        t.b.ns.ok("ip", "addr", "del", t.b.lanIp + "/24", "dev", "eth0");
        t.b.ns.ok("ip", "addr", "add", fresh + "/24", "dev", "eth0");
        t.b.ns.ok("ip", "route", "replace", "default", "via", "192.168.2.1");
        boolean ok = Converge.await(TIMEOUT_MS, () -> sendsToBsMapping(t.pub, fresh, NatTopology.PUBLIC_IP, pubSaw)
                && sendsToBsMapping(t.a, fresh, NatTopology.NAT1_WAN, aSaw) && pings(t.a, t.b) && pings(t.pub, t.b));
        assertTrue(ok, "pub and a reach b at NAT 2's mapping of its new address" + diagnostics());
    }

    @Test
    void bMovingOntoNat1sLanIsFoundThereByLanDiscovery() {
        String there = "192.168.1.12";
        t.moveToLan(t.b, t.nat1, there, "192.168.1.1");
        String lan = there + ":" + NatTopology.WG_PORT;
        boolean ok = Converge.await(TIMEOUT_MS, () -> sendsExactlyTo(t.a, t.b, lan) && sendsExactlyTo(t.a2, t.b, lan)
                && pings(t.a, t.b) && pings(t.a2, t.b) && pings(t.b, t.pub));
        assertTrue(ok, "a and a2 reach b at its address on their LAN" + diagnostics());
    }
}
