package dev.automesh.testbed;

import dev.automesh.testbed.NatTopology.Host;
import dev.automesh.testbed.NatTopology.Nat;
import java.time.Duration;
import java.time.LocalTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Time from a cold start until the relayed pair is reachable: both NATs symmetric, a fresh bed and
 * fresh agents per run (only pub's endpoint configured), started together; the clock stops at the first
 * ping from a to b's mesh address that is answered. Prints each run and the median; with
 * {@code -Dtimeline=true} also where each run's time went: a's and b's INFO lines (all lines with
 * {@code -Dtimeline.all=true}), in seconds since the agents were spawned. With {@code -Drelay.up=true}
 * pub's agent is started (and running) before the clock starts, as when a pair joins a running mesh.
 *
 * <p>{@code java [-Dtimeline=true] -cp target/test-classes:target/automesh.jar dev.automesh.testbed.RelayColdStartBench [runs]}
 * (root; the packaged jar).
 */
public final class RelayColdStartBench {
    /** -Drelay.up=true: pub's agent runs before the clock starts; a, a2 and b start cold. */
    private static final boolean RELAY_UP = Boolean.getBoolean("relay.up");

    public static void main(String[] args) throws Exception {
        int runs = args.length > 0 ? Integer.parseInt(args[0]) : 5;
        double[] secs = new double[runs];
        for (int i = 0; i < runs; i++) {
            secs[i] = once();
            System.out.printf("run %d: a reaches b through the relay %.2f s after the agents started%n", i + 1, secs[i]);
        }
        double[] sorted = secs.clone();
        Arrays.sort(sorted);
        System.out.printf("median of %d: %.2f s%n", runs, sorted[runs / 2]);
    }

    private static double once() throws Exception {
        try (NatTopology t = NatTopology.create(Nat.SYMMETRIC, Nat.SYMMETRIC)) {
            List<AgentProcess> agents = new ArrayList<>();
            try {
                Map<Host, String> endpoints = Map.of(t.pub, NatTopology.PUBLIC_IP + ":" + NatTopology.WG_PORT);
                if (RELAY_UP) {
                    // The relay as in a running mesh: up before the pair, so its own start is not timed.
                    AgentProcess pub = AgentProcess.start(t.pub, AgentProcess.configFor(t.pub, t.hosts(), endpoints, ""));
                    agents.add(pub);
                    long until = System.nanoTime() + 60_000_000_000L;
                    while (!pub.log().contains("automesh running") && System.nanoTime() < until) Thread.sleep(100);
                    Thread.sleep(1000);
                }
                long start = System.nanoTime();
                LocalTime wallStart = LocalTime.now(ZoneOffset.UTC);
                for (Host h : t.hosts()) {
                    if (RELAY_UP && h == t.pub) continue;
                    agents.add(AgentProcess.start(h, AgentProcess.configFor(h, t.hosts(), endpoints, "")));
                }
                long deadline = start + 120_000_000_000L;
                while (System.nanoTime() < deadline) {
                    // -W 1 bounds one try; a reply ends the run at once.
                    if (t.a.ns.exec("ping", "-c", "1", "-W", "1", t.b.meshIp).exit() == 0) {
                        double secs = (System.nanoTime() - start) / 1e9;
                        if (Boolean.getBoolean("timeline")) {
                            Thread.sleep(2000); // the ends log "relayed via" at their next read
                            timeline(agents, t, wallStart);
                        }
                        return secs;
                    }
                }
                timeline(agents, t, wallStart);
                throw new IllegalStateException("a never reached b within 120 s");
            } finally {
                for (AgentProcess a : agents) a.stop();
            }
        }
    }

    /** The log lines of a and b that say where the time went, dated since the agents were spawned. */
    private static void timeline(List<AgentProcess> agents, NatTopology t, LocalTime wallStart) {
        for (AgentProcess a : agents) {
            Host h = a.host();
            if (h != t.a && h != t.b) continue;
            for (String line : a.log().split("\n")) {
                Matcher m = STAMP.matcher(line);
                if (!m.find()) continue;
                boolean wanted = Boolean.getBoolean("timeline.all") || !line.contains(" DEBUG ");
                if (!wanted) continue;
                double at = Duration.between(wallStart, LocalTime.parse(m.group(1))).toMillis() / 1e3;
                String rest = line.substring(m.end()).trim();
                System.out.printf("  %s %6.2f %s%n", h.role, at, rest.length() > 160 ? rest.substring(0, 160) : rest);
            }
        }
    }

    private static final Pattern STAMP = Pattern.compile("^(\\d\\d:\\d\\d:\\d\\d\\.\\d{3})");
}
