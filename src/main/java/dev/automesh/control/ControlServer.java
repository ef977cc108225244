package dev.automesh.control;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.RejectedExecutionException;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The agent's local control socket (unix, mode 0660). One request line per connection — "status text"
 * or "status json" — answered with "exit N\n" and the rendered report. Runs on its own threads; the
 * report itself is built on the mesh thread through {@code source}.
 */
public final class ControlServer implements AutoCloseable {
    /** A request line must arrive, and the answer be taken, within this time. */
    static final long CLIENT_TIMEOUT_SECONDS = 10;
    private final ScheduledExecutorService timeouts = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "automesh-control-timeout");
        t.setDaemon(true);
        return t;
    });
    private static final Logger log = LoggerFactory.getLogger(ControlServer.class);
    private static final int MAX_REQUEST = 256;

    private final Path path;
    private final ServerSocketChannel server;
    private final Supplier<CompletableFuture<StatusReport>> source;
    private final ExecutorService workers;
    private final Thread acceptor;

    private ControlServer(Path path, ServerSocketChannel server, Supplier<CompletableFuture<StatusReport>> source) {
        this.path = path;
        this.server = server;
        this.source = source;
        // A few local clients at once at most; a client that never sends its line cannot hold the acceptor.
        this.workers = new ThreadPoolExecutor(0, 4, 30, TimeUnit.SECONDS, new SynchronousQueue<>(), r -> {
            Thread t = new Thread(r, "automesh-control-conn");
            t.setDaemon(true);
            return t;
        }, new ThreadPoolExecutor.AbortPolicy());
        this.acceptor = new Thread(this::acceptLoop, "automesh-control");
        this.acceptor.setDaemon(true);
    }

    /**
     * Binds the socket. A stale socket file (no agent answering) is replaced; a live one means another
     * agent runs with the same control_socket, which is an error.
     */
    public static ControlServer start(Path path, Supplier<CompletableFuture<StatusReport>> source) throws IOException {
        Path dir = path.toAbsolutePath().getParent();
        if (dir != null) Files.createDirectories(dir);
        if (Files.exists(path, LinkOption.NOFOLLOW_LINKS)) {
            if (!isSocket(path)) {
                // A mistyped control_socket (the config file, say) must not be deleted as "stale".
                throw new IOException(path + " exists and is not a socket; remove it or set another control_socket");
            }
            try (SocketChannel probe = SocketChannel.open(UnixDomainSocketAddress.of(path))) {
                throw new IOException("another automesh agent already serves " + path
                        + " (set a different control_socket for a second agent)");
            } catch (IOException refused) {
                if (refused.getMessage() != null && refused.getMessage().startsWith("another automesh")) throw refused;
                Files.deleteIfExists(path); // stale: its agent is gone
            }
        }
        ServerSocketChannel ch = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        try {
            ch.bind(UnixDomainSocketAddress.of(path));
            Files.setPosixFilePermissions(path, PosixFilePermissions.fromString("rw-rw----"));
        } catch (IOException e) {
            ch.close();
            throw new IOException("cannot create control socket " + path + ": " + e.getMessage(), e);
        }
        ControlServer s = new ControlServer(path, ch, source);
        s.acceptor.start();
        return s;
    }

    public Path path() {
        return path;
    }

    private void acceptLoop() {
        while (server.isOpen()) {
            try {
                SocketChannel c = server.accept();
                try {
                    workers.execute(() -> serve(c));
                } catch (RejectedExecutionException busy) {
                    c.close(); // all workers busy: the client sees EOF at once instead of hanging
                }
            } catch (ClosedChannelException e) {
                return;
            } catch (IOException e) {
                log.debug("control socket accept failed: {}", e.getMessage());
            }
        }
    }

    private void serve(SocketChannel c) {
        // A client that connects and never sends its line must not keep a worker: close it after a while.
        ScheduledFuture<?> deadline = timeouts.schedule(() -> {
            try {
                c.close();
            } catch (IOException ignored) {
                // closing is all we wanted
            }
        }, CLIENT_TIMEOUT_SECONDS, TimeUnit.SECONDS);
        try (c) {
            String request = readLine(c);
            String response;
            if (request.equals("status json") || request.equals("status text") || request.equals("status")) {
                StatusReport r = source.get().get(5, TimeUnit.SECONDS);
                String body = request.equals("status json") ? StatusFormat.json(r) : StatusFormat.text(r);
                response = "exit " + r.exitStatus() + "\n" + body;
            } else {
                response = "exit 2\nunknown request \"" + request + "\" (expected: status text | status json)\n";
            }
            ByteBuffer out = ByteBuffer.wrap(response.getBytes(StandardCharsets.UTF_8));
            while (out.hasRemaining()) c.write(out);
        } catch (Exception e) {
            log.debug("control request failed: {}", e.toString());
        } finally {
            deadline.cancel(false);
        }
    }

    private static boolean isSocket(Path p) {
        try {
            return ((Integer) Files.getAttribute(p, "unix:mode", LinkOption.NOFOLLOW_LINKS) & 0170000) == 0140000;
        } catch (IOException | UnsupportedOperationException | IllegalArgumentException e) {
            return !Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS) && !Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS);
        }
    }

    private static String readLine(SocketChannel c) throws IOException {
        ByteBuffer buf = ByteBuffer.allocate(MAX_REQUEST);
        while (buf.hasRemaining()) {
            if (c.read(buf) < 0) break;
            byte[] a = buf.array();
            for (int i = 0; i < buf.position(); i++) {
                if (a[i] == '\n') return new String(a, 0, i, StandardCharsets.UTF_8).strip();
            }
        }
        return new String(buf.array(), 0, buf.position(), StandardCharsets.UTF_8).strip();
    }

    @Override
    public void close() {
        try {
            server.close();
        } catch (IOException ignored) {
            // closing anyway
        }
        workers.shutdownNow();
        timeouts.shutdownNow();
        try {
            Files.deleteIfExists(path);
        } catch (IOException ignored) {
            // a stale file is replaced at the next start
        }
    }
}
