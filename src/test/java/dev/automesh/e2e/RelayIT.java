package dev.automesh.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.automesh.testbed.Converge;
import dev.automesh.testbed.NatTopology;
import dev.automesh.testbed.NatTopology.Host;
import dev.automesh.testbed.NatTopology.Nat;
import dev.automesh.testsupport.Facility;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Relaying end to end: real agents (the packaged jar) on wireguard-go behind nftables NATs where a↔b
 * cannot punch (pub public; a and a2 behind NAT 1; b behind NAT 2; only public endpoints configured).
 * Every pair must still reach each other, a↔b through pub's relay socket, with no host forwarding IP.
 */
class RelayIT {
    /** A relayed pair is reachable ≤ 10 s after a cold start (the figure is in BENCHMARKS.md); slack for load. */
    private static final long REACH_MS = 45_000;
    /**
     * The direct path is re-probed with a backoff that outlasts the NATs' 30 s conntrack timeout (30, 60,
     * 120, 240 s): a pair whose probe fell just before NAT 2 became punchable waits for the next one.
     */
    private static final long UPGRADE_MS = 300_000;
    private RelayBed bed;

    @BeforeEach
    void facilities() {
        Facility.requireRoot();
        Facility.requireCommands("ip", "nft", "wireguard-go", "wg", "unshare", "java", "ping", "conntrack");
    }

    @AfterEach
    void down() {
        if (bed != null) bed.close();
    }

    private NatTopology t() {
        return bed.t;
    }

    /** The checks of every "a↔b cannot punch" bed: reachability, relayed via pub, no forwarding, pub relays only NAT pairs. */
    private void assertRelayedThroughPub() {
        NatTopology t = t();
        bed.assertEveryonePingsEveryone(t.hosts(), REACH_MS);
        assertTrue(Converge.await(REACH_MS, () -> RelayBed.relayedVia(t.a, t.b).equals(Optional.of("pub"))
                        && RelayBed.relayedVia(t.b, t.a).equals(Optional.of("pub"))),
                "a↔b is not relayed via pub" + bed.diagnostics());
        // The pair a↔b has no direct path: its pings go through pub.
        assertTrue(RelayBed.pings(t.a, t.b), bed.diagnostics());
        bed.assertNoHostForwards();

        String pubJson = RelayBed.statusJson(t.pub);
        Set<Set<String>> pairs = RelayBed.relayingFor(pubJson);
        assertTrue(pairs.contains(Set.of("a", "b")), "pub does not report relaying for a↔b:\n" + pubJson);
        // Only pairs that cannot punch are relayed: the two NAT-1 hosts with b, never a pair with pub or a↔a2.
        for (Set<String> p : pairs) {
            assertTrue(p.equals(Set.of("a", "b")) || p.equals(Set.of("a2", "b")), "pub relays for " + p + ":\n" + pubJson);
        }
        assertTrue(RelayBed.relayCounter(pubJson, "frames_forwarded") > 0, pubJson);
        Map<String, Long> drops = RelayBed.relayDrops(pubJson);
        assertFalse(drops.isEmpty(), "pub's status has no relay counters:\n" + pubJson);
        assertTrue(drops.values().stream().allMatch(v -> v == 0), "pub dropped relay frames " + drops + ":\n" + pubJson);
        // The ends carry their own WireGuard through pub and relay for nobody.
        for (Host end : List.of(t.a, t.b)) {
            String json = RelayBed.statusJson(end);
            assertEquals(Set.of(), RelayBed.relayingFor(json), end + " relays:\n" + json);
            assertTrue(RelayBed.relayCounter(json, "bytes_to_relay") > 0, end + " sent nothing through a relay:\n" + json);
        }
    }

    @Test
    void bothNatsSymmetricEveryPairConnectsAndABIsRelayedViaPub() {
        bed = new RelayBed(NatTopology.create(Nat.SYMMETRIC, Nat.SYMMETRIC));
        bed.startAll(bed.publicEndpoints());
        assertRelayedThroughPub();
    }

