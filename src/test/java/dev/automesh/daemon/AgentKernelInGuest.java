package dev.automesh.daemon;

import dev.automesh.crypto.GossipSecret;
import dev.automesh.wg.Backend;
import static dev.automesh.daemon.AgentRuns.await;
import static dev.automesh.daemon.AgentRuns.run;
import static org.junit.jupiter.api.Assertions.*;

import dev.automesh.config.Config;
import dev.automesh.config.HostPort;
import dev.automesh.config.PeerConfig;
import dev.automesh.crypto.WgKey;
import dev.automesh.mesh.MeshStatus;
import dev.automesh.testbed.InGuest;
import dev.automesh.testbed.InNetns;
import dev.automesh.testbed.Netns;
import dev.automesh.testbed.Sh;
import dev.automesh.wg.WireGuardException;
import dev.automesh.wg.WireGuards;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Two agents on KERNEL WireGuard, inside the QEMU guest (run by KernelWireGuardGuestTest): each kernel
 * interface lives in its own namespace, the two joined by a veth; the agents run in this JVM and
 * gossip over loopback (127.0.0.2 and 127.0.0.3 are their mesh addresses). Backend "auto" must pick
 * the kernel (no UAPI socket), the agents must configure the peers over netlink, see the handshake and
 * report the peer connected.
 */
class AgentKernelInGuest extends InGuest {



    private record Node(Netns ns, WgKey key, InetAddress meshIp) {
        /** `wg show wg0 dump` fields of peer k: [pubkey, psk, endpoint, allowed-ips, handshake, rx, tx, keepalive]. */
        Optional<String[]> peer(WgKey k) {
            Sh.Result r = ns.exec("wg", "show", "wg0", "dump");
            if (r.exit() != 0) return Optional.empty();
            return r.out().lines().skip(1).map(l -> l.split("\t")).filter(f -> f[0].equals(k.toString())).findFirst();
        }
    }

    private Node node(String meshIp) throws Exception {
        Netns ns = Netns.create(Netns.uniqueName("amg"));
        cleanup.add(ns);
        String priv = Sh.ok("wg", "genkey").out().strip();
        String pub = Sh.ok("sh", "-c", "echo \"$0\" | wg pubkey", priv).out().strip();
        Path keyFile = ns.dir().resolve("wg0.key");
        Files.writeString(keyFile, priv + "\n");
        ns.ok("ip", "link", "add", "wg0", "type", "wireguard");
        ns.ok("wg", "set", "wg0", "private-key", keyFile.toString(), "listen-port", "51820");
        ns.ok("ip", "link", "set", "wg0", "up");
        return new Node(ns, WgKey.fromBase64(pub), InetAddress.getByName(meshIp));
    }

    private Agent agent(Node n, List<PeerConfig> peers) {
        Config c = Config.builder(n.ns().dir().resolve("automesh.toml"), "wg0", 1666)
                .gossipSecret(GossipSecret.of("guest secret"))
                .persistFile(Optional.of(n.ns().dir().resolve("automesh.state"))).wireguardBackend(Backend.AUTO)
                .controlSocket(n.ns().dir().resolve("automesh.sock")).wgPollMillis(200).peers(peers).build();
        // The netlink socket is opened inside the node's namespace and stays bound to it.
        InterfaceWait.Opener opener = () -> {
            try {
                return InNetns.call(n.ns().name(), () -> WireGuards.open(Backend.AUTO, "wg0", Optional.empty()));
            } catch (WireGuardException e) {
                throw e;
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        };
        Agent agent = new Agent(c, List.of(), opener, System::currentTimeMillis, Optional.of(n.meshIp()));
        cleanup.add(() -> {
            agent.requestStop();
            agent.awaitTermination(5000);
        });
        return agent;
    }

    @Test
    void twoAgentsConfigureKernelWireGuardAndConnect() throws Exception {
        Sh.ok("ip", "link", "set", "lo", "up"); // the guest's init leaves loopback as it found it
        Node a = node("127.0.0.2");
        Node b = node("127.0.0.3");
        Netns.joinByVeth(a.ns(), "10.78.0.1/24", b.ns(), "10.78.0.2/24");

        PeerConfig pa = new PeerConfig(a.key(), a.meshIp(), Optional.empty(), Optional.of("a"));
        PeerConfig pbWithEndpoint = new PeerConfig(b.key(), b.meshIp(), Optional.of(new HostPort("10.78.0.2", 51820)), Optional.of("b"));
        PeerConfig pb = new PeerConfig(b.key(), b.meshIp(), Optional.empty(), Optional.of("b"));
        Agent agentA = agent(a, List.of(pa, pbWithEndpoint));
        Agent agentB = agent(b, List.of(pa, pb));
        CompletableFuture<Integer> runA = run(agentA);
        CompletableFuture<Integer> runB = run(agentB);
        AgentHandle ha = agentA.started().get(60, TimeUnit.SECONDS);
        AgentHandle hb = agentB.started().get(60, TimeUnit.SECONDS);
        assertEquals("kernel", ha.status().get(10, TimeUnit.SECONDS).backendKind(), "auto picks the kernel without a UAPI socket");

        // A configures B from the config endpoint; B learns A's address from the handshake.
        assertTrue(await(60_000, () -> a.peer(b.key()).map(f -> f[2].equals("10.78.0.2:51820") && Long.parseLong(f[4]) > 0).orElse(false)
                        && b.peer(a.key()).map(f -> f[2].equals("10.78.0.1:51820") && Long.parseLong(f[4]) > 0).orElse(false)),
                "no handshake: A sees " + a.peer(b.key()).map(List::of) + ", B sees " + b.peer(a.key()).map(List::of));
        assertTrue(a.peer(b.key()).orElseThrow()[3].contains("127.0.0.3/32"), "allowed-ips of B on A, set over netlink");
        assertTrue(b.peer(a.key()).orElseThrow()[3].contains("127.0.0.2/32"), "allowed-ips of A on B, set over netlink");

        // Both agents read the handshake back through netlink and call the peer connected; gossip flowed.
        assertTrue(await(30_000, () -> connected(ha, "b") && connected(hb, "a")), "agents did not report the peer connected");
        assertTrue(await(30_000, () -> ha.counters().datagramsIn() > 0 && hb.counters().datagramsIn() > 0),
                "no gossip: A " + ha.counters() + ", B " + hb.counters() + "; " + Sh.run(List.of("ip", "addr", "show", "lo")).out());
        assertEquals(0, ha.counters().droppedUndecryptable() + hb.counters().droppedUndecryptable());

        agentA.requestStop();
        agentB.requestStop();
        assertEquals(0, runA.get(10, TimeUnit.SECONDS));
        assertEquals(0, runB.get(10, TimeUnit.SECONDS));
    }

    private static boolean connected(AgentHandle h, String peer) {
        try {
            MeshStatus s = h.inspect(v -> v.mesh().status(v.nowMillis())).get(5, TimeUnit.SECONDS);
            return s.peers().stream().anyMatch(p -> p.name().equals(peer) && p.state() == MeshStatus.State.CONNECTED);
        } catch (Exception e) {
            return false;
        }
    }
}
