package dev.automesh.wg;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.automesh.crypto.WgKey;
import dev.automesh.testbed.Netns;
import dev.automesh.testbed.Sh;
import dev.automesh.testbed.WireguardGo;
import dev.automesh.testsupport.Facility;
import java.net.InetAddress;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The contract against wireguard-go in a namespace this test creates, plus what is specific to the
 * UAPI: one reused connection, reconnecting after a daemon restart, a hung daemon, raw errno replies.
 */
class UserspaceWireGuardTest extends WireGuardContract {

    /** wireguard-go interfaces in one fresh namespace; they reach each other over its loopback. */
    static final class GoBed implements Bed {
        final Netns ns;
        final List<WireguardGo> daemons = new ArrayList<>();
        final List<Node> nodes = new ArrayList<>();
        final List<WireGuard> opened = new ArrayList<>();

        GoBed(Netns ns) {
            this.ns = ns;
        }

        WireguardGo startDaemon(String ifname) {
            WireguardGo go = WireguardGo.start(ns, ifname);
            daemons.add(go);
            ns.ok("ip", "link", "set", ifname, "up"); // wireguard-go binds its port only when up
            return go;
        }

        Node addNode(String ifname) throws WireGuardException {
            WireguardGo go = startDaemon(ifname);
            UserspaceWireGuard wg = UserspaceWireGuard.open(ifname, go.socket());
            opened.add(wg);
            Node node = new Node() {
                @Override public String ifname() { return ifname; }
                @Override public WireGuard wg() { return wg; }
                @Override public InetAddress underlay() { return InetAddress.getLoopbackAddress(); }
                @Override public Sh.Result runWg(String... args) { return wgIn(ns, args); }
            };
            nodes.add(node);
            return node;
        }

        @Override public List<Node> nodes() { return nodes; }

        @Override
        public WireGuard open(String ifname) throws WireGuardException {
            return UserspaceWireGuard.open(ifname, ns.wireguardRunDir().resolve(ifname + ".sock"));
        }

        @Override public Path scratch() { return ns.dir(); }

        @Override
        public void close() {
            for (WireGuard w : opened) w.close();
            for (WireguardGo go : daemons) go.close();
            ns.close();
        }
    }

    /** `wg` in the namespace, seeing the namespace's private /run/wireguard (its socket path is fixed). */
    static Sh.Result wgIn(Netns ns, String... args) {
        List<String> cmd = new ArrayList<>(List.of("unshare", "--mount", "--", "sh", "-c",
                "mount --bind \"$0\" /run/wireguard && exec \"$@\"", ns.wireguardRunDir().toString(), "wg"));
        cmd.addAll(List.of(args));
        return ns.exec(cmd.toArray(String[]::new));
    }

    static GoBed goBed(int n) throws Exception {
        Facility.requireRoot();
        Facility.requireCommands("ip", "unshare", "wireguard-go", "wg");
        String name = Netns.uniqueName("amu");
        GoBed bed = new GoBed(Netns.create(name));
        try {
            // Unique interface names, so their socket paths can be told apart in `ss` output.
            for (int i = 0; i < n; i++) bed.addNode(name + "w" + i);
            return bed;
        } catch (Exception | Error e) {
            bed.close();
            throw e;
        }
    }

    @Override
    protected Bed createBed(int n) throws Exception {
        return goBed(n);
    }

    // ---- UAPI-specific ---------------------------------------------------------------------------

    @Test
    @Timeout(60)
    void secondReadReusesTheConnection() throws Exception {
        try (GoBed bed = goBed(1)) {
            UserspaceWireGuard wg = (UserspaceWireGuard) bed.nodes().get(0).wg();
            configure(bed, bed.nodes().get(0), 41101);
            wg.read();
            wg.apply(List.of(PeerUpdate.of(randomKey()).keepalive(0).build()));
            assertEquals(1, wg.read().peers().size());
            assertEquals(1, wg.connects(), "one connection for open + read + apply + read");
            // The kernel's view, not our counter: exactly one connection accepted on the daemon's
            // socket, and the same one (same inode) after another read. An accepted unix socket
            // lives in the client's namespace (ours); the daemon bound /var/run/wireguard/IF.sock.
            String before = daemonSideConnections(wg);
            wg.read();
            String after = daemonSideConnections(wg);
            assertEquals(1, before.lines().count(), "daemon-side connections:\n" + before);
            assertEquals(before, after, "same connection before and after a read");
        }
    }

