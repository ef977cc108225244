package dev.automesh.wg;

import dev.automesh.wg.WireGuardException.Reason;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

/**
 * wireguard-go / boringtun over the cross-platform UAPI unix socket. One connection is kept open and
 * reused for every request; when the daemon restarted (our connection was closed without a reply),
 * the request is sent once more on a fresh connection. Every wait is bounded: a daemon that stops
 * answering for {@link #DEFAULT_TIMEOUT_MILLIS} fails the call with an IO error instead of blocking
 * the mesh thread. Not thread-safe (see {@link WireGuard}).
 */
public final class UserspaceWireGuard implements WireGuard {
    public static final long DEFAULT_TIMEOUT_MILLIS = 5_000;
    private static final int CHUNK = 64 * 1024;

    private final String iface;
    private final Path socket;
    private final long timeoutMillis;
    private final Uapi.PublicKeyCache keys = new Uapi.PublicKeyCache();
    private final ByteBuffer readBuf = ByteBuffer.allocateDirect(CHUNK);
    /**
     * Where a reply is collected, kept from one read to the next: a 1000-peer reply is ~220 KB, and
     * growing a fresh 64 KB buffer to that every second allocated twice as much again.
     */
    private byte[] acc = new byte[CHUNK];
    private SocketChannel channel;
    private Selector selector;
    private int connects;

    /** Default socket path of an interface. */
    public static Path defaultSocket(String iface) {
        return Path.of("/var/run/wireguard", iface + ".sock");
    }

    UserspaceWireGuard(String iface, Path socket, long timeoutMillis) {
        this.iface = iface;
        this.socket = socket;
        this.timeoutMillis = timeoutMillis;
    }

    /** Connects to the interface's UAPI socket; fails with NO_SUCH_DEVICE if no daemon serves it. */
    public static UserspaceWireGuard open(String iface, Path socket) throws WireGuardException {
        return open(iface, socket, DEFAULT_TIMEOUT_MILLIS);
    }

    static UserspaceWireGuard open(String iface, Path socket, long timeoutMillis) throws WireGuardException {
        UserspaceWireGuard wg = new UserspaceWireGuard(iface, socket, timeoutMillis);
        wg.connect();
        return wg;
    }

    @Override public String kind() { return "userspace"; }

    /** Socket path this backend talks to. */
    public Path socket() { return socket; }

    /** How many connections were opened so far (1 as long as the daemon was never restarted). */
    int connects() { return connects; }

    @Override
    public WgDevice read() throws WireGuardException {
        String reply = transact("get=1\n\n", "get");
        Uapi.GetReply r;
        try {
            r = Uapi.parseGet(iface, reply, keys);
        } catch (Uapi.ProtocolException e) {
            throw new WireGuardException(Reason.IO, "UAPI get on " + iface + " (" + socket + "): malformed reply: "
                    + e.getMessage());
        }
        if (r.errno() != 0) {
            throw errnoError(r.errno(), "reading the device", List.of());
        }
        return r.device();
    }

    @Override
    public void apply(List<PeerUpdate> updates) throws WireGuardException {
        if (updates.isEmpty()) return;
        for (List<PeerUpdate> run : Uapi.runs(updates)) {
            if (run.get(0).fresh()) checkSetReply(transact(Uapi.encodeRemovals(run), "set"), run);
            checkSetReply(transact(Uapi.encodeSet(run), "set"), run);
        }
    }

    /** Turns a set reply into success or the matching error; package-private for protocol tests. */
    void checkSetReply(String reply, List<PeerUpdate> updates) throws WireGuardException {
        int errno;
        try {
            errno = Uapi.parseSet(reply);
        } catch (Uapi.ProtocolException e) {
            throw new WireGuardException(Reason.IO, "UAPI set on " + iface + " (" + socket + "): " + e.getMessage());
        }
        if (errno != 0) throw errnoError(errno, "applying", updates);
    }

