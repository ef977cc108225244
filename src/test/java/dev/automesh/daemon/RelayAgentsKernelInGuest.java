package dev.automesh.daemon;

import static dev.automesh.daemon.AgentRuns.await;
import static org.junit.jupiter.api.Assertions.*;

import dev.automesh.config.ConfigLoader;
import dev.automesh.control.ControlClient;
import dev.automesh.testbed.InGuest;
import dev.automesh.testbed.InNetns;
import dev.automesh.testbed.Netns;
import dev.automesh.testbed.Sh;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The agents' own relay decision on KERNEL WireGuard, inside the QEMU guest (run by
 * KernelWireGuardGuestTest): three namespaces pub, a, b, each with a kernel wg0 carrying its mesh
 * address; a and b reach only pub (no route between them, and no namespace forwards), and only pub's
 * endpoint is configured. A real agent per node (config file, control socket, backend auto) must
 * connect a↔pub and b↔pub directly, find no direct handshake for a↔b, ask pub to relay, and point each
 * end's kernel WireGuard at its own loopback proxy (re-creating the peer over netlink).
 *
 * <p>The agents run in this JVM (a JVM start per agent costs tens of seconds under TCG), each started
 * from a thread that has entered its node's namespace: the threads it creates inherit that
 * namespace, so its netlink, gossip, relay and proxy sockets are created there. The test checks that
 * with `ss` in each namespace and in the root one, since a socket left in the root namespace would
 * make the relay path silently something else.
 */
class RelayAgentsKernelInGuest extends InGuest {
    private static final int WG_PORT = 51820;
    private static final int GOSSIP_PORT = 1666;
    private static final int RELAY_PORT = GOSSIP_PORT + 1; // Config.defaultRelayPort
    /**
     * Relayed ≤ 10 s after a cold start on the host bed; 9–12 s here at load 3–10 (JVM warm from the
     * other suites). Generous for TCG under load, and short enough that a failure still leaves the
     * batch inside its watchdog.
     */
    private static final long RELAYED_MS = 90_000;
    private final Map<String, Node> nodes = new LinkedHashMap<>();
    private final Map<Node, Agent> agents = new LinkedHashMap<>();



    private record Node(String role, Netns ns, String publicKey, String meshIp) {
        Path controlSocket() {
            return ns.dir().resolve("automesh.sock");
        }

        /** `wg show wg0 dump` fields of the peer: [pubkey, psk, endpoint, allowed-ips, handshake, rx, tx, keepalive]. */
        Optional<String[]> peer(Node other) {
            Sh.Result r = ns.exec("wg", "show", "wg0", "dump");
            if (r.exit() != 0) return Optional.empty();
            return r.out().lines().skip(1).map(l -> l.split("\t")).filter(f -> f[0].equals(other.publicKey)).findFirst();
        }

        String statusJson() {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            int rc = ControlClient.status(controlSocket(), true, new PrintStream(out, true, StandardCharsets.UTF_8),
                    new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));
            return rc == ControlClient.NO_AGENT ? "" : out.toString(StandardCharsets.UTF_8);
        }

        String statusText() {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            ControlClient.status(controlSocket(), false, new PrintStream(out, true, StandardCharsets.UTF_8),
                    new PrintStream(out, true, StandardCharsets.UTF_8));
            return out.toString(StandardCharsets.UTF_8);
        }