    /** Inodes of the connected sockets on the daemon's side of its UAPI socket, one per line. */
    private static String daemonSideConnections(UserspaceWireGuard wg) {
        String ss = Sh.ok("ss", "-x", "-H", "state", "connected", "src", "*/" + wg.socket().getFileName()).out();
        StringBuilder sb = new StringBuilder();
        for (String l : ss.lines().filter(l -> !l.isBlank()).toList()) {
            String[] f = l.trim().split("\\s+");
            sb.append(f[f.length - 3]).append('\n'); // ... Local-Address Port Peer-Address Port
        }
        return sb.toString();
    }

    @Test
    @Timeout(60)
    void reconnectsTransparentlyAfterTheDaemonRestarts() throws Exception {
        try (GoBed bed = goBed(1)) {
            Node n = bed.nodes().get(0);
            UserspaceWireGuard wg = (UserspaceWireGuard) n.wg();
            KeyPair first = configure(bed, n, 41102);
            assertEquals(Optional.of(first.publicKey()), wg.read().publicKey());

            bed.daemons.get(0).close(); // wireguard-go exits and removes its socket
            WireGuardException gone = assertThrows(WireGuardException.class, wg::read);
            assertEquals(WireGuardException.Reason.NO_SUCH_DEVICE, gone.reason(), gone.getMessage());
            assertTrue(gone.getMessage().contains(n.ifname()), gone.getMessage());
            assertTrue(gone.getMessage().contains(wg.socket().toString()), gone.getMessage());
            assertTrue(gone.getMessage().contains("wireguard-go") && gone.getMessage().contains("kernel"),
                    "says what to do: " + gone.getMessage());

            bed.startDaemon(n.ifname());
            KeyPair second = configure(bed, n, 41103);
            WgDevice d = wg.read();
            assertEquals(Optional.of(second.publicKey()), d.publicKey());
            assertEquals(41103, d.listenPort());
            assertEquals(2, wg.connects());

            // Restart while our connection is open and idle: the next call notices and reconnects.
            bed.daemons.get(1).close();
            bed.startDaemon(n.ifname());
            KeyPair third = configure(bed, n, 41104);
            WgKey peer = randomKey();
            wg.apply(List.of(PeerUpdate.of(peer).endpoint(ep("192.0.2.9", 9)).build()));
            WgDevice d3 = wg.read();
            assertEquals(Optional.of(third.publicKey()), d3.publicKey());
            assertEquals(Optional.of(ep("192.0.2.9", 9)), WgPeers.peer(d3, peer).orElseThrow().endpoint());
            assertEquals(3, wg.connects());
        }
    }

    @Test
    @Timeout(30)
    void realDaemonErrnoMinus22IsInvalidNamingThePeer() throws Exception {
        try (GoBed bed = goBed(1)) {
            UserspaceWireGuard wg = (UserspaceWireGuard) bed.nodes().get(0).wg();
            WgKey k = randomKey();
            // A value our typed API cannot produce, to get wireguard-go's own EINVAL reply.
            String reply = wg.transact("set=1\npublic_key=" + k.toHex() + "\npersistent_keepalive_interval=70000\n\n",
                    "set");
            assertEquals("errno=-22\n\n", reply);
            WireGuardException e = assertThrows(WireGuardException.class,
                    () -> wg.checkSetReply(reply, List.of(PeerUpdate.of(k).keepalive(1).build())));
            assertEquals(WireGuardException.Reason.INVALID, e.reason());
            assertTrue(e.getMessage().contains(k.toBase64()) && e.getMessage().contains(bed.nodes().get(0).ifname()), e.getMessage());
            // The connection stays usable after an error reply.
            wg.read();
            assertEquals(1, wg.connects());
        }
    }

    @Test
    @Timeout(30)
    void unknownCommandClosesTheConnectionThenTheNextCallReconnects() throws Exception {
        try (GoBed bed = goBed(1)) {
            UserspaceWireGuard wg = (UserspaceWireGuard) bed.nodes().get(0).wg();
            WireGuardException e = assertThrows(WireGuardException.class, () -> wg.transact("bogus=1\n\n", "bogus"));
            assertEquals(WireGuardException.Reason.IO, e.reason());
            assertTrue(e.getMessage().contains("without a reply"), e.getMessage());
            assertEquals(List.of(), wg.read().peers());
        }
    }

