package dev.automesh.e2e;

import static org.junit.jupiter.api.Assertions.*;

import dev.automesh.testbed.NatTopology;
import dev.automesh.testsupport.Facility;
import org.junit.jupiter.api.Test;

/** The test bed itself: hole punching works by hand before any agent is involved. */
class TopologySmokeTest {
    @Test
    void handConfiguredPunchThroughBothNats() throws Exception {
        Facility.requireRoot();
        Facility.requireCommands("ip", "nft", "wireguard-go", "wg", "unshare");
        long t0 = System.nanoTime();
        try (NatTopology t = NatTopology.create()) {
            System.out.printf("topology up in %d ms%n", (System.nanoTime() - t0) / 1_000_000);
            // a and b each know only the other's NAT WAN address: both send, both NATs open.
            t.a.wgCmd("set", "wg0", "peer", t.b.publicKey, "endpoint", NatTopology.NAT2_WAN + ":51820",
                    "allowed-ips", t.b.meshIp + "/32", "persistent-keepalive", "1").orThrow();
            t.b.wgCmd("set", "wg0", "peer", t.a.publicKey, "endpoint", NatTopology.NAT1_WAN + ":51820",
                    "allowed-ips", t.a.meshIp + "/32", "persistent-keepalive", "1").orThrow();
            long deadline = System.currentTimeMillis() + 15_000;
            NatTopology.WgDumpPeer seen = null;
            while (System.currentTimeMillis() < deadline) {
                seen = t.a.dump().get(t.b.publicKey);
                if (seen != null && seen.latestHandshake() > 0) break;
                Thread.sleep(100);
            }
            assertNotNull(seen);
            assertTrue(seen.latestHandshake() > 0, "a and b never completed a handshake: " + seen);
            assertEquals(NatTopology.NAT2_WAN + ":51820", seen.endpoint());
            // And the tunnel carries traffic.
            assertEquals(0, t.a.ns.exec("ping", "-c", "1", "-W", "2", t.b.meshIp).exit());
            // The NAT really drops unsolicited WAN input (a home router): pub's ping to NAT 1 goes unanswered,
            // while NAT 1 itself can reach pub.
            assertNotEquals(0, t.pub.ns.exec("ping", "-c", "1", "-W", "1", NatTopology.NAT1_WAN).exit());
            assertEquals(0, t.nat1.exec("ping", "-c", "1", "-W", "1", NatTopology.PUBLIC_IP).exit());
        }
    }
}
