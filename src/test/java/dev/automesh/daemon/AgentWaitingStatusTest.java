package dev.automesh.daemon;

import static dev.automesh.daemon.AgentRuns.await;
import static dev.automesh.daemon.AgentRuns.run;
import static org.junit.jupiter.api.Assertions.*;

import dev.automesh.config.Config;
import dev.automesh.config.HostPort;
import dev.automesh.config.PeerConfig;
import dev.automesh.control.ControlClient;
import dev.automesh.crypto.GossipSecret;
import dev.automesh.crypto.WgKey;
import dev.automesh.wg.Backend;
import dev.automesh.wg.WireGuards;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The real agent started before its userspace interface exists: `automesh status` on its control socket
 * says why it waits (exit 1, state waiting), the same socket then serves the running agent once a UAPI
 * daemon (served by this test) appears, and says the interface is gone when that daemon goes away.
 */
class AgentWaitingStatusTest {
    static final WgKey OWN = WgKey.fromBase64("YGV8Kll6LhnqBaeIqo/5M5brFCUgSE4uTMxoSw7whnM=");
    static final WgKey PEER = WgKey.fromBase64("UKRRFT9ePi/56TPq1bZfAcoXuLHO49wn4e84vFEN+QI=");

    private final List<AutoCloseable> cleanup = new ArrayList<>();

    @AfterEach
    void tearDown() throws Exception {
        for (int i = cleanup.size() - 1; i >= 0; i--) cleanup.get(i).close();
    }

    /**
     * A UAPI daemon that answers every request, as wireguard-go does: `get` with our key and the peer
     * with a fresh handshake and growing byte counts (so the mesh sees it connected), `set` with errno=0.
     */
    static final class UapiDaemon implements AutoCloseable {
        final Path path;
        final ServerSocketChannel server;
        final List<SocketChannel> conns = new ArrayList<>();
        final AtomicLong rx = new AtomicLong(1000);

        UapiDaemon(Path socket) throws Exception {
            path = socket;
            server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
            server.bind(UnixDomainSocketAddress.of(socket));
            Thread t = new Thread(this::accept, "test-uapi");
            t.setDaemon(true);
            t.start();
        }

        private void accept() {
            try {
                while (true) {
                    SocketChannel c = server.accept();
                    synchronized (conns) {
                        conns.add(c);
                    }
                    Thread t = new Thread(() -> serve(c), "test-uapi-conn");
                    t.setDaemon(true);
                    t.start();
                }
            } catch (Exception e) {
                // closed at the end of the test
            }
        }

        private void serve(SocketChannel c) {
            ByteBuffer b = ByteBuffer.allocate(8192);
            StringBuilder pending = new StringBuilder();
            try {
                while (c.read(b) >= 0) {
                    pending.append(new String(b.array(), 0, b.position(), StandardCharsets.UTF_8));
                    b.clear();
                    int end;
                    while ((end = pending.indexOf("\n\n")) >= 0) {
                        String request = pending.substring(0, end);
                        pending.delete(0, end + 2);
                        c.write(ByteBuffer.wrap(reply(request).getBytes(StandardCharsets.UTF_8)));
                    }
                }
            } catch (Exception e) {
                // closed
            }
        }

        private String reply(String request) {
            if (!request.startsWith("get=1")) return "errno=0\n\n";
            return "own_public_key=" + StuckWireGuardTest.hex(OWN) + "\nlisten_port=51820\n"
                    + "public_key=" + StuckWireGuardTest.hex(PEER) + "\nendpoint=192.0.2.7:51820\n"
                    + "last_handshake_time_sec=" + System.currentTimeMillis() / 1000 + "\nlast_handshake_time_nsec=0\n"
                    + "rx_bytes=" + rx.addAndGet(148) + "\ntx_bytes=" + rx.get() + "\nallowed_ip=10.99.0.2/32\n"
                    + "errno=0\n\n";
        }

        /** As wireguard-go exiting: the socket file goes, and so do the connections. */
        @Override
        public void close() throws Exception {
            server.close();
            synchronized (conns) {
                for (SocketChannel c : conns) c.close();
            }
            Files.deleteIfExists(path);
        }
    }

    record Answer(int exit, String body) {}

