package dev.automesh.daemon;

import dev.automesh.crypto.GossipSecret;
import dev.automesh.wg.Backend;
import static dev.automesh.daemon.AgentRuns.await;
import static dev.automesh.daemon.AgentRuns.run;
import static org.junit.jupiter.api.Assertions.*;

import dev.automesh.config.Config;
import dev.automesh.config.HostPort;
import dev.automesh.config.PeerConfig;
import dev.automesh.crypto.GossipCipher;
import dev.automesh.crypto.WgKey;
import dev.automesh.mesh.Mesh;
import dev.automesh.mesh.MeshSettings;
import dev.automesh.store.EndpointStore;
import dev.automesh.testbed.Netns;
import dev.automesh.testbed.Sh;
import dev.automesh.testbed.WireguardGo;
import dev.automesh.testsupport.Facility;
import dev.automesh.wg.WireGuards;
import dev.automesh.wire.TimedEndpoint;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * Two real agents in this JVM, each driving a wireguard-go interface in its own namespace (the two
 * namespaces joined by a veth), gossiping over loopback: agent A on 127.0.0.2, agent B on 127.0.0.3,
 * which are also their mesh addresses, so gossip "through the tunnel" lands on the other agent. Only A
 * knows B's endpoint; B gets connected to A because A's agent configures it. LAN discovery is off so
 * nothing leaves this host. Covers: boot, configure, gossip both ways, the interface vanishing and
 * coming back, stop within a second with the state saved.
 */
class AgentSmokeTest {
    private final List<AutoCloseable> cleanup = new ArrayList<>();

    @AfterEach
    void tearDown() throws Exception {
        for (int i = cleanup.size() - 1; i >= 0; i--) {
            try {
                cleanup.get(i).close();
            } catch (Exception e) {
                System.err.println("cleanup: " + e);
            }
        }
    }

    record Node(Netns ns, WireguardGo[] wg, WgKey key, String privateKey, InetAddress meshIp, String vethIp) {
        Sh.Result wgCmd(String... args) {
            List<String> cmd = new ArrayList<>(List.of("ip", "netns", "exec", ns.name(), "unshare", "--mount", "--",
                    "sh", "-c", "mount --bind \"$0\" /run/wireguard && exec wg \"$@\"", ns.wireguardRunDir().toString()));
            cmd.addAll(List.of(args));
            return Sh.run(cmd);
        }

        void startWireGuard() throws Exception {
            wg[0] = WireguardGo.start(ns, "wg0");
            Path keyFile = ns.dir().resolve("wg0.key");
            Files.writeString(keyFile, privateKey + "\n");
            wgCmd("set", "wg0", "private-key", keyFile.toString(), "listen-port", "51820").orThrow();
            ns.ok("ip", "link", "set", "wg0", "up");
        }

        /** `wg show wg0 dump` line of a peer: [pubkey, psk, endpoint, allowed-ips, handshake, rx, tx, keepalive]. */
        Optional<String[]> peer(WgKey k) {
            Sh.Result r = wgCmd("show", "wg0", "dump");
            if (r.exit() != 0) return Optional.empty();
            return r.out().lines().skip(1).map(l -> l.split("\t")).filter(f -> f[0].equals(k.toString())).findFirst();
        }

        boolean handshakeWith(Node other, String endpoint) {
            return peer(other.key).map(f -> f[2].equals(endpoint) && Long.parseLong(f[4]) > 0).orElse(false);
        }
    }

