package dev.automesh.packaging;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.automesh.testbed.Netns;
import dev.automesh.testbed.Sh;
import dev.automesh.testsupport.Facility;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The packaged agent as the systemd unit runs it: not root, holding CAP_NET_ADMIN only (ambient,
 * inheritable, bounding), started with setpriv the way systemd's DynamicUser + AmbientCapabilities
 * would. It must configure the peers of a real WireGuard interface: wireguard-go in a namespace
 * of ours. wireguard-go makes its UAPI socket 0700 and exits when the socket's attributes change
 * (it watches it with inotify), so the socket cannot be chown'ed afterwards: wireguard-go runs as
 * the same user with CAP_NET_ADMIN, which is how a userspace backend is deployed for this unit.
 */
class NonRootAgentIT {
    /** In systemd's DynamicUser range (61184–65519) and owned by no account here. */
    static final int UID = 61234;
    static final String CAP_NET_ADMIN_ONLY = "0000000000001000";

    @Test
    void unprivilegedAgentWithOnlyNetAdminConfiguresWireGuardPeers() throws Exception {
        Facility.requireRoot();
        Facility.requireCommands("ip", "wireguard-go", "wg", "setpriv", "unshare", "chown", "java");
        Path jar = Path.of("target/automesh.jar").toAbsolutePath();
        assertTrue(Files.isRegularFile(jar), jar + " missing: this test runs after `mvn package`");

        try (Netns ns = Netns.create(Netns.uniqueName("amk"))) {
            startWireguardGoAs(ns, "wg0");
            String selfPriv = Sh.ok("wg", "genkey").out().strip();
            Path keyFile = ns.dir().resolve("wg0.key");
            Files.writeString(keyFile, selfPriv + "\n");
            String selfPub = pub(selfPriv);
            String peer1 = pub(Sh.ok("wg", "genkey").out().strip());
            String peer2 = pub(Sh.ok("wg", "genkey").out().strip());
            wg(ns, "set", "wg0", "private-key", keyFile.toString(), "listen-port", "51820").orThrow();
            ns.ok("ip", "address", "add", "10.77.0.1/24", "dev", "wg0");
            ns.ok("ip", "link", "set", "wg0", "up");

            // Everything the agent touches lives in a directory of its own user; the jar is copied
            // because the checkout may sit under a home directory that user cannot enter.
            Path work = ns.dir().resolve("agent");
            Files.createDirectories(work);
            Path agentJar = Files.copy(jar, work.resolve("automesh.jar"), StandardCopyOption.REPLACE_EXISTING);
            Path secret = work.resolve("gossip_secret");
            Files.writeString(secret, "packaging test secret");
            Path config = work.resolve("config.toml");
            Files.writeString(config, String.join("\n",
                    "interface = \"wg0\"",
                    "gossip_port = 1666",
                    "gossip_secret_file = \"" + secret + "\"",
                    "persist_file = \"" + work.resolve("state") + "\"",
                    "lan_discovery = true",
                    "control_socket = \"" + work.resolve("automesh.sock") + "\"",
                    "",
                    "[[peers]]", "pubkey = \"" + selfPub + "\"", "address = \"10.77.0.1\"", "",
                    "[[peers]]", "pubkey = \"" + peer1 + "\"", "address = \"10.77.0.2\"",
                    "endpoint = \"10.200.0.2:51820\"", "",
                    "[[peers]]", "pubkey = \"" + peer2 + "\"", "address = \"10.77.0.3\"", ""));
            Sh.ok("chown", "-R", UID + ":" + UID, work.toString());
            Sh.ok("chmod", "0700", work.toString());
            Sh.ok("chmod", "0600", secret.toString());

            Path log = ns.dir().resolve("agent.log");
            Process agent = ns.spawn(asUnprivileged("java", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-XX:-UsePerfData",
                            "-Djava.io.tmpdir=" + work, "-jar", agentJar.toString(), "run", config.toString()),
                    log, "AUTOMESH_LOG_LEVEL=debug", "HOME=" + work);

            // ip netns exec, unshare, sh and setpriv all exec: the PID is the JVM's.
            String status = Files.readString(Path.of("/proc", Long.toString(agent.pid()), "status"));
            long deadline = System.nanoTime() + 20_000_000_000L;
            String allowed = "";
            String endpoints = "";
            while (System.nanoTime() < deadline) {
                if (!agent.isAlive()) {
                    fail("the agent did not configure the interface: it exited with status " + agent.exitValue()
                            + " as uid " + UID + " with only CAP_NET_ADMIN; its log:\n" + Files.readString(log));
                }
                status = Files.readString(Path.of("/proc", Long.toString(agent.pid()), "status"));
                allowed = wg(ns, "show", "wg0", "allowed-ips").orThrow().out();
                endpoints = wg(ns, "show", "wg0", "endpoints").orThrow().out();
                if (allowed.contains(peer1 + "\t10.77.0.2/32") && allowed.contains(peer2 + "\t10.77.0.3/32")
                        && endpoints.contains(peer1 + "\t10.200.0.2:51820")) break;
                Thread.sleep(100);
            }
            List<String> missing = new ArrayList<>();
            if (!allowed.contains(peer1 + "\t10.77.0.2/32")) missing.add("peer1 with allowed-ips 10.77.0.2/32");
            if (!allowed.contains(peer2 + "\t10.77.0.3/32")) missing.add("peer2 with allowed-ips 10.77.0.3/32");
            if (!endpoints.contains(peer1 + "\t10.200.0.2:51820")) missing.add("peer1's configured endpoint");
            if (!missing.isEmpty()) {
                fail("the agent did not configure the interface within 20 s (missing " + missing + ")\nwg allowed-ips:\n"
                        + allowed + "wg endpoints:\n" + endpoints + "agent log:\n" + Files.readString(log));
            }
            assertTrue(!allowed.contains(selfPub), "our own entry must not become a peer:\n" + allowed);

            // It really was the unprivileged, capability-restricted process doing it.
            assertTrue(agent.isAlive(), "agent still running");
            assertEquals(List.of(UID, UID, UID, UID), ids(status, "Uid:"), status);
            assertEquals(CAP_NET_ADMIN_ONLY, field(status, "CapEff:"), status);
            assertEquals(CAP_NET_ADMIN_ONLY, field(status, "CapBnd:"), status);
            assertEquals(CAP_NET_ADMIN_ONLY, field(status, "CapAmb:"), status);
            Netns.stop(agent, 5000);
        }
    }

