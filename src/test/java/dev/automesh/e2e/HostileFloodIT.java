package dev.automesh.e2e;

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
 * The fresh-key flood of the hostile-input campaign against a real agent (the packaged jar): 200 000
 * sealed Announces of fresh pubkeys, half with empty endpoint lists, at the public node. Before the fix
 * every one of them stayed in memory (+194 MiB per million; the agent died at 60 s). Now the agent
 * lives, keeps forming the mesh, and its resident memory stays flat.
 */
class HostileFloodIT {
    private static final int COUNT = 200_000;
    /** The systemd unit's JVM flags (packaging/systemd/automesh.service): the heap the campaign ran out of. */
    private static final List<String> UNIT_FLAGS = List.of("-XX:+UseSerialGC", "-Xms8m", "-Xmx48m", "-Xmn2m",
            "-XX:MinHeapFreeRatio=10", "-XX:MaxHeapFreeRatio=20", "-XX:MaxMetaspaceSize=48m",
            "-XX:ReservedCodeCacheSize=16m", "-XX:TieredStopAtLevel=1", "-XX:CompileThresholdScaling=3", "-Xss256k",
            "-XX:-UsePerfData", "-Xshare:auto", "-XX:+ExitOnOutOfMemoryError", "-Dio.netty.allocator.type=unpooled");
    private NatTopology t;
    private final List<AgentProcess> agents = new ArrayList<>();
    private Process pub;

    @BeforeEach
    void up() {
        Facility.requireRoot();
        Facility.requireCommands("ip", "nft", "wireguard-go", "wg", "unshare", "java");
        t = NatTopology.create();
    }

    @AfterEach
    void down() {
        if (pub != null) Netns.stop(pub, 5000);
        for (AgentProcess a : agents) a.stop();
        if (t != null) t.close();
    }

    private static long rssKiB(Process p) throws Exception {
        for (String line : Files.readAllLines(Path.of("/proc/" + p.pid() + "/status"))) {
            if (line.startsWith("VmRSS:")) return Long.parseLong(line.replaceAll("\\D", ""));
        }
        throw new AssertionError("no VmRSS for " + p.pid());
    }

    private static long counter(String json, String name) {
        Matcher m = Pattern.compile("\"" + name + "\":(\\d+)").matcher(json);
        assertTrue(m.find(), name + " missing in " + json);
        return Long.parseLong(m.group(1));
    }

    @Test
    void aFreshKeyFloodLeavesTheAgentsMemoryFlat() throws Exception {
        long since = Converge.nowSeconds();
        Map<Host, String> endpoints = Map.of(t.pub, NatTopology.PUBLIC_IP + ":" + NatTopology.WG_PORT);
        // The flooded agent runs as the unit runs it.
        Path config = t.pub.ns.dir().resolve("automesh.toml");
        Files.writeString(config, AgentProcess.configFor(t.pub, t.hosts(), endpoints, ""));
        List<String> cmd = new ArrayList<>(List.of("java"));
        cmd.addAll(UNIT_FLAGS);
        cmd.addAll(List.of("-jar", AgentProcess.jar().toString(), "run", config.toString()));
        pub = t.pub.ns.spawn(cmd, t.pub.ns.dir().resolve("agent.log"));
        for (Host h : List.of(t.a, t.a2, t.b)) {
            agents.add(AgentProcess.start(h, AgentProcess.configFor(h, t.hosts(), endpoints, "")));
        }
        assertTrue(Converge.await(40_000, () -> Converge.fullMeshSince(t.hosts(), since)), "no full mesh\n" + Converge.table(t.hosts()));
        Thread.sleep(3000); // past start-up allocations
        long before = rssKiB(pub);
        Process flood = t.nat2.spawn(List.of("java", "-cp", Path.of("target/test-classes").toAbsolutePath() + ":" + AgentProcess.jar(),
                "dev.automesh.testbed.AnnounceFlood", NatTopology.PUBLIC_IP, Integer.toString(AgentProcess.GOSSIP_PORT),
                AgentProcess.SECRET, Integer.toString(COUNT), "10000"), t.nat2.dir().resolve("flood.log"));
        try {
            assertTrue(flood.waitFor(120, java.util.concurrent.TimeUnit.SECONDS), "the flood did not finish");
        } finally {
            Netns.stop(flood, 2000);
        }
        Thread.sleep(2000);
        long after = rssKiB(pub);
        String json = Sh.run(List.of("java", "-jar", AgentProcess.jar().toString(), "status", "--socket",
                AgentProcess.controlSocket(t.pub).toString(), "--json"), 30).out();
        long dropped = counter(json, "ignored_unknown_peers");
        System.out.printf("fresh-key flood: %d Announces sent, %d dropped over the unknown-key bound, RSS %d -> %d KiB (%+d)%n",
                COUNT, dropped, before, after, after - before);
        assertTrue(pub.isAlive(), "the flooded agent died");
        assertTrue(dropped >= COUNT / 2, "too few Announces arrived to prove anything: " + dropped + "\n" + json);
        // The old code kept ~200 B per Announce: +39 MiB here, most of the 48 MiB heap, and died near a
        // million. The bounded tables are a few KiB.
        assertTrue(after - before < 32 * 1024, "RSS grew by " + (after - before) + " KiB");
        assertTrue(Converge.fullMesh(t.hosts(), 180), "the mesh broke under the flood\n" + Converge.table(t.hosts()));
    }
}
