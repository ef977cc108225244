package dev.automesh.control;

import static org.junit.jupiter.api.Assertions.*;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Slow, silent or malformed /metrics clients get an error or a deadline, never the whole server. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class StuckMetricsClientsTest {
    @TempDir
    Path dir;

    static final Supplier<CompletableFuture<StatusReport>> DOWN =
            () -> CompletableFuture.completedFuture(ControlSocketTest.report(false));
    static final InetSocketAddress ANY = new InetSocketAddress("127.0.0.1", 0);
    /** Deadlines long enough that no slow client is cut off by time while a test looks at it. */
    static final MetricsServer.Limits PATIENT = new MetricsServer.Limits(Duration.ofSeconds(60), Duration.ofSeconds(60),
            MetricsServer.MAX_CONNECTIONS, 4096, 8192);

    static Socket connect(MetricsServer m) throws IOException {
        Socket s = new Socket("127.0.0.1", m.address().getPort());
        s.setSoTimeout(30_000); // a guard against a hang, not a timing assertion
        return s;
    }

    /** Sends {@code request} from another thread (the server may answer before it is all sent) and reads the answer. */
    static String exchange(MetricsServer m, byte[] request) throws Exception {
        try (Socket s = connect(m)) {
            Thread writer = new Thread(() -> {
                try {
                    OutputStream o = s.getOutputStream();
                    o.write(request);
                    o.flush();
                } catch (IOException e) {
                    // the server answered and stopped reading: expected for refused requests
                }
            });
            writer.start();
            ByteArrayOutputStream got = new ByteArrayOutputStream();
            InputStream in = s.getInputStream();
            byte[] b = new byte[8192];
            int n;
            while ((n = in.read(b)) >= 0) {
                got.write(b, 0, n);
                String text = got.toString(StandardCharsets.ISO_8859_1);
                int head = text.indexOf("\r\n\r\n");
                if (head >= 0) {
                    int len = contentLength(text.substring(0, head));
                    if (got.size() >= head + 4 + len) break;
                }
            }
            writer.join();
            return got.toString(StandardCharsets.UTF_8);
        }
    }

    static int contentLength(String head) {
        for (String line : head.split("\r\n")) {
            if (line.toLowerCase().startsWith("content-length:")) return Integer.parseInt(line.substring(15).strip());
        }
        return 0;
    }

    static String request(String text) {
        return text.replace("\n", "\r\n");
    }

    static String scrape(MetricsServer m) throws Exception {
        return exchange(m, request("GET /metrics HTTP/1.1\nHost: x\nConnection: close\n\n").getBytes(StandardCharsets.US_ASCII));
    }

    static int status(String response) {
        assertTrue(response.startsWith("HTTP/1.1 "), response);
        return Integer.parseInt(response.substring(9, 12));
    }

    @Test
    void aSlowlorisClientDoesNotStopScrapes() throws Exception {
        try (MetricsServer m = MetricsServer.start(null, ANY, DOWN, PATIENT); Socket slow = connect(m)) {
            OutputStream o = slow.getOutputStream();
            o.write(request("GET /metrics HTTP/1.1\nHost: x\nX-Slow: ").getBytes(StandardCharsets.US_ASCII));
            o.flush();
            AtomicBoolean stop = new AtomicBoolean();
            Thread drip = new Thread(() -> {
                try {
                    while (!stop.get()) {
                        o.write('a');
                        o.flush();
                        Thread.sleep(50);
                    }
                } catch (IOException | InterruptedException e) {
                    // the test ends it
                }
            });
            drip.start();
            try {
                for (int i = 0; i < 10; i++) {
                    String r = scrape(m);
                    assertEquals(200, status(r), r);
                    assertTrue(r.contains("automesh_gossip_dropped_undecryptable_total 7"), r);
                }
                // ...and the slowloris client is still connected, mid-request: it was not needed to cut it off.
                slow.setSoTimeout(100);
                assertThrows(SocketTimeoutException.class, () -> slow.getInputStream().read());
            } finally {
                stop.set(true);
                drip.join();
            }
        }
    }

    @Test
    void aSlowRequestIsCutOffAtItsDeadline() throws Exception {
        var limits = new MetricsServer.Limits(Duration.ofMillis(300), Duration.ofSeconds(5), 4, 4096, 8192);
        try (MetricsServer m = MetricsServer.start(null, ANY, DOWN, limits); Socket slow = connect(m)) {
            slow.getOutputStream().write(request("GET /metrics HTTP/1.1\nHost: x\n").getBytes(StandardCharsets.US_ASCII));
            assertEquals(-1, slow.getInputStream().read(), "the server closes a request that never completes");
        }
    }

    @Test
    void moreIdleClientsThanSlotsAndScrapesStillSucceed() throws Exception {
        List<Socket> idle = new ArrayList<>();
        try (MetricsServer m = MetricsServer.start(null, ANY, DOWN, PATIENT)) {
            for (int i = 0; i < MetricsServer.MAX_CONNECTIONS + 4; i++) idle.add(connect(m));
            for (int i = 0; i < 5; i++) assertEquals(200, status(scrape(m)));
        } finally {
            for (Socket s : idle) s.close();
        }
    }

    @Test
    void badRequestsGetTheirErrorStatus() throws Exception {
        try (MetricsServer m = MetricsServer.start(ANY, DOWN)) {
            String post = exchange(m, request("POST /metrics HTTP/1.1\nHost: x\nContent-Length: 5\n\nhello").getBytes(StandardCharsets.US_ASCII));
            assertEquals(405, status(post), post);
            assertTrue(post.contains("allow: GET") || post.contains("Allow: GET"), post);
            String future = exchange(m, request("GET /metrics HTTP/9.9\nHost: x\n\n").getBytes(StandardCharsets.US_ASCII));
            assertEquals(505, status(future), future);
            StringBuilder many = new StringBuilder("GET /metrics HTTP/1.1\r\nHost: x\r\n");
            for (int i = 0; i < 10_000; i++) many.append("X-H").append(i).append(": v\r\n");
            many.append("\r\n");
            String headers = exchange(m, many.toString().getBytes(StandardCharsets.US_ASCII));
            assertEquals(431, status(headers), headers);
            String other = exchange(m, request("GET /other HTTP/1.1\nHost: x\nConnection: close\n\n").getBytes(StandardCharsets.US_ASCII));
            assertEquals(404, status(other), other);
            String longLine = exchange(m, ("GET /" + "m".repeat(10_000) + " HTTP/1.1\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            assertEquals(414, status(longLine), longLine);
            String garbage = exchange(m, "\u0001\u0002 nonsense\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            assertEquals(400, status(garbage), garbage);
            String old = exchange(m, request("GET /metrics HTTP/1.0\n\n").getBytes(StandardCharsets.US_ASCII));
            assertEquals(200, status(old), old);
        }
    }

    @Test
    void keepAliveAndPipelinedScrapesAreAnsweredInOrder() throws Exception {
        try (MetricsServer m = MetricsServer.start(ANY, DOWN); Socket s = connect(m)) {
            String two = request("GET /metrics HTTP/1.1\nHost: x\n\nGET /nope HTTP/1.1\nHost: x\n\n");
            s.getOutputStream().write(two.getBytes(StandardCharsets.US_ASCII));
            InputStream in = s.getInputStream();
            String first = readResponse(in);
            assertEquals(200, status(first), first);
            String second = readResponse(in);
            assertEquals(404, status(second), second);
            // the connection stays open for the next scrape
            s.getOutputStream().write(request("GET /metrics HTTP/1.1\nHost: x\n\n").getBytes(StandardCharsets.US_ASCII));
            assertEquals(200, status(readResponse(in)));
        }
    }

    @Test
    void aReportThatNeverCompletesIsA503AndHoldsNoThread() throws Exception {
        var limits = new MetricsServer.Limits(Duration.ofSeconds(5), Duration.ofMillis(200), 4, 4096, 8192);
        try (MetricsServer m = MetricsServer.start(null, ANY, CompletableFuture::new, limits)) {
            assertEquals(503, status(scrape(m)));
        }
    }

    @Test
    void bothServersShareOneThread() throws Exception {
        long before = controlThreads();
        try (ControlLoop loop = new ControlLoop();
                ControlServer c = ControlServer.start(loop, dir.resolve("s.sock"), DOWN);
                MetricsServer m = MetricsServer.start(loop, ANY, DOWN)) {
            assertEquals(1, StuckControlClientsTest.status(c.path()));
            assertEquals(200, status(scrape(m)));
            assertEquals(before + 1, controlThreads(), "one I/O thread serves both");
        }
    }

    private static long controlThreads() {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.isAlive() && t.getName().startsWith("automesh-control")).count();
    }

    private static String readResponse(InputStream in) throws IOException {
        ByteArrayOutputStream got = new ByteArrayOutputStream();
        int b;
        while (!got.toString(StandardCharsets.ISO_8859_1).endsWith("\r\n\r\n")) {
            if ((b = in.read()) < 0) throw new SocketException("closed mid-response: " + got);
            got.write(b);
        }
        int len = contentLength(got.toString(StandardCharsets.ISO_8859_1));
        got.write(in.readNBytes(len));
        return got.toString(StandardCharsets.UTF_8);
    }
}
