package dev.automesh.daemon;

import static dev.automesh.daemon.AgentRuns.await;
import static dev.automesh.daemon.AgentRuns.run;
import static org.junit.jupiter.api.Assertions.*;

import dev.automesh.config.Config;
import dev.automesh.config.HostPort;
import dev.automesh.config.PeerConfig;
import dev.automesh.control.ControlClient;
import dev.automesh.crypto.GossipCipher;
import dev.automesh.crypto.GossipSecret;
import dev.automesh.crypto.WgKey;
import dev.automesh.wg.Backend;
import dev.automesh.wg.WireGuards;
import dev.automesh.wire.Message;
import dev.automesh.wire.WireCodec;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A userspace WireGuard daemon that stops answering (as wireguard-go under SIGSTOP: its socket still
 * accepts, nobody replies). The real agent, on a real UAPI unix socket that this test serves, must go
 * on answering Pings sealed with the gossip secret and serving `automesh status`, which says that the
 * WireGuard read is late.
 */
class StuckWireGuardTest {
    static final String SECRET = "stuck secret";
    static final WgKey OWN = WgKey.fromBase64("YGV8Kll6LhnqBaeIqo/5M5brFCUgSE4uTMxoSw7whnM=");
    static final WgKey PEER = WgKey.fromBase64("UKRRFT9ePi/56TPq1bZfAcoXuLHO49wn4e84vFEN+QI=");

    private final List<AutoCloseable> cleanup = new ArrayList<>();

    @AfterEach
    void tearDown() throws Exception {
        for (int i = cleanup.size() - 1; i >= 0; i--) cleanup.get(i).close();
    }

    /** Answers the first `get` (so the agent starts), then accepts every connection and never answers again. */
    static final class HungDaemon implements AutoCloseable {
        final ServerSocketChannel server;
        final List<SocketChannel> held = new ArrayList<>();
        final Thread thread;
        volatile int requests;

        HungDaemon(Path socket) throws Exception {
            server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
            server.bind(UnixDomainSocketAddress.of(socket));
            thread = new Thread(this::serve, "hung-uapi");
            thread.setDaemon(true);
            thread.start();
        }

        private void serve() {
            try {
                SocketChannel first = server.accept();
                held.add(first);
                readRequest(first);
                String reply = "own_public_key=" + hex(OWN) + "\nlisten_port=51820\nerrno=0\n\n";
                first.write(ByteBuffer.wrap(reply.getBytes(StandardCharsets.UTF_8)));
                while (true) {
                    SocketChannel c = server.accept(); // and never answer
                    synchronized (held) {
                        held.add(c);
                    }
                }
            } catch (Exception e) {
                // closed at the end of the test
            }
        }

        private void readRequest(SocketChannel c) throws Exception {
            ByteBuffer b = ByteBuffer.allocate(4096);
            StringBuilder sb = new StringBuilder();
            while (!sb.toString().endsWith("\n\n")) {
                b.clear();
                if (c.read(b) < 0) return;
                sb.append(new String(b.array(), 0, b.position(), StandardCharsets.UTF_8));
            }
            requests++;
        }

        @Override
        public void close() throws Exception {
            server.close();
            synchronized (held) {
                for (SocketChannel c : held) c.close();
            }
        }
    }

    static String hex(WgKey k) {
        StringBuilder sb = new StringBuilder();
        for (byte b : k.bytes()) sb.append(String.format("%02x", b));
        return sb.toString();
    }

    @Test
    void answersPingsAndStatusWhileTheDeviceDoesNotAnswer() throws Exception {
        Path dir = Files.createTempDirectory("automesh-stuck");
        Path uapi = dir.resolve("wg0.sock");
        Path control = dir.resolve("automesh.sock");
        HungDaemon daemon = new HungDaemon(uapi);
        cleanup.add(daemon);
        Config c = Config.builder(dir.resolve("automesh.toml"), "wg0", 0).gossipSecret(GossipSecret.of(SECRET))
                .wireguardBackend(Backend.USERSPACE).uapiSocket(Optional.of(uapi)).controlSocket(control).wgPollMillis(200)
                .peers(List.of(new PeerConfig(OWN, InetAddress.getByName("10.99.0.1"), Optional.empty(), Optional.of("self")),
                        new PeerConfig(PEER, InetAddress.getByName("10.99.0.2"),
                                Optional.of(new HostPort("192.0.2.7", 51820)), Optional.of("b")))).build();
        Agent agent = new Agent(c, List.of(new ControlService(() -> "off")),
                () -> WireGuards.open(Backend.USERSPACE, "wg0", Optional.of(uapi)),
                System::currentTimeMillis, Optional.of(InetAddress.getLoopbackAddress()));
        CompletableFuture<Integer> exit = run(agent);
        cleanup.add(() -> {
            agent.requestStop();
            agent.awaitTermination(3000);
        });
        AgentHandle h = agent.started().get(10, TimeUnit.SECONDS);
        int gossipPort = h.status().get(2, TimeUnit.SECONDS).gossipPort();

        String[] text = new String[1];
        assertTrue(await(20_000, () -> {
            text[0] = status(control, false);
            return text[0].contains("wireguard: read in progress for");
        }), "status never said the WireGuard read is late:\n" + text[0]);
        assertTrue(daemon.requests >= 1);

        GossipCipher cipher = GossipCipher.fromSecret(SECRET);
        try (DatagramSocket s = new DatagramSocket(0, InetAddress.getLoopbackAddress())) {
            s.setSoTimeout(3000);
            InetSocketAddress to = new InetSocketAddress(InetAddress.getLoopbackAddress(), gossipPort);
            for (int i = 0; i < 5; i++) {
                byte[] ping = cipher.seal(WireCodec.encode(new Message.Ping()));
                s.send(new DatagramPacket(ping, ping.length, to));
                DatagramPacket in = new DatagramPacket(new byte[2048], 2048);
                s.receive(in);
                byte[] plain = cipher.open(in.getData(), 0, in.getLength()).orElseThrow();
                assertEquals(new Message.Pong(), WireCodec.decode(plain, 0, plain.length), "ping " + i);
            }
        }
        String json = status(control, true);
        assertTrue(json.contains("\"wireguard_read_seconds\":"), json);
        assertFalse(exit.isDone(), "the agent is still running");
    }

    static String status(Path control, boolean json) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ControlClient.status(control, json, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(new ByteArrayOutputStream()));
        return out.toString(StandardCharsets.UTF_8);
    }
}
