package dev.automesh.control;

import io.netty.channel.nio.NioEventLoop;
import io.netty.channel.nio.NioTask;
import java.io.IOException;
import java.net.ConnectException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SelectionKey;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The agent's local control socket (unix, mode 0660). One request line per connection — "status text"
 * or "status json" — answered with "exit N\n" and the rendered report. Served non-blocking on the
 * {@link ControlLoop} with a bounded number of connections, the oldest idle dropped first. The report
 * itself is built on the mesh thread through {@code source}, and waiting for it holds neither thread.
 */
public final class ControlServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ControlServer.class);
    /** A request line must arrive within this time. */
    static final long CLIENT_TIMEOUT_SECONDS = 3;
    static final int MAX_REQUEST = 256;
    static final int MAX_CONNECTIONS = 16;

    /** Deadlines and bounds of one server; tests shorten or lengthen them. */
    record Limits(Duration request, Duration report, Duration lifetime, int maxConnections) {
        static final Limits DEFAULT = new Limits(Duration.ofSeconds(CLIENT_TIMEOUT_SECONDS), Duration.ofSeconds(5),
                Duration.ofSeconds(15), MAX_CONNECTIONS);
    }

    private final Path path;
    private final ServerSocketChannel server;
    private final NioEventLoop loop;
    private final ConnectionSlots<ControlConnection> slots;
    private final ControlLoop ownLoop;

    private ControlServer(Path path, ServerSocketChannel server, NioEventLoop loop, ConnectionSlots<ControlConnection> slots,
            ControlLoop ownLoop) {
        this.path = path;
        this.server = server;
        this.loop = loop;
        this.slots = slots;
        this.ownLoop = ownLoop;
    }

    /** Serves on a loop of its own, closed with the server. */
    public static ControlServer start(Path path, Supplier<CompletableFuture<StatusReport>> source) throws IOException {
        return start(null, path, source, Limits.DEFAULT);
    }

    /** Serves on {@code loop}, which the caller owns and may share with a {@link MetricsServer}. */
    public static ControlServer start(ControlLoop loop, Path path, Supplier<CompletableFuture<StatusReport>> source)
            throws IOException {
        return start(loop, path, source, Limits.DEFAULT);
    }

    /**
     * Binds the socket. A stale socket file (no agent answering) is replaced; a live one means another
     * agent runs with the same control_socket, which is an error.
     */
    static ControlServer start(ControlLoop shared, Path path, Supplier<CompletableFuture<StatusReport>> source,
            Limits limits) throws IOException {
        Path dir = path.toAbsolutePath().getParent();
        if (dir != null) Files.createDirectories(dir);
        if (Files.exists(path, LinkOption.NOFOLLOW_LINKS)) takeOver(path);
        ServerSocketChannel ch = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        boolean bound = false;
        try {
            ch.bind(UnixDomainSocketAddress.of(path));
            bound = true;
            Files.setPosixFilePermissions(path, PosixFilePermissions.fromString("rw-rw----"));
            ch.configureBlocking(false);
        } catch (IOException | UnsupportedOperationException e) {
            ch.close();
            if (bound) Files.deleteIfExists(path); // ours, half set up
            throw new IOException("cannot create control socket " + path + ": " + e.getMessage(), e);
        }
        ControlLoop owner = shared != null ? shared : new ControlLoop();
        NioEventLoop loop = owner.loop();
        ConnectionSlots<ControlConnection> slots = new ConnectionSlots<>(limits.maxConnections(), ControlConnection::close);
        loop.register(ch, SelectionKey.OP_ACCEPT, new NioTask<ServerSocketChannel>() {
            @Override
            public void channelReady(ServerSocketChannel server, SelectionKey key) throws IOException {
                while (true) {
                    SocketChannel c;
                    try {
                        c = server.accept();
                    } catch (IOException e) {
                        // Out of file descriptors, say: this client is lost, the server stays.
                        log.debug("control socket accept failed: {}", e.toString());
                        return;
                    }
                    if (c == null) return;
                    ControlConnection conn = new ControlConnection(loop, c, slots, source, limits);
                    try {
                        c.configureBlocking(false);
                        if (slots.admit(conn)) loop.register(c, SelectionKey.OP_READ, conn);
                    } catch (IOException | RuntimeException e) {
                        log.debug("control connection not registered: {}", e.toString());
                        conn.close();
                    }
                }
            }

            @Override
            public void channelUnregistered(ServerSocketChannel server, Throwable cause) throws IOException {
                server.close();
            }
        });
        return new ControlServer(path, ch, loop, slots, shared == null ? owner : null);
    }

    /** The path exists: replace it only if it is a socket that nobody serves. */
    private static void takeOver(Path path) throws IOException {
        if (!isSocket(path)) {
            // A mistyped control_socket (the config file, say) must not be deleted as "stale".
            throw new IOException(path + " exists and is not a socket; remove it or set another control_socket");
        }
        if (answers(path)) {
            throw new IOException("another automesh agent already serves " + path
                    + " (set a different control_socket for a second agent)");
        }
        Files.deleteIfExists(path); // stale: its agent is gone
    }

    private static boolean answers(Path path) throws IOException {
        try (SocketChannel probe = SocketChannel.open(UnixDomainSocketAddress.of(path))) {
            return true;
        } catch (ConnectException refused) {
            return false;
        } catch (IOException e) {
            if (!Files.exists(path, LinkOption.NOFOLLOW_LINKS)) return false; // removed meanwhile
            throw new IOException("cannot tell whether an agent serves " + path + ": " + e.getMessage()
                    + " (check its permissions, or set another control_socket)", e);
        }
    }

    private static boolean isSocket(Path p) {
        try {
            return ((Integer) Files.getAttribute(p, "unix:mode", LinkOption.NOFOLLOW_LINKS) & 0170000) == 0140000;
        } catch (IOException | UnsupportedOperationException | IllegalArgumentException e) {
            return !Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS) && !Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS);
        }
    }

    public Path path() {
        return path;
    }

    @Override
    public void close() {
        Runnable stop = () -> {
            try {
                server.close();
            } catch (IOException ignored) {
                // closing anyway
            }
            slots.dropAll();
        };
        try {
            loop.submit(stop).awaitUninterruptibly();
        } catch (RejectedExecutionException loopGone) {
            stop.run(); // the loop is shut down already: nothing else touches the connections
        }
        if (ownLoop != null) ownLoop.close();
        try {
            Files.deleteIfExists(path);
        } catch (IOException ignored) {
            // a stale file is replaced at the next start
        }
    }
}
