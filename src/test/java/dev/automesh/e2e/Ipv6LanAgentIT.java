package dev.automesh.e2e;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.automesh.testbed.AgentProcess;
import dev.automesh.testbed.Netns;
import dev.automesh.testbed.Sh;
import dev.automesh.testbed.WireguardGo;
import dev.automesh.testsupport.Facility;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import org.bouncycastle.math.ec.rfc7748.X25519;
import org.junit.jupiter.api.Test;

/**
 * Two real agents (the packaged jar) with ipv6 = true and lan_discovery = true on a LAN that has no
 * IPv4 at all, and no endpoints in their configs: they find each other by the LAN broadcast to
 * [ff05::1]:gossip_port, and each WireGuard learns the other's IPv6 address as its endpoint.
 */
class Ipv6LanAgentIT {
    private static final SecureRandom RNG = new SecureRandom();

    @Test
    void twoAgentsOnAnIpv6OnlyLanFindEachOther() throws Exception {
        Facility.requireRoot();
        Facility.requireCommands("ip", "wireguard-go", "java");
        AgentProcess.jar();
        String base = Netns.uniqueName("am6");
        List<AutoCloseable> cleanup = new ArrayList<>();
        try (Netns a = Netns.create(base + "a"); Netns b = Netns.create(base + "b")) {
            Sh.ok("ip", "link", "add", "eth0", "netns", a.name(), "type", "veth", "peer", "name", "eth0", "netns", b.name());
            byte[][] priv = {privateKey(), privateKey()};
            Netns[] hosts = {a, b};
            for (int i = 0; i < 2; i++) {
                Netns n = hosts[i];
                n.ok("sysctl", "-q", "-w", "net.ipv6.conf.all.disable_ipv6=0", "net.ipv6.conf.default.disable_ipv6=0",
                        "net.ipv6.conf.eth0.disable_ipv6=0");
                n.ok("ip", "addr", "add", "fd00:79::" + (i + 1) + "/64", "dev", "eth0", "nodad");
                n.ok("ip", "link", "set", "eth0", "up");
                WireguardGo w = WireguardGo.start(n, "wg0");
                cleanup.add(w);
                uapi(w.socket(), "set=1\nprivate_key=" + HexFormat.of().formatHex(priv[i]) + "\nlisten_port=51820\n\n");
                n.ok("ip", "link", "set", "wg0", "up");
            }
            List<Process> agents = new ArrayList<>();
            for (int i = 0; i < 2; i++) {
                Netns n = hosts[i];
                StringBuilder cfg = new StringBuilder("interface = \"wg0\"\ngossip_port = 1666\ngossip_secret = \"ipv6 lan\"\n"
                        + "ipv6 = true\nlan_discovery = true\nwireguard_backend = \"userspace\"\n"
                        + "persist_file = \"" + n.dir().resolve("state") + "\"\ncontrol_socket = \"" + n.dir().resolve("automesh.sock") + "\"\n");
                for (int j = 0; j < 2; j++) {
                    cfg.append("\n[[peers]]\npubkey = \"").append(Base64.getEncoder().encodeToString(pub(priv[j])))
                            .append("\"\naddress = \"10.79.0.").append(j + 1).append("\"\n");
                }
                Path conf = n.dir().resolve("automesh.toml");
                Files.writeString(conf, cfg);
                Process p = n.spawn(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-XX:+UseSerialGC",
                        "-XX:TieredStopAtLevel=1", "-Xshare:auto", "-jar", AgentProcess.jar().toString(), "run", conf.toString()),
                        n.dir().resolve("agent.log"), "AUTOMESH_LOG_LEVEL=debug");
                agents.add(p);
                cleanup.add(() -> Netns.stop(p, 5000));
            }
            long deadline = System.nanoTime() + 30_000_000_000L;
            String ea = "", eb = "";
            while (System.nanoTime() < deadline) {
                ea = endpoint(hosts[0], "wg0");
                eb = endpoint(hosts[1], "wg0");
                if (ea.equals("[fd00:79::2]:51820") && eb.equals("[fd00:79::1]:51820")) break;
                Thread.sleep(100);
            }
            String logs = Files.readString(a.dir().resolve("agent.log")) + "\n----\n" + Files.readString(b.dir().resolve("agent.log"));
            assertTrue(ea.equals("[fd00:79::2]:51820") && eb.equals("[fd00:79::1]:51820"),
                    "a has " + ea + ", b has " + eb + "\n" + logs);
        } finally {
            for (int i = cleanup.size() - 1; i >= 0; i--) cleanup.get(i).close();
        }
    }

    /** The endpoint of wg0's one peer, as `[addr]:port` (UAPI gives it so), or "". */
    private static String endpoint(Netns n, String ifname) {
        String r = uapi(n.wireguardRunDir().resolve(ifname + ".sock"), "get=1\n\n");
        return r.lines().filter(l -> l.startsWith("endpoint=")).map(l -> l.substring(9)).findFirst().orElse("");
    }

    private static byte[] privateKey() {
        byte[] k = new byte[32];
        RNG.nextBytes(k);
        k[0] &= (byte) 248;
        k[31] = (byte) ((k[31] & 127) | 64);
        return k;
    }

    private static byte[] pub(byte[] priv) {
        byte[] p = new byte[32];
        X25519.generatePublicKey(priv, 0, p, 0);
        return p;
    }

    private static String uapi(Path socket, String request) {
        try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            ch.connect(UnixDomainSocketAddress.of(socket));
            ch.write(ByteBuffer.wrap(request.getBytes(StandardCharsets.UTF_8)));
            StringBuilder sb = new StringBuilder();
            ByteBuffer buf = ByteBuffer.allocate(4096);
            while (!sb.toString().endsWith("\n\n") && ch.read(buf) >= 0) {
                buf.flip();
                sb.append(StandardCharsets.UTF_8.decode(buf));
                buf.clear();
            }
            return sb.toString();
        } catch (IOException e) {
            throw new IllegalStateException("UAPI " + socket + ": " + e.getMessage(), e);
        }
    }
}
