package dev.automesh.e2e;

import static org.junit.jupiter.api.Assertions.*;

import dev.automesh.testbed.AgentProcess;
import dev.automesh.testbed.Converge;
import dev.automesh.testbed.NatTopology;
import dev.automesh.testbed.NatTopology.Host;
import dev.automesh.testbed.Sh;
import dev.automesh.testsupport.Facility;
import java.nio.file.Files;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * In the NAT test bed: `automesh status` (the packaged jar, as an operator runs it) against real
 * agents, while the mesh is incomplete and once it is full; the Prometheus endpoint scraped over HTTP.
 */
class StatusIT {
    private static final long TIMEOUT_MS = 40_000;
    private static final int METRICS_PORT = 9464;
    private NatTopology t;
    private final List<AgentProcess> agents = new ArrayList<>();

    @BeforeEach
    void up() {
        Facility.requireRoot();
        Facility.requireCommands("ip", "nft", "wireguard-go", "wg", "unshare", "java", "curl");
        t = NatTopology.create();
    }

    @AfterEach
    void down() {
        for (AgentProcess a : agents) a.stop();
        if (t != null) t.close();
    }

    private void start(Host h, String extra) {
        agents.add(AgentProcess.start(h, AgentProcess.configFor(h, t.hosts(),
                Map.of(t.pub, NatTopology.PUBLIC_IP + ":" + NatTopology.WG_PORT), extra)));
    }

    private static Sh.Result status(Host h, String... more) {
        List<String> cmd = new ArrayList<>(List.of("java", "-jar", AgentProcess.jar().toString(), "status", "--socket",
                AgentProcess.controlSocket(h).toString()));
        cmd.addAll(List.of(more));
        return Sh.run(cmd, 30);
    }

    /** The row of the status table for peer {@code name}. */
    private static String row(String text, String name) {
        return text.lines().filter(l -> l.startsWith(name + " ")).findFirst().orElseThrow(() -> new AssertionError(
                "no row for " + name + " in:\n" + text));
    }

    private String logs() {
        StringBuilder sb = new StringBuilder("\n").append(Converge.table(t.hosts()));
        for (AgentProcess a : agents) sb.append("\n--- ").append(a.host().role).append(" ---\n").append(a.log());
        return sb.toString();
    }

    @Test
    void statusExplainsAnIncompleteMeshThenAFullOneAndMetricsFollow() throws Exception {
        long since = Converge.nowSeconds();
        start(t.pub, "metrics_address = \"127.0.0.1:" + METRICS_PORT + "\"\n");
        start(t.a, "");
        assertTrue(Converge.await(TIMEOUT_MS, () -> Converge.connectedSince(t.a, t.pub, since)), "a never reached pub" + logs());
        // The control socket exists only once the agent serves it; give it the same time.
        assertTrue(Converge.await(TIMEOUT_MS, () -> status(t.a).exit() != 3), "a's control socket never answered" + logs());

        // The agent sees the handshake at its next WireGuard read (every second).
        assertTrue(Converge.await(10_000, () -> row(status(t.a).out(), "pub").contains(" connected ")),
                "status never showed pub connected:\n" + status(t.a).out() + logs());
        // a2 and b run no agent yet: a is connected to pub only, so status says why and exits 1.
        Sh.Result partial = status(t.a);
        assertEquals(1, partial.exit(), partial.out() + partial.err());
        assertTrue(row(partial.out(), "pub").contains(" connected "), partial.out());
        assertTrue(row(partial.out(), "pub").contains("config"), "pub's endpoint came from the config:\n" + partial.out());
        assertFalse(row(partial.out(), "b").contains(" connected "), partial.out());
        assertTrue(partial.out().contains("public key " + t.a.publicKey), partial.out());
        assertTrue(partial.out().contains("peers: 1 of 3 connected"), partial.out());

        Sh.Result json = status(t.a, "--json");
        assertEquals(1, json.exit(), json.err());
        assertTrue(json.out().contains("\"schema\":\"automesh-status/1\""), json.out());
        assertTrue(json.out().contains("\"public_key\":\"" + t.a.publicKey + "\""), json.out());

        var perms = Files.getPosixFilePermissions(AgentProcess.controlSocket(t.a));
        assertEquals("rw-rw----", PosixFilePermissions.toString(perms), "the control socket is for root and its group");

        // The rest of the mesh starts: every peer connected, b at NAT 2's address learned from pub.
        start(t.a2, "");
        start(t.b, "");
        assertTrue(Converge.await(TIMEOUT_MS, () -> Converge.fullMeshSince(t.hosts(), since)), "no full mesh" + logs());
        assertTrue(Converge.await(10_000, () -> status(t.a).exit() == 0), "status did not reach exit 0" + status(t.a).out() + logs());
        Sh.Result full = status(t.a);
        assertTrue(full.out().contains("peers: 3 of 3 connected"), full.out());
        String b = row(full.out(), "b");
        assertTrue(b.contains(NatTopology.NAT2_WAN + ":"), "b is reached at NAT 2's address:\n" + full.out());
        assertTrue(b.contains("gossip from"), "b's endpoint was gossiped:\n" + full.out());
        String a2 = row(full.out(), "a2");
        assertTrue(a2.contains(" LAN "), "a2 is a LAN peer:\n" + full.out());
        // The INFO line for that state change.
        assertTrue(Pattern.compile("b connected directly at 198\\.51\\.100\\.2:\\d+, learned from \\S+ [0-9.]+ s after it was announced")
                .matcher(agents.get(1).log()).find(), agents.get(1).log());

        // Metrics, scraped over HTTP inside pub's namespace.
        Sh.Result scrape = t.pub.ns.exec("curl", "-sS", "--max-time", "5", "http://127.0.0.1:" + METRICS_PORT + "/metrics");
        assertEquals(0, scrape.exit(), scrape.err());
        for (String peer : List.of("a", "a2", "b")) {
            Matcher m = Pattern.compile("automesh_peer_connected\\{peer=\"" + peer + "\",[^}]*} (\\d)").matcher(scrape.out());
            assertTrue(m.find(), "no connected gauge for " + peer + ":\n" + scrape.out());
            assertEquals("1", m.group(1), scrape.out());
        }
        Matcher in = Pattern.compile("(?m)^automesh_gossip_datagrams_in_total (\\d+)$").matcher(scrape.out());
        assertTrue(in.find() && Long.parseLong(in.group(1)) > 0, "pub received gossip:\n" + scrape.out());
        assertTrue(scrape.out().contains("automesh_peer_handshake_age_seconds{peer=\"b\""), scrape.out());
    }

    @Test
    void statusWithoutAgentSaysSoAndExits3() {
        Sh.Result r = status(t.a);
        assertEquals(3, r.exit(), r.out() + r.err());
        assertTrue(r.err().contains(AgentProcess.controlSocket(t.a).toString()), r.err());
        assertFalse(r.err().contains("Exception"), r.err());
    }
}