    @Test
    @Timeout(30)
    void hungDaemonFailsWithinTheTimeout() throws Exception {
        Path dir = Files.createTempDirectory("amu-hung");
        Path sock = dir.resolve("amuhung.sock");
        try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            server.bind(UnixDomainSocketAddress.of(sock));
            // A "daemon" that accepts and never answers (the kernel queues the connection for us).
            try (UserspaceWireGuard wg = UserspaceWireGuard.open("amuhung", sock, 300);
                    SocketChannel accepted = server.accept()) {
                long t0 = System.nanoTime();
                WireGuardException e = assertThrows(WireGuardException.class, wg::read);
                long ms = (System.nanoTime() - t0) / 1_000_000;
                assertEquals(WireGuardException.Reason.IO, e.reason());
                assertTrue(e.getMessage().contains("amuhung") && e.getMessage().contains("300 ms"), e.getMessage());
                assertTrue(ms >= 250 && ms < 5000, "gave up after " + ms + " ms");
            }
        } finally {
            Files.deleteIfExists(sock);
            Files.deleteIfExists(dir);
        }
    }

    @Test
    @Timeout(60)
    void socketWeMayNotUseIsNotPermittedSayingWhatToDo() throws Exception {
        Facility.requireCommands("setpriv");
        try (GoBed bed = goBed(1)) {
            Node n = bed.nodes().get(0);
            Path sock = ((UserspaceWireGuard) n.wg()).socket();
            // wireguard-go makes its socket rwx for root only. Probe it from a JVM running as nobody,
            // with our classes copied where nobody can read them (target/ may be under /root).
            Path cp = bed.ns.dir().resolve("classes");
            Path classes = Path.of(UserspaceWireGuard.class.getProtectionDomain().getCodeSource().getLocation().toURI());
            Path testClasses = Path.of(ConnectProbe.class.getProtectionDomain().getCodeSource().getLocation().toURI());
            Files.createDirectories(cp);
            Sh.ok("cp", "-r", classes + "/.", testClasses + "/.", cp.toString());
            // Not chmod -R over the namespace directory: any attribute change on its socket makes
            // wireguard-go (inotify IN_ATTRIB) shut down.
            Sh.ok("chmod", "-R", "a+rX", cp.toString());
            Sh.ok("chmod", "a+x", bed.ns.dir().getParent().toString(), bed.ns.dir().toString(),
                    bed.ns.wireguardRunDir().toString());
            // And a socket path inside a directory nobody may search: not "no such device".
            Path hidden = bed.ns.dir().resolve("hidden");
            Files.createDirectories(hidden);
            Sh.ok("chmod", "700", hidden.toString());
            Path hiddenSock = hidden.resolve(n.ifname() + ".sock");
            String java = ProcessHandle.current().info().command().orElse("java");
            Sh.Result r = Sh.run(List.of("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--",
                    java, "-Xshare:auto", "-XX:TieredStopAtLevel=1", "-cp", cp.toString(),
                    ConnectProbe.class.getName(), n.ifname(), sock.toString(), hiddenSock.toString()), 60).orThrow();
            List<String> lines = r.out().lines().toList();
            assertEquals(2, lines.size(), r.out() + r.err());
            for (int i = 0; i < 2; i++) {
                String out = lines.get(i);
                Path p = i == 0 ? sock : hiddenSock;
                assertTrue(out.startsWith("NOT_PERMITTED|"), out);
                assertTrue(out.contains(n.ifname()) && out.contains(p.toString()) && out.contains("run automesh as root"),
                        "names interface, socket and what to do: " + out);
            }
        }
    }

    @Test
    void staleSocketWithoutDaemonIsNoSuchDevice() throws Exception {
        Path dir = Files.createTempDirectory("amu-stale");
        Path sock = dir.resolve("amustale.sock");
        try {
            // A socket file whose listener is gone: what a crashed daemon leaves behind.
            ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
            server.bind(UnixDomainSocketAddress.of(sock));
            server.close();
            assertTrue(Files.exists(sock));
            WireGuardException e = assertThrows(WireGuardException.class, () -> UserspaceWireGuard.open("amustale", sock));
            assertEquals(WireGuardException.Reason.NO_SUCH_DEVICE, e.reason(), e.getMessage());
            assertTrue(e.getMessage().contains("amustale") && e.getMessage().contains(sock.toString()), e.getMessage());
        } finally {
            Files.deleteIfExists(sock);
            Files.deleteIfExists(dir);
        }
    }
}