    @Test
    void onlyNat2SymmetricIsRelayedThenUpgradesToDirectWhenNat2CanBePunched() {
        bed = new RelayBed(NatTopology.create(Nat.HOME, Nat.SYMMETRIC));
        NatTopology t = t();
        bed.startAll(bed.publicEndpoints());
        assertRelayedThroughPub();

        // NAT 2 back to plain (port-preserving) masquerade: now a↔b can punch, and must move to direct.
        t.setNat(t.nat2, Nat.HOME);
        boolean direct = Converge.await(UPGRADE_MS, () -> {
            Optional<RelayBed.PeerView> b = RelayBed.peer(RelayBed.statusJson(t.a), "b");
            return b.isPresent() && b.get().connected() && b.get().relayedVia().isEmpty()
                    && b.get().endpoint().orElse("").startsWith(NatTopology.NAT2_WAN + ":");
        });
        assertTrue(direct, "a↔b did not move to the direct path" + bed.diagnostics());
        assertTrue(Converge.await(REACH_MS, () -> RelayBed.relayedVia(t.b, t.a).isEmpty()
                && Converge.endpoint(t.b, t.a) != null && Converge.endpoint(t.b, t.a).startsWith(NatTopology.NAT1_WAN + ":")),
                "b still reaches a through the relay" + bed.diagnostics());
        assertTrue(RelayBed.pings(t.a, t.b), bed.diagnostics());
        bed.assertNoHostForwards();
    }

    @Test
    void natsAcceptingWanInputAreRelayedDespiteTheStaleConntrackClash() {
        bed = new RelayBed(NatTopology.create(Nat.PERMISSIVE, Nat.PERMISSIVE));
        NatTopology t = t();
        // The clash may clear once one side stays silent past the conntrack timeout; until then a↔b is relayed.
        AtomicBoolean sawRelay = new AtomicBoolean();
        bed.startAll(bed.publicEndpoints());
        assertTrue(Converge.await(REACH_MS, () -> {
            if (RelayBed.relayedVia(t.a, t.b).equals(Optional.of("pub"))) sawRelay.set(true);
            return sawRelay.get() && RelayBed.pings(t.a, t.b);
        }), "a↔b was never relayed via pub, or does not ping" + bed.diagnostics());
        bed.assertEveryonePingsEveryone(t.hosts(), REACH_MS);
        bed.assertNoHostForwards();
    }

    @Test
    void whenTheRelayDiesThePairMovesToTheOtherRelayAndSaysSoWhenNoneIsLeft() {
        bed = new RelayBed(NatTopology.createWithSecondPublic(Nat.SYMMETRIC, Nat.SYMMETRIC));
        NatTopology t = t();
        bed.startAll(bed.publicEndpoints());
        assertTrue(Converge.await(REACH_MS, () -> RelayBed.relayedVia(t.a, t.b).isPresent() && RelayBed.pings(t.a, t.b)),
                "a↔b is not relayed" + bed.diagnostics());
        String first = RelayBed.relayedVia(t.a, t.b).orElseThrow();
        Host firstRelay = first.equals("pub") ? t.pub : t.pub2;
        Host other = firstRelay == t.pub ? t.pub2 : t.pub;

        // Kill the relay's agent outright (by its PID): no goodbye, its WireGuard stays up.
        bed.agents.remove(firstRelay).process().destroyForcibly();
        assertTrue(Converge.await(REACH_MS, () -> RelayBed.relayedVia(t.a, t.b).equals(Optional.of(other.role))
                        && RelayBed.relayedVia(t.b, t.a).equals(Optional.of(other.role)) && RelayBed.pings(t.a, t.b)),
                "a↔b did not fail over from " + first + " to " + other + bed.diagnostics());

        bed.agents.remove(other).process().destroyForcibly();
        boolean saysSo = Converge.await(REACH_MS, () -> {
            Optional<RelayBed.PeerView> b = RelayBed.peer(RelayBed.statusJson(t.a), "b");
            return b.isPresent() && !b.get().connected() && b.get().relayedVia().isEmpty();
        });
        assertTrue(saysSo, "with no relay left, a's status still shows b connected" + bed.diagnostics());
        String text = RelayBed.statusText(t.a);
        String row = text.lines().filter(l -> l.startsWith("b ")).findFirst().orElse("");
        assertFalse(row.contains("relayed via"), text);
        // The loss names the relay; the same line or a later one (the first relay, asked again, did not
        // answer) says that none is left.
        List<String> lines = bed.agents.get(t.a).log().lines().toList();
        int lostAt = -1;
        for (int i = 0; i < lines.size(); i++) if (lines.get(i).contains("b lost its relay " + other.role)) lostAt = i;
        boolean noneLeft = lostAt >= 0 && lines.subList(lostAt, lines.size()).stream()
                .anyMatch(l -> l.contains("no relay available") && (l.contains("b lost its relay") || l.contains("relay b;")));
        assertTrue(noneLeft, "a did not log that b lost its relay " + other.role + " with none left" + bed.diagnostics());
    }
}
