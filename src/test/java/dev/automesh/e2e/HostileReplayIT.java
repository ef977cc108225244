package dev.automesh.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.automesh.testbed.AgentProcess;
import dev.automesh.testbed.Converge;
import dev.automesh.testbed.NatTopology;
import dev.automesh.testbed.NatTopology.Host;
import dev.automesh.testbed.Netns;
import dev.automesh.testbed.Sh;
import dev.automesh.testsupport.Facility;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The worst unauthenticated attack of the hostile-input campaign, against real agents (the packaged jar)
 * in the NAT test bed: a host on a's and a2's LAN (here NAT 1's router, 192.168.1.1) captures a2's
 * sealed LanBroadcast and replays it from its own address every 3 s. Before the fix, a moved a2's
 * endpoint to the replayer (17-71% loss a→a2). Now the replay is dropped by the nonce cache while it
 * remembers the nonce, and after a restart (an empty cache, as after the window) the LAN endpoint must
 * answer a sealed Ping first: a2's endpoint at a never moves.
 */
class HostileReplayIT {
    private static final long TIMEOUT_MS = 40_000;
    private NatTopology t;
    private final List<AgentProcess> agents = new ArrayList<>();
    private Process replayer;

    @BeforeEach
    void up() {
        Facility.requireRoot();
        Facility.requireCommands("ip", "nft", "wireguard-go", "wg", "unshare", "java", "ping");
        t = NatTopology.create();
    }

    @AfterEach
    void down() {
        if (replayer != null) Netns.stop(replayer, 2000);
        for (AgentProcess a : agents) a.stop();
        if (t != null) t.close();
    }

    private static Sh.Result status(Host h) {
        return Sh.run(List.of("java", "-jar", AgentProcess.jar().toString(), "status", "--socket",
                AgentProcess.controlSocket(h).toString(), "--json"), 30);
    }

    private static long counter(String json, String name) {
        Matcher m = Pattern.compile("\"" + name + "\":(\\d+)").matcher(json);
        assertTrue(m.find(), name + " missing in " + json);
        return Long.parseLong(m.group(1));
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

    @Test
    void aReplayedLanBroadcastFromAnotherAddressDoesNotMoveA2() throws Exception {
        Path ready = t.nat1.dir().resolve("replay.ready");
        Path go = t.nat1.dir().resolve("replay.go");
        replayer = t.nat1.spawn(List.of("java", "-cp", Path.of("target/test-classes").toAbsolutePath().toString(),
                "dev.automesh.testbed.UdpReplayer", Integer.toString(AgentProcess.GOSSIP_PORT), t.a2.lanIp, t.a.lanIp,
                Integer.toString(AgentProcess.GOSSIP_PORT), "3000", "45", ready.toString(), go.toString()),
                t.nat1.dir().resolve("replayer.log"));
        long since = Converge.nowSeconds();
        for (Host h : t.hosts()) {
            AgentProcess a = AgentProcess.start(h, AgentProcess.configFor(h, t.hosts(),
                    Map.of(t.pub, NatTopology.PUBLIC_IP + ":" + NatTopology.WG_PORT), ""));
            agents.add(a);
        }
        String a2Lan = t.a2.lanIp + ":" + t.a2.listenPort;
        assertTrue(Converge.await(TIMEOUT_MS, () -> Converge.connectedSince(t.a, t.a2, since)
                && a2Lan.equals(Converge.endpoint(t.a, t.a2)) && Files.exists(ready)),
                "a and a2 did not meet on the LAN, or nothing was captured" + diagnostics());

        // Phase 1: replays while a remembers the nonce.
        Files.writeString(go, "go\n");
        for (int i = 0; i < 16; i++) { // 8 s: about 3 replays
            assertEquals(a2Lan, Converge.endpoint(t.a, t.a2), "a2 moved during the replay" + diagnostics());
            Thread.sleep(500);
        }
        String before = status(t.a).out();
        assertTrue(counter(before, "dropped_replayed") >= 1, "no replay was dropped: " + before);
        assertTrue(counter(before, "lan_proofs_passed") >= 1, "a2's own broadcast never proved itself: " + before);

        // Phase 2: a restarts (its nonce cache is empty, as after the window); the replays go on.
        AgentProcess agentA = agents.get(1);
        assertEquals(t.a, agentA.host());
        assertEquals(0, agentA.stop());
        agentA.start();
        assertTrue(Converge.await(TIMEOUT_MS, () -> status(t.a).exit() != 3), "a's control socket never came back" + diagnostics());
        Sh.Result ping = t.a.ns.exec("ping", "-q", "-c", "30", "-i", "0.5", "-W", "1", t.a2.meshIp);
        for (int i = 0; i < 10; i++) {
            assertEquals(a2Lan, Converge.endpoint(t.a, t.a2), "a2 moved after the restart" + diagnostics());
            Thread.sleep(500);
        }
        String after = status(t.a).out();
        System.out.println("replay IT: a's counters after the restart: " + after.replaceAll("(?s).*\"counters\":(\\{[^}]*}).*", "$1")
                + "\nping a→a2 under replay: " + ping.out().strip());
        assertTrue(counter(after, "lan_proofs_sent") > counter(after, "lan_proofs_passed"),
                "the replays were not made to prove themselves (or one passed): " + after);
        Matcher loss = Pattern.compile("(\\d+(?:\\.\\d+)?)% packet loss").matcher(ping.out());
        assertTrue(loss.find(), ping.out());
        assertTrue(Double.parseDouble(loss.group(1)) < 10, "a→a2 lost " + loss.group(1) + "% under replay" + diagnostics());
        assertTrue(replayer.isAlive(), "the replayer ended early; the test proves nothing: "
                + Files.readString(t.nat1.dir().resolve("replayer.log")));
    }
}
