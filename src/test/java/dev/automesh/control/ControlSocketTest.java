package dev.automesh.control;

import static org.junit.jupiter.api.Assertions.*;

import dev.automesh.testsupport.Facility;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ControlSocketTest {
    @TempDir
    Path dir;

    static StatusReport report(boolean allConnected) {
        var b = new StatusReport.Peer("b", "B".repeat(43) + "=", "10.99.0.4", allConnected ? "connected" : "probing",
                allConnected ? Optional.of("198.51.100.2:51820") : Optional.empty(),
                allConnected ? Optional.of("gossip from pub") : Optional.empty(),
                allConnected ? Optional.of(3L) : Optional.empty(),
                List.of(new StatusReport.Candidate("198.51.100.2:51820", "gossip from pub", Optional.of(2L))), 1234, 5678);
        var pub = new StatusReport.Peer("pub \"x\"", "P".repeat(43) + "=", "10.99.0.1", "connected",
                Optional.of("198.51.100.10:51820"), Optional.of("config"), Optional.of(1L), List.of(), 10, 20);
        return new StatusReport("wg0", "userspace", "A".repeat(43) + "=", 51820, 1666, "off",
                new StatusReport.Counters(5, 6, 7, 8, 0, 1, 2, 3, 4, 9), List.of(pub, b));
    }

    private record Run(int exit, String out, String err) {}

    private static Run status(Path socket, boolean json) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int rc = ControlClient.status(socket, json, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Run(rc, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    @Test
    void exitStatusFollowsConnectivityAndTextNamesEveryPeer() throws Exception {
        AtomicReference<StatusReport> current = new AtomicReference<>(report(true));
        Path sock = dir.resolve("run/automesh.sock");
        try (ControlServer s = ControlServer.start(sock, () -> CompletableFuture.completedFuture(current.get()))) {
            Run up = status(sock, false);
            assertEquals(0, up.exit(), up.err());
            assertTrue(up.out().contains("peers: 2 of 2 connected"), up.out());
            assertTrue(up.out().contains("198.51.100.2:51820") && up.out().contains("gossip from pub"), up.out());
            assertTrue(up.out().contains("gossip ignored: 1 bad keys, 2 bad endpoints, 3 future timestamps"), up.out());
            current.set(report(false));
            Run down = status(sock, false);
            assertEquals(1, down.exit());
            assertTrue(down.out().contains("probing") && down.out().contains("candidate 198.51.100.2:51820"), down.out());
        }
        assertFalse(Files.exists(sock), "socket file left behind after close");
    }

    @Test
    void silentClientsDoNotBlockStatus() throws Exception {
        Path sock = dir.resolve("automesh.sock");
        List<java.nio.channels.SocketChannel> idle = new java.util.ArrayList<>();
        try (ControlServer s = ControlServer.start(sock, () -> CompletableFuture.completedFuture(report(true)))) {
            // More silent clients than workers: they connect and never send their line.
            for (int i = 0; i < 8; i++) idle.add(java.nio.channels.SocketChannel.open(java.net.UnixDomainSocketAddress.of(sock)));
            Thread.sleep(200);
            long t0 = System.nanoTime();
            Run r;
            do {
                r = status(sock, false);
            } while (r.exit() != 0 && System.nanoTime() - t0 < (ControlServer.CLIENT_TIMEOUT_SECONDS + 5) * 1_000_000_000L);
            assertEquals(0, r.exit(), "status answered despite silent clients: " + r.err());
        } finally {
            for (var c : idle) c.close();
        }
    }

    @Test
    void aFileThatIsNotASocketIsNeverDeleted() throws Exception {
        Path notASocket = dir.resolve("config.toml");
        Files.writeString(notASocket, "interface = \"wg0\"\n");
        var e = assertThrows(java.io.IOException.class,
                () -> ControlServer.start(notASocket, () -> CompletableFuture.completedFuture(report(true))));
        assertTrue(e.getMessage().contains("is not a socket"), e.getMessage());
        assertEquals("interface = \"wg0\"\n", Files.readString(notASocket));
    }

    @Test
    void socketIsGroupReadableOnly() throws Exception {
        Path sock = dir.resolve("automesh.sock");
        try (ControlServer s = ControlServer.start(sock, () -> CompletableFuture.completedFuture(report(true)))) {
            assertEquals("rw-rw----", PosixFilePermissions.toString(Files.getPosixFilePermissions(sock)));
        }
    }

    @Test
    void noAgentIsAClearErrorNotAStackTrace() throws Exception {
        Run missing = status(dir.resolve("none.sock"), false);
        assertEquals(ControlClient.NO_AGENT, missing.exit());
        assertTrue(missing.err().startsWith("automesh: no agent is running: no control socket at "), missing.err());
        assertEquals(1, missing.err().strip().lines().count());
        // A stale socket file whose agent died: still a clear error, and a new agent can take it over.
        Path sock = dir.resolve("stale.sock");
        // An agent killed with SIGKILL leaves its socket file behind: bind one and close it without unlinking.
        try (var raw = java.nio.channels.ServerSocketChannel.open(java.net.StandardProtocolFamily.UNIX)) {
            raw.bind(java.net.UnixDomainSocketAddress.of(sock));
        }
        assertTrue(Files.exists(sock));
        Run stale = status(sock, false);
        assertEquals(ControlClient.NO_AGENT, stale.exit());
        assertTrue(stale.err().contains("no agent answers"), stale.err());
        try (ControlServer again = ControlServer.start(sock, () -> CompletableFuture.completedFuture(report(true)))) {
            assertEquals(0, status(sock, false).exit());
            // ...but a live one is never taken over.
            var e = assertThrows(java.io.IOException.class,
                    () -> ControlServer.start(sock, () -> CompletableFuture.completedFuture(report(true))));
            assertTrue(e.getMessage().contains("another automesh agent already serves"), e.getMessage());
        }
    }

    @Test
    void jsonIsValidAndFollowsTheSchema() throws Exception {
        Facility.requireCommands("python3");
        Path sock = dir.resolve("j.sock");
        try (ControlServer s = ControlServer.start(sock, () -> CompletableFuture.completedFuture(report(false)))) {
            Run r = status(sock, true);
            assertEquals(1, r.exit());
            Path f = dir.resolve("status.json");
            Files.writeString(f, r.out());
            // An independent parser checks the document and the schema's required fields and types.
            String py = String.join("\n",
                    "import json,sys",
                    "d=json.load(open(sys.argv[1]))",
                    "assert d['schema']=='automesh-status/1'",
                    "assert d['all_connected'] is False",
                    "for k in ['datagrams_in','datagrams_out','dropped_undecryptable','dropped_undecodable','send_errors',",
                    "          'ignored_bad_pubkeys','ignored_bad_endpoints','ignored_future_timestamps','ignored_unknown_peers',",
                    "          'ignored_foreign_broadcasts']:",
                    "    assert isinstance(d['counters'][k],int), k",
                    "p={x['name']:x for x in d['peers']}",
                    "assert p['pub \"x\"']['connected'] is True and p['pub \"x\"']['endpoint_source']=='config'",
                    "assert p['b']['endpoint'] is None and p['b']['handshake_seconds_ago'] is None",
                    "assert p['b']['candidates'][0]=={'endpoint':'198.51.100.2:51820','source':'gossip from pub','tried_seconds_ago':2}",
                    "print('ok')");
            Process p = new ProcessBuilder("python3", "-c", py, f.toString()).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertEquals(0, p.waitFor(), out + "\n" + r.out());
        }
    }

    @Test
    void metricsAreScrapedOverHttp() throws Exception {
        try (MetricsServer m = MetricsServer.start(new InetSocketAddress("127.0.0.1", 0),
                () -> CompletableFuture.completedFuture(report(false)))) {
            HttpResponse<String> resp = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + m.address().getPort() + "/metrics")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(200, resp.statusCode());
            String body = resp.body();
            assertTrue(body.contains("automesh_peer_connected{peer=\"b\",public_key=\"" + "B".repeat(43) + "=\",address=\"10.99.0.4\"} 0"), body);
            assertTrue(body.contains("automesh_peer_connected{peer=\"pub \\\"x\\\"\""), body);
            assertTrue(body.contains("automesh_gossip_dropped_undecryptable_total 7"), body);
            assertTrue(body.contains("automesh_gossip_ignored_total{reason=\"future_timestamp\"} 3"), body);
            assertFalse(body.contains("automesh_peer_handshake_age_seconds{peer=\"b\""), "b never had a handshake");
            // Every sample line is "name{labels} value" or "name value".
            for (String line : body.split("\n")) {
                if (line.startsWith("#")) continue;
                assertTrue(line.matches("[a-z_]+(\\{.*\\})? -?\\d+"), line);
            }
        }
    }
}
