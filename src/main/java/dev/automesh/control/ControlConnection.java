package dev.automesh.control;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.Future;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** One control socket connection: read one bounded line within the deadline, answer, close. */
final class ControlConnection extends ChannelInboundHandlerAdapter {
    private static final Logger log = LoggerFactory.getLogger(ControlConnection.class);

    private final ConnectionSlots slots;
    private final Supplier<CompletableFuture<StatusReport>> source;
    private final ControlServer.Limits limits;
    private final byte[] line = new byte[ControlServer.MAX_REQUEST];
    private int length;
    private boolean asked;
    private boolean answered;
    private Future<?> requestDeadline;
    private Future<?> lifetime;

    ControlConnection(ConnectionSlots slots, Supplier<CompletableFuture<StatusReport>> source, ControlServer.Limits limits) {
        this.slots = slots;
        this.source = source;
        this.limits = limits;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        // A client that connects and never sends its line is cut off; so is one that never takes its answer.
        requestDeadline = ctx.executor().schedule((Runnable) ctx::close, limits.request().toMillis(), TimeUnit.MILLISECONDS);
        lifetime = ctx.executor().schedule((Runnable) ctx::close, limits.lifetime().toMillis(), TimeUnit.MILLISECONDS);
        ctx.fireChannelActive();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        if (requestDeadline != null) requestDeadline.cancel(false);
        if (lifetime != null) lifetime.cancel(false);
        ctx.fireChannelInactive();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        try {
            if (asked || !(msg instanceof ByteBuf in)) return;
            while (in.isReadable() && !asked) {
                byte b = in.readByte();
                if (b == '\n') {
                    ask(ctx, request());
                } else if (length == line.length) {
                    asked = true;
                    answer(ctx, "exit 2\nrequest longer than " + line.length
                            + " bytes (expected: status text | status json)\n");
                } else {
                    line[length++] = b;
                }
            }
        } finally {
            ReferenceCountUtil.release(msg);
        }
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof ChannelInputShutdownEvent) {
            if (asked) return; // the answer is on its way; closing follows it
            if (length == 0) {
                ctx.close();
            } else {
                ask(ctx, request()); // the last line without its newline
            }
            return;
        }
        ctx.fireUserEventTriggered(evt);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        log.debug("control connection failed: {}", cause.toString());
        ctx.close();
    }

    private String request() {
        return new String(line, 0, length, StandardCharsets.UTF_8).strip();
    }

    private void ask(ChannelHandlerContext ctx, String request) {
        asked = true;
        requestDeadline.cancel(false);
        slots.busy(ctx.channel());
        boolean json = request.equals("status json");
        if (!json && !request.equals("status text") && !request.equals("status")) {
            answer(ctx, "exit 2\nunknown request \"" + request + "\" (expected: status text | status json)\n");
            return;
        }
        CompletableFuture<StatusReport> report;
        try {
            report = source.get();
        } catch (RuntimeException e) {
            report = CompletableFuture.failedFuture(e); // the agent is shutting down, say
        }
        // The report completes on the mesh thread; render and write back on this loop, never waiting.
        var late = ctx.executor().schedule(() -> reply(ctx, null, new TimeoutException(), json),
                limits.report().toMillis(), TimeUnit.MILLISECONDS);
        report.whenComplete((r, e) -> {
            late.cancel(false);
            ctx.executor().execute(() -> reply(ctx, r, e, json));
        });
    }

    private void reply(ChannelHandlerContext ctx, StatusReport r, Throwable e, boolean json) {
        if (r != null) {
            answer(ctx, "exit " + r.exitStatus() + "\n" + (json ? StatusFormat.json(r) : StatusFormat.text(r)));
        } else if (e instanceof TimeoutException) {
            answer(ctx, "exit " + ControlClient.NO_AGENT + "\nthe agent did not build its status within "
                    + limits.report().toSeconds() + " s: its mesh thread is busy or stuck\n");
        } else {
            Throwable why = e instanceof CompletionException && e.getCause() != null ? e.getCause() : e;
            answer(ctx, "exit " + ControlClient.NO_AGENT + "\nthe agent could not build its status: " + why + "\n");
        }
    }

    private void answer(ChannelHandlerContext ctx, String response) {
        if (answered) return;
        answered = true;
        ctx.writeAndFlush(Unpooled.wrappedBuffer(response.getBytes(StandardCharsets.UTF_8)))
                .addListener(ChannelFutureListener.CLOSE);
    }
}