    /** The command, run as {@link #UID} with CAP_NET_ADMIN only, as systemd's unit would run it. */
    static List<String> asUnprivileged(String... cmd) {
        List<String> full = new ArrayList<>(List.of("setpriv", "--reuid=" + UID, "--regid=" + UID, "--clear-groups",
                "--inh-caps=-all,+net_admin", "--ambient-caps=-all,+net_admin", "--bounding-set=-all,+net_admin"));
        full.addAll(List.of(cmd));
        return full;
    }

    static void startWireguardGoAs(Netns ns, String ifname) throws Exception {
        Sh.ok("chown", UID + ":" + UID, ns.wireguardRunDir().toString());
        Path log = ns.dir().resolve("wireguard-go.log");
        Process p = ns.spawn(asUnprivileged("wireguard-go", "-f", ifname), log,
                "WG_PROCESS_FOREGROUND=1", "LOG_LEVEL=error");
        Path socket = ns.wireguardRunDir().resolve(ifname + ".sock");
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (!Files.exists(socket)) {
            if (!p.isAlive() || System.nanoTime() > deadline) {
                fail("wireguard-go did not start as uid " + UID + ": " + Files.readString(log));
            }
            Thread.sleep(20);
        }
    }

    /** `wg` against this namespace's wireguard-go (its socket dir is private to the namespace). */
    static Sh.Result wg(Netns ns, String... args) {
        List<String> cmd = new ArrayList<>(List.of("ip", "netns", "exec", ns.name(), "unshare", "--mount", "--",
                "sh", "-c", "mount --bind \"$0\" /run/wireguard && exec \"$@\"", ns.wireguardRunDir().toString(), "wg"));
        cmd.addAll(List.of(args));
        return Sh.run(cmd);
    }

    static String pub(String priv) throws Exception {
        Path f = Files.createTempFile("amk-key", "");
        try {
            Files.writeString(f, priv + "\n");
            return Sh.ok("sh", "-c", "wg pubkey < \"$0\"", f.toString()).out().strip();
        } finally {
            Files.delete(f);
        }
    }

    static String field(String status, String key) {
        return status.lines().filter(l -> l.startsWith(key)).findFirst().orElseThrow().substring(key.length()).strip();
    }

    static List<Integer> ids(String status, String key) {
        return java.util.Arrays.stream(field(status, key).split("\\s+")).map(Integer::parseInt).toList();
    }
}