        boolean pings(Node to) {
            return ns.exec("ping", "-c", "1", "-W", "1", to.meshIp).exit() == 0;
        }
    }

    /** One namespace's `wg show wg0 dump`, UDP sockets, ip_forward and route to {@code to}, read by one shell. */
    private record Look(String dump, String sockets, String ipForward, String route) {
        static Look of(Node n, String to) {
            String[] p = n.ns.ok("sh", "-c", "wg show wg0 dump; echo @@; ss -Hnua; echo @@; sysctl -n net.ipv4.ip_forward;"
                    + " echo @@; ip route get \"$0\"", to).out().split("@@\n", -1);
            return new Look(p[0], p[1], p[2].strip(), p[3].strip());
        }

        Optional<String[]> peer(Node other) {
            return dump.lines().skip(1).map(l -> l.split("\t")).filter(f -> f[0].equals(other.publicKey)).findFirst();
        }
    }

    private Node node(String role, String meshIp) throws Exception {
        KernelWg k = kernelWg("amk", meshIp, WG_PORT);
        Node n = new Node(role, k.ns(), k.publicKey(), meshIp);
        nodes.put(role, n);
        return n;
    }

    /** The config a real fleet would have: every node (itself included), only pub with an endpoint. */
    private static String config(Node self, List<Node> all, String pubEndpoint) {
        StringBuilder sb = new StringBuilder();
        sb.append("interface = \"wg0\"\n");
        sb.append("gossip_port = ").append(GOSSIP_PORT).append('\n');
        sb.append("gossip_secret = \"guest relay secret\"\n");
        sb.append("persist_file = \"").append(self.ns.dir().resolve("automesh.state")).append("\"\n");
        sb.append("control_socket = \"").append(self.controlSocket()).append("\"\n");
        sb.append("wireguard_backend = \"auto\"\n");
        for (Node h : all) {
            sb.append("\n[[peers]]\n");
            sb.append("name = \"").append(h.role).append("\"\n");
            sb.append("pubkey = \"").append(h.publicKey).append("\"\n");
            sb.append("address = \"").append(h.meshIp).append("\"\n");
            if (h.role.equals("pub") && pubEndpoint != null) sb.append("endpoint = \"").append(pubEndpoint).append("\"\n");
        }
        return sb.toString();
    }

    /**
     * Loads the node's config file and runs the agent as `automesh run` would (the control service, the
     * default WireGuard opener), on a thread started from inside the node's namespace.
     */
    private CompletableFuture<Integer> startAgent(Node n, String configText) throws Exception {
        Path file = n.ns.dir().resolve("automesh.toml");
        Files.writeString(file, configText);
        Agent agent = new Agent(ConfigLoader.load(file), List.of(new ControlService(() -> "off (not configured)")));
        agents.put(n, agent);
        CompletableFuture<Integer> exit = new CompletableFuture<>();
        InNetns.call(n.ns.name(), () -> {
            Thread t = new Thread(() -> {
                try {
                    exit.complete(agent.run());
                } catch (Throwable e) {
                    exit.completeExceptionally(e);
                }
            }, "agent-" + n.role);
            t.setDaemon(true);
            t.start(); // a thread inherits the namespace of the thread that creates it
            return null;
        });
        cleanup.add(() -> {
            agent.requestStop();
            if (!agent.awaitTermination(10_000)) System.err.println("agent " + n.role + " did not stop in 10 s");
        });
        return exit;
    }

    @Test
    void agentsRelayAPairThroughPubOnKernelInterfaces() throws Exception {
        long tSetup = System.nanoTime();
        Sh.ok("ip", "link", "set", "lo", "up"); // the guest's init leaves loopback as it found it
        Node pub = node("pub", "10.84.0.1");
        Node a = node("a", "10.84.0.2");
        Node b = node("b", "10.84.0.3");
        Netns.joinByVeth(pub.ns, "10.85.1.1/24", a.ns, "10.85.1.2/24");
        Netns.joinByVeth(pub.ns, "10.85.2.1/24", b.ns, "10.85.2.2/24");
        assertNotEquals(0, a.ns.exec("ping", "-c", "1", "-W", "1", "10.85.2.2").exit(), "a reaches b's underlay directly");
        List<Node> all = List.of(pub, a, b);

        Map<Node, CompletableFuture<Integer>> runs = new LinkedHashMap<>();
        runs.put(pub, startAgent(pub, config(pub, all, null)));
        runs.put(a, startAgent(a, config(a, all, "10.85.1.1:" + WG_PORT)));
        runs.put(b, startAgent(b, config(b, all, "10.85.2.1:" + WG_PORT)));

        // The agents' own view: a↔b relayed via pub, from both ends.
        long t0 = System.nanoTime();
        boolean relayed = await(RELAYED_MS, () -> relayedVia(a, b).equals(Optional.of("pub"))
                && relayedVia(b, a).equals(Optional.of("pub")) && a.pings(b));
        assertTrue(relayed, () -> "a↔b not relayed via pub, or a cannot ping b" + diagnostics());
        long tRelayed = System.nanoTime();
        System.out.println("  [namespaces set up and agents started in " + (t0 - tSetup) / 1_000_000 + " ms; a-b relayed via pub and pinging "
                + (tRelayed - t0) / 1_000_000 + " ms after the agents' start]");
        for (Node n : all) assertEquals("kernel", str(n.statusJson(), "backend").orElse(""), "backend auto on " + n.role);

        // The ping goes through wg0, whose a↔b peers point at the agents' loopback proxies on both ends.
        long rxBefore = Long.parseLong(b.peer(a).orElseThrow()[5]);
        assertTrue(a.pings(b), () -> "a → b" + diagnostics());
        assertTrue(b.pings(a), () -> "b → a" + diagnostics());
        // One shell per namespace from here on: each process start costs about a second under TCG.
        Map<Node, Look> look = new LinkedHashMap<>();
        for (Node n : all) look.put(n, Look.of(n, n == a ? b.meshIp : a.meshIp));
        String[] aSeesB = look.get(a).peer(b).orElseThrow();
        String[] bSeesA = look.get(b).peer(a).orElseThrow();
        assertTrue(look.get(a).route().contains("dev wg0"), "a's route to b's mesh address: " + look.get(a).route());
        assertTrue(aSeesB[2].startsWith("127.0.0.1:"), () -> "a's kernel WireGuard endpoint of b: " + aSeesB[2] + diagnostics());
        assertTrue(bSeesA[2].startsWith("127.0.0.1:"), () -> "b's kernel WireGuard endpoint of a: " + bSeesA[2] + diagnostics());
        assertTrue(Long.parseLong(aSeesB[4]) > 0 && Long.parseLong(bSeesA[4]) > 0, () -> "a↔b handshake" + diagnostics());
        assertTrue(Long.parseLong(bSeesA[5]) > rxBefore, () -> "b's wg0 received nothing from a during the pings" + diagnostics());
        // The direct paths stay direct.
        assertEquals(Optional.empty(), relayedVia(a, pub), this::diagnostics);
        assertEquals(Optional.empty(), relayedVia(b, pub), this::diagnostics);

        // Each end's proxy is in its own namespace (it reaches its own wg0's listen port), as are the
        // agents' gossip and relay sockets; none of them is in the root namespace.
        for (Node end : List.of(a, b)) {
            String port = (end == a ? aSeesB : bSeesA)[2].substring("127.0.0.1:".length());
            String ss = look.get(end).sockets();
            assertTrue(ss.contains("127.0.0.1:" + port + " "), end.role + "'s proxy 127.0.0.1:" + port + " is not in its namespace:\n" + ss);
        }
        for (Node n : all) {
            String ss = look.get(n).sockets();
            assertTrue(ss.contains(":" + GOSSIP_PORT + " "), n.role + " has no gossip socket in its namespace:\n" + ss);
            assertTrue(ss.contains(n.meshIp + ":" + RELAY_PORT + " "), n.role + " has no relay socket on its mesh address:\n" + ss);
        }
        String rootSs = Sh.ok("ss", "-Hnua").out();
        assertFalse(rootSs.contains(":" + GOSSIP_PORT + " ") || rootSs.contains(":" + RELAY_PORT + " "),
                "an agent socket is in the root namespace:\n" + rootSs);
        // Relaying is not routing.
        for (Node n : all) assertEquals("0", look.get(n).ipForward(), n.role + " ip_forward");

        // pub says it relays a↔b, forwarded frames and dropped none; the ends relay for nobody.
        String pubJson = pub.statusJson();
        assertEquals(Set.of(Set.of("a", "b")), relayingFor(pubJson), "pub's relaying_for:\n" + pubJson);
        assertTrue(counter(pubJson, "frames_forwarded") > 0, pubJson);
        Map<String, Long> drops = relayDrops(pubJson);
        assertFalse(drops.isEmpty(), "pub's status has no relay counters:\n" + pubJson);
        assertTrue(drops.values().stream().allMatch(v -> v == 0), "pub dropped relay frames " + drops + ":\n" + pubJson);
        for (Node end : List.of(a, b)) {
            String json = end.statusJson();
            assertEquals(Set.of(), relayingFor(json), end.role + " relays:\n" + json);
            assertTrue(counter(json, "bytes_to_relay") > 0, end.role + " sent nothing through a relay:\n" + json);
        }
        for (CompletableFuture<Integer> r : runs.values()) assertFalse(r.isDone(), () -> "an agent exited early" + diagnostics());
        System.out.println("  [checks took " + (System.nanoTime() - tRelayed) / 1_000_000 + " ms]");
        agents.values().forEach(Agent::requestStop);
        for (Map.Entry<Node, CompletableFuture<Integer>> e : runs.entrySet()) {
            assertEquals(0, e.getValue().get(10, TimeUnit.SECONDS), "exit status of " + e.getKey().role);
        }
    }

    private static Optional<String> relayedVia(Node from, Node to) {
        String json = from.statusJson();
        int i = json.indexOf("{\"name\":\"" + to.role + "\"");
        if (i < 0) return Optional.empty();
        int end = json.indexOf("\"candidates\"", i);
        return str(json.substring(i, end < 0 ? json.length() : end), "relayed_via");
    }

    private static Optional<String> str(String o, String key) {
        Matcher m = Pattern.compile("\"" + key + "\":\"([^\"]*)\"").matcher(o);
        return m.find() ? Optional.of(m.group(1)) : Optional.empty();
    }

    /** The unordered pairs a relay's status says it relays for. */
    private static Set<Set<String>> relayingFor(String json) {
        Set<Set<String>> pairs = new HashSet<>();
        int i = json.indexOf("\"relaying_for\":[");
        if (i < 0) return pairs;
        Matcher m = Pattern.compile("\\{\"a\":\"([^\"]*)\",\"b\":\"([^\"]*)\"").matcher(json.substring(i, json.indexOf(']', i)));
        while (m.find()) pairs.add(Set.of(m.group(1), m.group(2)));
        return pairs;
    }

    private static Map<String, Long> relayDrops(String json) {
        Map<String, Long> drops = new LinkedHashMap<>();
        int i = json.indexOf("\"dropped\":{");
        if (i < 0) return drops;
        Matcher m = Pattern.compile("\"([a-z_]+)\":(\\d+)").matcher(json.substring(i, json.indexOf('}', i)));
        while (m.find()) drops.put(m.group(1), Long.parseLong(m.group(2)));
        return drops;
    }

    private static long counter(String json, String key) {
        Matcher m = Pattern.compile("\"" + key + "\":(\\d+)").matcher(json.substring(Math.max(0, json.indexOf("\"relay\":{"))));
        return m.find() ? Long.parseLong(m.group(1)) : -1;
    }

    private String diagnostics() {
        StringBuilder sb = new StringBuilder();
        for (Node n : nodes.values()) {
            sb.append("\n--- ").append(n.role).append(": wg show ---\n").append(n.ns.exec("wg", "show", "wg0", "dump").out());
            sb.append("--- ").append(n.role).append(": status ---\n").append(n.statusText());
        }
        return sb.toString();
    }
}
