package dev.automesh.control;

import static org.junit.jupiter.api.Assertions.*;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Clients that connect and say nothing, or reconnect in a loop, must not lock `automesh status` out. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class StuckControlClientsTest {
    @TempDir
    Path dir;

    /** Deadlines long enough that no silent client is cut off by time while a test looks at it. */
    static final ControlServer.Limits PATIENT = new ControlServer.Limits(Duration.ofSeconds(60), Duration.ofSeconds(60),
            Duration.ofSeconds(120), ControlServer.MAX_CONNECTIONS);

    static final Supplier<CompletableFuture<StatusReport>> UP =
            () -> CompletableFuture.completedFuture(ControlSocketTest.report(true));

    static int status(Path socket) {
        ByteArrayOutputStream sink = new ByteArrayOutputStream();
        PrintStream p = new PrintStream(sink, true, StandardCharsets.UTF_8);
        return ControlClient.status(socket, false, p, p);
    }

    static SocketChannel connect(Path sock) throws IOException {
        return SocketChannel.open(UnixDomainSocketAddress.of(sock));
    }

    /** Non-blocking look: 0 while the server keeps the connection, -1 once it closed it. */
    static int peek(SocketChannel c) throws IOException {
        c.configureBlocking(false);
        return c.read(ByteBuffer.allocate(64));
    }

    static String exchange(Path sock, String request, boolean halfClose) throws IOException {
        try (SocketChannel c = connect(sock)) {
            c.write(ByteBuffer.wrap(request.getBytes(StandardCharsets.UTF_8)));
            if (halfClose) c.shutdownOutput();
            ByteArrayOutputStream got = new ByteArrayOutputStream();
            ByteBuffer b = ByteBuffer.allocate(4096);
            while (c.read(b) >= 0) {
                got.write(b.array(), 0, b.position());
                b.clear();
            }
            return got.toString(StandardCharsets.UTF_8);
        }
    }

    @Test
    void sixIdleClientsReconnectingInALoopDoNotStarveStatus() throws Exception {
        Path sock = dir.resolve("a.sock");
        AtomicBoolean stop = new AtomicBoolean();
        AtomicInteger connects = new AtomicInteger();
        List<Thread> attackers = new ArrayList<>();
        try (ControlServer s = ControlServer.start(null, sock, UP, ControlServer.Limits.DEFAULT)) {
            for (int i = 0; i < 6; i++) {
                Thread t = new Thread(() -> {
                    while (!stop.get()) {
                        try (SocketChannel c = connect(sock)) {
                            connects.incrementAndGet();
                            Thread.sleep(20); // connected, silent
                        } catch (IOException e) {
                            // refused or dropped for a newer client: reconnect
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                            return;
                        }
                    }
                }, "idle-reconnector-" + i);
                t.start();
                attackers.add(t);
            }
            while (connects.get() < 12) Thread.sleep(5);
            int answered = 0;
            for (int i = 0; i < 28; i++) {
                // Each request only after the idle clients reconnected again: the attack goes on throughout.
                int seen = connects.get();
                long until = System.nanoTime() + 5_000_000_000L;
                while (connects.get() == seen && System.nanoTime() < until) Thread.sleep(1);
                assertTrue(connects.get() > seen, "the idle clients kept reconnecting (request " + i + ")");
                if (status(sock) == 0) answered++;
            }
            assertEquals(28, answered, "status requests answered while 6 idle clients reconnect");
        } finally {
            stop.set(true);
            for (Thread t : attackers) t.join();
        }
    }

    @Test
    void fourSilentClientsAndStatusIsAnsweredWhileTheyAreStillConnected() throws Exception {
        Path sock = dir.resolve("b.sock");
        List<SocketChannel> silent = new ArrayList<>();
        try (ControlServer s = ControlServer.start(null, sock, UP, PATIENT)) {
            for (int i = 0; i < 4; i++) silent.add(connect(sock));
            assertEquals(0, status(sock));
            for (SocketChannel c : silent) assertEquals(0, peek(c), "a silent client was dropped although slots were free");
        } finally {
            for (SocketChannel c : silent) c.close();
        }
    }

    @Test
    void whenSlotsRunOutTheOldestIdleClientsAreDroppedFirst() throws Exception {
        Path sock = dir.resolve("c.sock");
        var limits = new ControlServer.Limits(Duration.ofSeconds(60), Duration.ofSeconds(60), Duration.ofSeconds(120), 4);
        List<SocketChannel> silent = new ArrayList<>();
        try (ControlServer s = ControlServer.start(null, sock, UP, limits)) {
            for (int i = 0; i < 6; i++) silent.add(connect(sock));
            // 6 silent clients for 4 slots, then the status request takes a slot too: the 3 oldest go.
            assertEquals(0, status(sock));
            for (int i = 0; i < 6; i++) {
                assertEquals(i < 3 ? -1 : 0, peek(silent.get(i)), "silent client " + i);
            }
        } finally {
            for (SocketChannel c : silent) c.close();
        }
    }

    @Test
    void aSilentClientIsCutOffAtItsDeadline() throws Exception {
        Path sock = dir.resolve("d.sock");
        var limits = new ControlServer.Limits(Duration.ofMillis(200), Duration.ofSeconds(5), Duration.ofSeconds(15), 4);
        try (ControlServer s = ControlServer.start(null, sock, UP, limits); SocketChannel c = connect(sock)) {
            assertEquals(-1, c.read(ByteBuffer.allocate(16)), "server closes a client that never sends its line");
        }
    }

    @Test
    void anOversizedRequestIsRefusedAndALineWithoutNewlineStillServed() throws Exception {
        Path sock = dir.resolve("e.sock");
        try (ControlServer s = ControlServer.start(sock, UP)) {
            String tooLong = exchange(sock, "x".repeat(10_000), false);
            assertTrue(tooLong.startsWith("exit 2\nrequest longer than " + ControlServer.MAX_REQUEST), tooLong);
            String halfClosed = exchange(sock, "status json", true);
            assertTrue(halfClosed.startsWith("exit 0\n{"), halfClosed);
            String unknown = exchange(sock, "reboot\n", false);
            assertTrue(unknown.startsWith("exit 2\nunknown request \"reboot\""), unknown);
        }
    }

    @Test
    void aReportThatNeverCompletesHoldsNoThread() throws Exception {
        Path sock = dir.resolve("f.sock");
        CompletableFuture<StatusReport> stuck = new CompletableFuture<>();
        AtomicInteger calls = new AtomicInteger();
        Supplier<CompletableFuture<StatusReport>> source = () -> calls.getAndIncrement() == 0
                ? stuck : CompletableFuture.completedFuture(ControlSocketTest.report(true));
        try (ControlServer s = ControlServer.start(null, sock, source, PATIENT); SocketChannel first = connect(sock)) {
            first.write(ByteBuffer.wrap("status text\n".getBytes(StandardCharsets.UTF_8)));
            while (calls.get() == 0) Thread.sleep(5);
            assertEquals(0, status(sock), "answered while an earlier request still waits for its report");
            assertEquals(0, peek(first), "the first request is still waiting, not dropped");
            stuck.complete(ControlSocketTest.report(false));
            first.configureBlocking(true);
            ByteBuffer b = ByteBuffer.allocate(8);
            while (b.hasRemaining() && first.read(b) >= 0) { /* read "exit 1\n" */ }
            assertEquals("exit 1\n", new String(b.array(), 0, b.position(), StandardCharsets.UTF_8).substring(0, 7));
        }
    }

    @Test
    void aLateReportIsAClearErrorNotAHang() throws Exception {
        Path sock = dir.resolve("g.sock");
        var limits = new ControlServer.Limits(Duration.ofSeconds(5), Duration.ofMillis(200), Duration.ofSeconds(15), 4);
        try (ControlServer s = ControlServer.start(null, sock, CompletableFuture::new, limits)) {
            String late = exchange(sock, "status text\n", false);
            assertTrue(late.startsWith("exit " + ControlClient.NO_AGENT + "\nthe agent did not build its status"), late);
        }
    }
}