    /** Sends a raw request and returns the raw reply; package-private for protocol tests. */
    String transact(String request, String what) throws WireGuardException {
        byte[] bytes = request.getBytes(StandardCharsets.UTF_8);
        for (int attempt = 0; ; attempt++) {
            if (channel == null) connect();
            try {
                writeAll(bytes);
                return readReply();
            } catch (ClosedByPeer e) {
                disconnect();
                // A restarted daemon closed our old connection: the requests are idempotent, so
                // sending once more on a fresh connection is safe. A second close is an answer.
                if (attempt == 0 && !e.partial) continue;
                throw new WireGuardException(Reason.IO, "UAPI " + what + " on " + iface + " (" + socket + "): the daemon "
                        + "closed the connection " + (e.partial ? "in the middle of its reply" : "without a reply")
                        + (e.getCause() != null ? " (" + e.getCause().getMessage() + ")" : "")
                        + " (it rejects requests it does not understand; see its log)", e.getCause());
            } catch (TimedOut e) {
                disconnect();
                throw new WireGuardException(Reason.IO, "UAPI " + what + " on " + iface + ": no progress from the daemon "
                        + "at " + socket + " for " + timeoutMillis + " ms (hung?); check wireguard-go/boringtun");
            } catch (IOException e) {
                disconnect();
                throw new WireGuardException(Reason.IO, "UAPI " + what + " on " + iface + " (" + socket + "): "
                        + e.getMessage(), e);
            }
        }
    }

    private void connect() throws WireGuardException {
        disconnect();
        try {
            Files.readAttributes(socket, BasicFileAttributes.class);
        } catch (NoSuchFileException e) {
            throw noDevice("does not exist");
        } catch (AccessDeniedException e) {
            // Files.exists would say "absent" here and send the user hunting for a missing daemon.
            throw notPermitted("cannot even look at", e);
        } catch (IOException e) {
            // let connect() below report it
        }
        SocketChannel ch = null;
        try {
            ch = SocketChannel.open(StandardProtocolFamily.UNIX);
            ch.connect(UnixDomainSocketAddress.of(socket));
            ch.configureBlocking(false);
            Selector sel = Selector.open();
            ch.register(sel, 0);
            channel = ch;
            selector = sel;
            connects++;
        } catch (IOException e) {
            closeQuietly(ch);
            throw connectError(e);
        }
    }

    /**
     * Classifies a failed connect by the exception type the JDK maps each errno to (never by its
     * locale-dependent text): ECONNREFUSED is a ConnectException, EACCES a BindException; a socket file
     * that vanished since we looked (ENOENT) is told by looking again.
     */
    private WireGuardException connectError(IOException e) {
        if (e instanceof AccessDeniedException || e instanceof java.net.BindException) {
            return notPermitted("may not connect to", e);
        }
        if (e instanceof java.net.ConnectException) {
            return noDevice("is not served by any daemon (connection refused)");
        }
        if (!Files.exists(socket, java.nio.file.LinkOption.NOFOLLOW_LINKS)) return noDevice("does not exist");
        return new WireGuardException(Reason.IO, "cannot connect to the UAPI socket " + socket + " of " + iface
                + ": " + e.getMessage(), e);
    }

    private WireGuardException notPermitted(String what, IOException cause) {
        return new WireGuardException(Reason.NOT_PERMITTED, "automesh " + what + " the UAPI socket " + socket + " of "
                + iface + " (permission denied): run automesh as root, or as the user that owns the socket and its "
                + "directory", cause);
    }

    private WireGuardException noDevice(String what) {
        return new WireGuardException(Reason.NO_SUCH_DEVICE, "no userspace WireGuard interface " + iface
                + ": its UAPI socket " + socket + " " + what + "; start wireguard-go or boringtun for " + iface
                + ", or set wireguard_backend = \"kernel\" if it is a kernel interface");
    }

    private void writeAll(byte[] bytes) throws IOException, TimedOut, ClosedByPeer {
        ByteBuffer out = ByteBuffer.wrap(bytes);
        SelectionKey key = channel.keyFor(selector);
        while (out.hasRemaining()) {
            int n;
            try {
                n = channel.write(out);
            } catch (java.io.InterruptedIOException e) {
                throw e;
            } catch (IOException e) {
                // EPIPE, ECONNRESET or the like: this connection is unusable (the daemon behind it is gone).
                throw new ClosedByPeer(false, e);
            }
            if (n == 0) await(key, SelectionKey.OP_WRITE);
        }
    }

