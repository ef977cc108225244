package dev.automesh.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.automesh.control.ControlClient;
import dev.automesh.testbed.AgentProcess;
import dev.automesh.testbed.Converge;
import dev.automesh.testbed.NatTopology;
import dev.automesh.testbed.NatTopology.Host;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What the relay ITs share: agents (the packaged jar) on a NAT bed, their status read over the
 * control socket in this JVM (no JVM start per poll), pings through the tunnels, and the relay's
 * own report (the pairs it relays for, its drop counters) read from its status JSON.
 */
final class RelayBed implements AutoCloseable {
    final NatTopology t;
    final Map<Host, AgentProcess> agents = new LinkedHashMap<>();

    RelayBed(NatTopology t) {
        this.t = t;
    }

    AgentProcess start(Host h, Map<Host, String> endpoints, List<Host> peers) {
        AgentProcess a = AgentProcess.start(h, AgentProcess.configFor(h, peers, endpoints, ""));
        agents.put(h, a);
        return a;
    }

    void startAll(Map<Host, String> endpoints) {
        for (Host h : t.hosts()) start(h, endpoints, t.hosts());
    }

    Map<Host, String> publicEndpoints() {
        Map<Host, String> m = new LinkedHashMap<>();
        m.put(t.pub, NatTopology.PUBLIC_IP + ":" + NatTopology.WG_PORT);
        if (t.pub2 != null) m.put(t.pub2, NatTopology.PUBLIC2_IP + ":" + NatTopology.WG_PORT);
        return m;
    }

    /** `automesh status --json` of the agent on {@code h}, or "" while it does not answer. */
    static String statusJson(Host h) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int rc = ControlClient.status(AgentProcess.controlSocket(h), true, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));
        return rc == ControlClient.NO_AGENT ? "" : out.toString(StandardCharsets.UTF_8);
    }

    static String statusText(Host h) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ControlClient.status(AgentProcess.controlSocket(h), false, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(out, true, StandardCharsets.UTF_8));
        return out.toString(StandardCharsets.UTF_8);
    }

    /** One peer's object in a status JSON, up to its candidates: name, state, endpoint, relayed_via. */
    record PeerView(String state, boolean connected, Optional<String> endpoint, Optional<String> relayedVia) {}

    static Optional<PeerView> peer(String json, String name) {
        int i = json.indexOf("{\"name\":\"" + name + "\"");
        if (i < 0) return Optional.empty();
        int end = json.indexOf("\"candidates\"", i);
        String o = json.substring(i, end < 0 ? json.length() : end);
        return Optional.of(new PeerView(str(o, "state").orElse(""), o.contains("\"connected\":true"), str(o, "endpoint"),
                str(o, "relayed_via")));
    }

    static Optional<String> relayedVia(Host from, Host to) {
        return peer(statusJson(from), to.role).flatMap(PeerView::relayedVia);
    }

    private static Optional<String> str(String o, String key) {
        Matcher m = Pattern.compile("\"" + key + "\":\"([^\"]*)\"").matcher(o);
        return m.find() ? Optional.of(m.group(1)) : Optional.empty();
    }

    /** The unordered pairs a relay's status says it relays for. */
    static Set<Set<String>> relayingFor(String json) {
        Set<Set<String>> pairs = new HashSet<>();
        int i = json.indexOf("\"relaying_for\":[");
        if (i < 0) return pairs;
        String list = json.substring(i, json.indexOf(']', i));
        Matcher m = Pattern.compile("\\{\"a\":\"([^\"]*)\",\"b\":\"([^\"]*)\"").matcher(list);
        while (m.find()) pairs.add(Set.of(m.group(1), m.group(2)));
        return pairs;
    }

    /** The relay socket's drop counters by reason, from a status JSON (empty map when it has none). */
    static Map<String, Long> relayDrops(String json) {
        Map<String, Long> drops = new LinkedHashMap<>();
        int i = json.indexOf("\"dropped\":{");
        if (i < 0) return drops;
        String o = json.substring(i, json.indexOf('}', i));
        Matcher m = Pattern.compile("\"([a-z_]+)\":(\\d+)").matcher(o);
        while (m.find()) drops.put(m.group(1), Long.parseLong(m.group(2)));
        return drops;
    }

    static long relayCounter(String json, String key) {
        Matcher m = Pattern.compile("\"" + key + "\":(\\d+)").matcher(json.substring(Math.max(0, json.indexOf("\"relay\":{"))));
        return m.find() ? Long.parseLong(m.group(1)) : -1;
    }

    static boolean pings(Host from, Host to) {
        return from.ns.exec("ping", "-c", "1", "-W", "1", to.meshIp).exit() == 0;
    }

    /** Every host pings every other's mesh address through the tunnels (each pair gets the whole timeout). */
    void assertEveryonePingsEveryone(List<Host> hosts, long timeoutMs) {
        for (Host x : hosts) {
            for (Host y : hosts) {
                if (x == y) continue;
                assertTrue(Converge.await(timeoutMs, () -> pings(x, y)), x + " cannot ping " + y + diagnostics());
            }
        }
    }

    /** Relaying is not routing: no host of the bed forwards IP packets. */
    void assertNoHostForwards() {
        for (Host h : t.hosts()) assertEquals("0", NatTopology.ipForward(h), h + " has ip_forward on" + diagnostics());
    }

    String diagnostics() {
        StringBuilder sb = new StringBuilder("\nWireGuard as seen by `wg show`:\n").append(Converge.table(t.hosts()));
        for (Map.Entry<Host, AgentProcess> e : agents.entrySet()) {
            sb.append("\n--- status of ").append(e.getKey().role).append(" ---\n").append(statusText(e.getKey()));
            String log = e.getValue().log();
            sb.append("\n--- agent ").append(e.getKey().role).append(" log (tail) ---\n")
                    .append(log.substring(Math.max(0, log.length() - 2500)));
        }
        return sb.toString();
    }

    @Override
    public void close() {
        for (AgentProcess a : new ArrayList<>(agents.values())) a.stop();
        t.close();
    }
}