    @Test
    void twoAgentsConfigureGossipSurviveAnInterfaceRestartAndSaveOnStop() throws Exception {
        Facility.requireRoot();
        Facility.requireCommands("ip", "wg", "wireguard-go", "unshare");
        requireMergedParts();

        Node a = node("127.0.0.2", "10.77.0.1");
        Node b = node("127.0.0.3", "10.77.0.2");
        Netns.joinByVeth(a.ns(), "10.77.0.1/24", b.ns(), "10.77.0.2/24");
        a.startWireGuard();
        b.startWireGuard();

        int port;
        try (DatagramSocket probe = new DatagramSocket(new InetSocketAddress(a.meshIp(), 0))) {
            port = probe.getLocalPort();
        }
        PeerConfig pa = new PeerConfig(a.key(), a.meshIp(), Optional.empty(), Optional.of("a"));
        PeerConfig pb = new PeerConfig(b.key(), b.meshIp(), Optional.of(new HostPort("10.77.0.2", 51820)), Optional.of("b"));
        // An add-on like the UPnP forwarder: started with the handle, and one that is slow to close.
        CompletableFuture<AgentHandle> addonStarted = new CompletableFuture<>();
        AgentService slowAddon = new AgentService() {
            public String name() { return "slow test add-on"; }
            public void start(AgentHandle agent) { addonStarted.complete(agent); }
            public void close() {
                try { Thread.sleep(5000); } catch (InterruptedException e) { Thread.currentThread().interrupt(); }
            }
        };
        Agent agentA = agent(a, port, List.of(pa, pb), List.of(slowAddon));
        Agent agentB = agent(b, port, List.of(pa, new PeerConfig(b.key(), b.meshIp(), Optional.empty(), Optional.of("b"))), List.of());
        CompletableFuture<Integer> runA = run(agentA);
        CompletableFuture<Integer> runB = run(agentB);
        AgentHandle ha = agentA.started().get(15, TimeUnit.SECONDS);
        AgentHandle hb = agentB.started().get(15, TimeUnit.SECONDS);

        // A configured B from its config endpoint; B learned A's address from the handshake.
        assertTrue(await(15_000, () -> a.handshakeWith(b, "10.77.0.2:51820") && b.handshakeWith(a, "10.77.0.1:51820")),
                "no handshake: A sees " + a.peer(b.key()).map(List::of) + ", B sees " + b.peer(a.key()).map(List::of));
        assertTrue(a.peer(b.key()).orElseThrow()[3].contains("127.0.0.3/32"), "allowed-ips of B on A");

        // Gossip went both ways and every datagram authenticated.
        assertTrue(await(10_000, () -> ha.counters().datagramsIn() > 0 && hb.counters().datagramsIn() > 0),
                "no gossip: A " + ha.counters() + ", B " + hb.counters());
        assertEquals(0, ha.counters().droppedUndecryptable() + hb.counters().droppedUndecryptable());
        assertEquals(0, ha.counters().droppedUndecodable() + hb.counters().droppedUndecodable());
        AgentStatus sa = ha.status().get(2, TimeUnit.SECONDS);
        assertEquals(a.key(), sa.ownKey());
        assertEquals("userspace", sa.backendKind());
        assertTrue(sa.interfacePresent());

        // The UPnP hook: an external endpoint reported from another thread reaches the mesh thread.
        AgentHandle fromAddon = addonStarted.get(5, TimeUnit.SECONDS);
        InetSocketAddress external = new InetSocketAddress("198.51.100.7", 51820);
        fromAddon.externalEndpoint(Optional.of(external));
        assertEquals(Optional.of(external), ha.inspect(AgentView::externalEndpoint).get(2, TimeUnit.SECONDS));
        assertTrue(runA.getNow(-1) == -1, "agent A still runs");

        // B's interface vanishes (wireguard-go exits) and comes back empty: agent B keeps running and
        // configures A again.
        b.wg()[0].close();
        assertTrue(await(5_000, () -> !hb.status().join().interfacePresent()), "agent B did not notice its interface going away");
        assertFalse(runB.isDone(), "agent B must keep running without its interface");
        b.startWireGuard();
        assertTrue(await(15_000, () -> b.peer(a.key()).map(f -> f[3].contains("127.0.0.2/32")).orElse(false)),
                "agent B did not reconfigure the recreated interface");
        assertTrue(await(5_000, () -> hb.status().join().interfacePresent()));

        // SIGTERM-equivalent: A stops within a second (despite the slow add-on), with its endpoints saved.
        long t0 = System.nanoTime();
        agentA.requestStop();
        assertEquals(0, runA.get(2, TimeUnit.SECONDS));
        long stopMs = (System.nanoTime() - t0) / 1_000_000;
        System.out.println("agent stop took " + stopMs + " ms");
        assertTrue(stopMs < 1000, "stop took " + stopMs + " ms");
        Map<String, List<TimedEndpoint>> saved = new EndpointStore(a.ns().dir().resolve("automesh.state")).load().table();
        assertTrue(saved.getOrDefault(b.key().toString(), List.of()).stream()
                        .anyMatch(e -> e.address().equals(new InetSocketAddress("10.77.0.2", 51820))),
                "A's state file lacks B's endpoint: " + saved);
        agentB.requestStop();
        assertEquals(0, runB.get(2, TimeUnit.SECONDS));
    }

    private Node node(String meshIp, String vethIp) throws Exception {
        Netns ns = Netns.create(Netns.uniqueName("amd"));
        WireguardGo[] wg = new WireguardGo[1];
        cleanup.add(ns);
        cleanup.add(() -> { if (wg[0] != null) wg[0].close(); });
        String priv = Sh.ok("wg", "genkey").out().strip();
        String pub = Sh.ok("sh", "-c", "echo \"$0\" | wg pubkey", priv).out().strip();
        return new Node(ns, wg, WgKey.fromBase64(pub), priv, InetAddress.getByName(meshIp), vethIp);
    }

    private Agent agent(Node n, int port, List<PeerConfig> peers, List<AgentService> services) {
        Path socket = n.ns().wireguardRunDir().resolve("wg0.sock");
        Config c = Config.builder(n.ns().dir().resolve("automesh.toml"), "wg0", port)
                .gossipSecret(GossipSecret.of("smoke secret"))
                .persistFile(Optional.of(n.ns().dir().resolve("automesh.state"))).wireguardBackend(Backend.USERSPACE)
                .uapiSocket(Optional.of(socket)).controlSocket(n.ns().dir().resolve("automesh.sock"))
                .wgPollMillis(200).peers(peers).build();
        Agent agent = new Agent(c, services,
                () -> WireGuards.open(Backend.USERSPACE, "wg0", Optional.of(socket)),
                System::currentTimeMillis, Optional.of(n.meshIp()));
        cleanup.add(() -> {
            agent.requestStop();
            agent.awaitTermination(3000);
        });
        return agent;
    }

    /** Cipher, mesh and store are other engineers' parts: until merged, this test has nothing to run. */
    private static void requireMergedParts() {
        try {
            GossipCipher.fromSecret("probe");
            new Mesh(new MeshSettings(WgKey.of(new byte[32]), 1, false, List.of())).persistentState();
            new EndpointStore(Path.of("/nonexistent/automesh-probe")).load();
        } catch (UnsupportedOperationException e) {
            Assumptions.abort("SKIPPED: " + e.getMessage() + " (cipher, mesh or store not merged yet)");
        }
    }
}