    private String readReply() throws IOException, TimedOut, ClosedByPeer {
        SelectionKey key = channel.keyFor(selector);
        int len = 0;
        while (true) {
            readBuf.clear();
            int n;
            try {
                n = channel.read(readBuf);
            } catch (java.io.InterruptedIOException e) {
                throw e;
            } catch (IOException e) {
                throw new ClosedByPeer(len > 0, e);
            }
            if (n < 0) throw new ClosedByPeer(len > 0);
            if (n == 0) {
                await(key, SelectionKey.OP_READ);
                continue;
            }
            if (len + n > acc.length) acc = Arrays.copyOf(acc, Math.max(acc.length * 2, len + n));
            readBuf.flip();
            readBuf.get(acc, len, n);
            len += n;
            // Lines are never empty, so "\n\n" only occurs at the end of a reply.
            if (len >= 2 && acc[len - 1] == '\n' && acc[len - 2] == '\n') {
                return new String(acc, 0, len, StandardCharsets.UTF_8);
            }
        }
    }

    private void await(SelectionKey key, int op) throws IOException, TimedOut {
        key.interestOps(op);
        try {
            long deadline = System.nanoTime() + timeoutMillis * 1_000_000;
            while (selector.select(Math.max(1, (deadline - System.nanoTime()) / 1_000_000)) == 0) {
                // An interrupt also ends select() early; that is a shutdown, not a hung daemon.
                if (Thread.currentThread().isInterrupted()) throw new java.io.InterruptedIOException("interrupted");
                if (System.nanoTime() - deadline >= 0) throw new TimedOut();
            }
        } finally {
            selector.selectedKeys().clear();
            key.interestOps(0);
        }
    }

    private WireGuardException errnoError(int errno, String doing, List<PeerUpdate> updates) {
        String peers = updates.isEmpty() ? "" : " " + describePeers(updates);
        return switch (errno) {
            case -22 -> new WireGuardException(Reason.INVALID, "the daemon of " + iface + " rejected a value (errno=-22, "
                    + "EINVAL) " + doing + peers + (updates.size() > 1 ? "; updates before the rejected one "
                    + "were applied" : "") + "; see its log");
            case -1, -13 -> new WireGuardException(Reason.NOT_PERMITTED, "the daemon of " + iface + " refused "
                    + doing + peers + " (errno=" + errno + "): run automesh with the rights the daemon requires");
            case -98 -> new WireGuardException(Reason.IO, "the daemon of " + iface + " cannot bind its listen port "
                    + "(errno=-98, EADDRINUSE)");
            default -> new WireGuardException(Reason.IO, "the daemon of " + iface + " failed " + doing + peers
                    + " (errno=" + errno + "); see its log");
        };
    }

    private static String describePeers(List<PeerUpdate> updates) {
        if (updates.isEmpty()) return "";
        if (updates.size() == 1) return "peer " + updates.get(0).publicKey();
        StringBuilder sb = new StringBuilder("one of the " + updates.size() + " peers of the batch (");
        for (int i = 0; i < Math.min(3, updates.size()); i++) {
            if (i > 0) sb.append(", ");
            sb.append(updates.get(i).publicKey());
        }
        return sb.append(updates.size() > 3 ? ", ...)" : ")").toString();
    }

    private void disconnect() {
        closeQuietly(selector);
        closeQuietly(channel);
        selector = null;
        channel = null;
    }

    private static void closeQuietly(AutoCloseable c) {
        if (c == null) return;
        try {
            c.close();
        } catch (Exception ignored) {
            // closing a dead connection: nothing to report
        }
    }

    @Override
    public void close() {
        disconnect();
    }

    /**
     * The daemon closed the connection, or a read or write on it failed (the cause);
     * {@code partial} when part of a reply had arrived.
     */
    private static final class ClosedByPeer extends Exception {
        final boolean partial;

        ClosedByPeer(boolean partial) {
            this(partial, null);
        }

        ClosedByPeer(boolean partial, IOException cause) {
            super(null, cause, false, false);
            this.partial = partial;
        }
    }

    private static final class TimedOut extends Exception {
        TimedOut() {
            super(null, null, false, false);
        }
    }
}
