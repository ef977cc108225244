package dev.automesh.control;

import io.netty.channel.EventLoop;
import io.netty.channel.nio.NioTask;
import io.netty.util.concurrent.Future;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One control socket connection, non-blocking on the control loop: read one bounded line within the
 * deadline, answer, close. Plain NIO rather than a Netty channel: Netty 4.1's unix channel cannot
 * half-close, and `printf 'status\n' | socat - UNIX-CONNECT:...` shuts its side down right after asking.
 */
final class ControlConnection implements NioTask<SocketChannel> {
    private static final Logger log = LoggerFactory.getLogger(ControlConnection.class);
    /** After answering, how long a client may take to close its side before we do. */
    private static final long LINGER_MILLIS = 1000;

    private final EventLoop loop;
    private final SocketChannel ch;
    private final ConnectionSlots<ControlConnection> slots;
    private final Supplier<CompletableFuture<StatusReport>> source;
    private final ControlServer.Limits limits;
    private final ByteBuffer in = ByteBuffer.allocate(ControlServer.MAX_REQUEST);
    private SelectionKey key;
    private ByteBuffer out;
    private boolean asked;
    private boolean answered;
    private boolean closed;
    private Future<?> requestDeadline;
    private Future<?> lifetime;

    ControlConnection(EventLoop loop, SocketChannel ch, ConnectionSlots<ControlConnection> slots,
            Supplier<CompletableFuture<StatusReport>> source, ControlServer.Limits limits) {
        this.loop = loop;
        this.ch = ch;
        this.slots = slots;
        this.source = source;
        this.limits = limits;
        // A client that connects and never sends its line is cut off; so is one that never takes its answer.
        requestDeadline = loop.schedule(this::close, limits.request().toMillis(), TimeUnit.MILLISECONDS);
        lifetime = loop.schedule(this::close, limits.lifetime().toMillis(), TimeUnit.MILLISECONDS);
    }

    @Override
    public void channelReady(SocketChannel c, SelectionKey k) throws IOException {
        key = k;
        if (k.isValid() && k.isWritable()) flush();
        if (k.isValid() && k.isReadable()) read();
    }

    @Override
    public void channelUnregistered(SocketChannel c, Throwable cause) {
        if (cause != null) log.debug("control connection failed: {}", cause.toString());
        close();
    }

    void close() {
        if (closed) return;
        closed = true;
        requestDeadline.cancel(false);
        lifetime.cancel(false);
        slots.remove(this);
        try {
            ch.close();
        } catch (IOException ignored) {
            // closing is all we wanted
        }
    }

    private void read() throws IOException {
        if (asked) {
            // The rest is not ours to read; we only wait for the client's close.
            ByteBuffer discard = ByteBuffer.allocate(512);
            int n = 0;
            // A few reads per wake-up at most: a client that floods us must not keep the loop to itself.
            for (int i = 0; i < 8 && (n = ch.read(discard)) > 0; i++) discard.clear();
            if (n < 0) {
                if (answered && out == null) close(); // it has its answer and is done
                else key.interestOps(key.interestOps() & ~SelectionKey.OP_READ); // half-closed: the answer still goes out
            }
            return;
        }
        int n = ch.read(in);
        for (int i = 0; i < in.position(); i++) {
            if (in.get(i) == '\n') {
                ask(request(i));
                return;
            }
        }
        if (n < 0) {
            if (in.position() == 0) close();
            else ask(request(in.position())); // the last line without its newline
        } else if (!in.hasRemaining()) {
            asked = true;
            answer("exit 2\nrequest longer than " + in.capacity() + " bytes (expected: status text | status json)\n");
        }
    }

    private String request(int length) {
        return new String(in.array(), 0, length, StandardCharsets.UTF_8).strip();
    }

    private void ask(String request) {
        asked = true;
        requestDeadline.cancel(false);
        slots.busy(this);
        boolean json = request.equals("status json");
        if (!json && !request.equals("status text") && !request.equals("status")) {
            answer("exit 2\nunknown request \"" + request + "\" (expected: status text | status json)\n");
            return;
        }
        CompletableFuture<StatusReport> report;
        try {
            report = source.get();
        } catch (RuntimeException e) {
            report = CompletableFuture.failedFuture(e); // the agent is shutting down, say
        }
        // The report completes on the mesh thread; render and write back on this loop, never waiting.
        var late = loop.schedule(() -> reply(null, new TimeoutException(), json), limits.report().toMillis(),
                TimeUnit.MILLISECONDS);
        report.whenComplete((r, e) -> {
            late.cancel(false);
            loop.execute(() -> reply(r, e, json));
        });
    }

    private void reply(StatusReport r, Throwable e, boolean json) {
        if (r != null) {
            answer("exit " + r.exitStatus() + "\n" + (json ? StatusFormat.json(r) : StatusFormat.text(r)));
        } else if (e instanceof TimeoutException) {
            answer("exit " + ControlClient.NO_AGENT + "\nthe agent did not build its status within "
                    + limits.report().toSeconds() + " s: its mesh thread is busy or stuck\n");
        } else {
            Throwable why = e instanceof CompletionException && e.getCause() != null ? e.getCause() : e;
            answer("exit " + ControlClient.NO_AGENT + "\nthe agent could not build its status: " + why + "\n");
        }
    }

    private void answer(String response) {
        if (answered || closed) return;
        answered = true;
        out = ByteBuffer.wrap(response.getBytes(StandardCharsets.UTF_8));
        try {
            flush();
        } catch (IOException e) {
            log.debug("control answer not delivered: {}", e.toString());
            close();
        }
    }

    /**
     * Writes what the socket takes and waits for writability for the rest. Once all is out, ends our
     * side: closing at once while the client's rest is unread would reset the connection and could
     * cost it the answer, so its close is awaited, briefly.
     */
    private void flush() throws IOException {
        if (out == null || closed) return;
        ch.write(out);
        if (out.hasRemaining()) {
            key.interestOps(key.interestOps() | SelectionKey.OP_WRITE);
            return;
        }
        out = null;
        ch.shutdownOutput();
        key.interestOps(SelectionKey.OP_READ);
        lifetime.cancel(false);
        lifetime = loop.schedule(this::close, LINGER_MILLIS, TimeUnit.MILLISECONDS);
    }
}