    static Answer status(Path control, boolean json) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int exit = ControlClient.status(control, json, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(new ByteArrayOutputStream()));
        return new Answer(exit, out.toString(StandardCharsets.UTF_8));
    }

    static Object inode(Path p) throws Exception {
        return Files.getAttribute(p, "unix:ino", LinkOption.NOFOLLOW_LINKS);
    }

    @Test
    void statusSaysWhyItWaitsThenServesTheRunningAgentOnTheSameSocket() throws Exception {
        Path dir = Files.createTempDirectory("automesh-waiting");
        Path uapi = dir.resolve("wg5.sock");
        Path control = dir.resolve("automesh.sock");
        Config c = Config.builder(dir.resolve("automesh.toml"), "wg5", 0).gossipSecret(GossipSecret.of("waiting secret"))
                .wireguardBackend(Backend.USERSPACE).uapiSocket(Optional.of(uapi)).controlSocket(control).wgPollMillis(200)
                .peers(List.of(new PeerConfig(OWN, InetAddress.getByName("10.99.0.1"), Optional.empty(), Optional.of("self")),
                        new PeerConfig(PEER, InetAddress.getByName("10.99.0.2"),
                                Optional.of(new HostPort("192.0.2.7", 51820)), Optional.of("b")))).build();
        Agent agent = new Agent(c, List.of(new ControlService(() -> "off")),
                () -> WireGuards.open(c.wireguardBackend(), c.interfaceName(), c.uapiSocket()),
                System::currentTimeMillis, Optional.of(InetAddress.getLoopbackAddress()));
        CompletableFuture<Integer> exit = run(agent);
        cleanup.add(() -> {
            agent.requestStop();
            agent.awaitTermination(3000);
        });

        // Waiting: the socket answers, with the reason InterfaceWait saw.
        Answer[] a = new Answer[1];
        // Until its first attempt, it says so.
        assertTrue(await(10_000, () -> Files.exists(control) && (a[0] = status(control, false)).exit() != 3
                        && !a[0].body().startsWith("waiting for wg5: checking whether it exists")),
                "the control socket never said why it waits: " + (a[0] == null ? "no socket" : a[0]));
        assertEquals(1, a[0].exit(), a[0].body());
        assertTrue(a[0].body().startsWith("waiting for wg5: no userspace WireGuard interface wg5: its UAPI socket "
                + uapi + " does not exist"), a[0].body());
        assertTrue(a[0].body().contains("public key and listen port unknown"), a[0].body());
        Answer json = status(control, true);
        assertEquals(1, json.exit());
        assertTrue(json.body().contains("\"state\":\"waiting\",\"waiting_reason\":\"no userspace WireGuard interface wg5"),
                json.body());
        assertTrue(json.body().contains("\"public_key\":null,\"listen_port\":null"), json.body());
        assertTrue(json.body().contains("\"all_connected\":false"), json.body());
        assertFalse(agent.started().isDone());
        Object socketInode = inode(control);

        // The interface appears: the same socket serves the running agent's report.
        UapiDaemon daemon = new UapiDaemon(uapi);
        cleanup.add(daemon);
        agent.started().get(10, TimeUnit.SECONDS);
        assertTrue(await(15_000, () -> (a[0] = status(control, false)).exit() == 0),
                "status never said the peer is connected: " + a[0]);
        assertTrue(a[0].body().startsWith("interface wg5 (userspace), public key " + OWN + ", listen port 51820"),
                a[0].body());
        json = status(control, true);
        assertTrue(json.body().contains("\"state\":\"running\",\"waiting_reason\":null"), json.body());
        assertTrue(json.body().contains("\"public_key\":\"" + OWN + "\""), json.body());
        assertEquals(socketInode, inode(control), "the control socket was re-created");

        // wireguard-go exits: status says the interface is gone, no longer that the peer is connected.
        daemon.close();
        assertTrue(await(10_000, () -> (a[0] = status(control, false)).exit() == 1),
                "status still says all is well without the interface: " + a[0]);
        assertTrue(a[0].body().startsWith("waiting for wg5 to come back: no userspace WireGuard interface wg5"),
                a[0].body());
        assertTrue(a[0].body().contains("interface missing"), a[0].body());
        json = status(control, true);
        assertEquals(1, json.exit());
        assertTrue(json.body().contains("\"state\":\"interface gone\",\"waiting_reason\":\"no userspace WireGuard"),
                json.body());
        assertTrue(json.body().contains("\"state\":\"interface missing\",\"connected\":false"), json.body());

        // And back again.
        UapiDaemon again = new UapiDaemon(uapi);
        cleanup.add(again);
        assertTrue(await(15_000, () -> (a[0] = status(control, false)).exit() == 0),
                "status never saw the interface back: " + a[0]);
        assertEquals(socketInode, inode(control));
        assertFalse(exit.isDone(), "the agent is still running");
    }
}
