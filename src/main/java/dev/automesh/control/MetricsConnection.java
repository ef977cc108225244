package dev.automesh.control;

import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.DuplexChannel;
import io.netty.handler.codec.DecoderResult;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.Future;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One /metrics connection after the HTTP codec. Requests are answered in order, one at a time
 * (pipelined ones wait in a short queue); each must arrive whole within the request deadline.
 */
final class MetricsConnection extends ChannelInboundHandlerAdapter {
    private static final Logger log = LoggerFactory.getLogger(MetricsConnection.class);
    private static final int MAX_PIPELINED = 8;
    private static final String PROMETHEUS = "text/plain; version=0.0.4; charset=utf-8";

    private final ConnectionSlots<Channel> slots;
    private final Supplier<CompletableFuture<StatusReport>> source;
    private final MetricsServer.Limits limits;
    private final ArrayDeque<HttpRequest> waiting = new ArrayDeque<>();
    private boolean answering;
    private boolean closing;
    private Future<?> deadline;

    MetricsConnection(ConnectionSlots<Channel> slots, Supplier<CompletableFuture<StatusReport>> source, MetricsServer.Limits limits) {
        this.slots = slots;
        this.source = source;
        this.limits = limits;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        arm(ctx, limits.request().toMillis());
        ctx.fireChannelActive();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        if (deadline != null) deadline.cancel(false);
        ctx.fireChannelInactive();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        try {
            // Bodies (HttpContent) are dropped: nothing here takes one.
            if (!(msg instanceof HttpRequest req) || closing) return;
            if (waiting.size() >= MAX_PIPELINED) {
                ctx.close();
                return;
            }
            deadline.cancel(false);
            slots.busy(ctx.channel());
            waiting.add(req);
            if (!answering) next(ctx);
        } finally {
            ReferenceCountUtil.release(msg);
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        log.debug("metrics connection failed: {}", cause.toString());
        ctx.close();
    }

    private void next(ChannelHandlerContext ctx) {
        HttpRequest req = waiting.poll();
        if (req == null) {
            answering = false;
            slots.idle(ctx.channel());
            arm(ctx, limits.request().toMillis());
            return;
        }
        answering = true;
        DecoderResult decoded = req.decoderResult();
        if (decoded.isFailure()) {
            Throwable why = decoded.cause();
            if (why instanceof TooLongHttpHeaderException) {
                error(ctx, HttpResponseStatus.REQUEST_HEADER_FIELDS_TOO_LARGE, "request headers larger than "
                        + limits.maxHeaders() + " bytes");
            } else if (why instanceof TooLongHttpLineException) {
                error(ctx, HttpResponseStatus.REQUEST_URI_TOO_LONG, "request line longer than " + limits.maxLine() + " bytes");
            } else {
                error(ctx, HttpResponseStatus.BAD_REQUEST, "malformed request");
            }
        } else if (!req.protocolVersion().protocolName().equals("HTTP") || req.protocolVersion().majorVersion() != 1) {
            error(ctx, HttpResponseStatus.HTTP_VERSION_NOT_SUPPORTED, "HTTP/1.0 and HTTP/1.1 only");
        } else if (!req.method().equals(HttpMethod.GET)) {
            FullHttpResponse r = response(HttpResponseStatus.METHOD_NOT_ALLOWED, "GET only\n", "text/plain; charset=utf-8");
            r.headers().set(HttpHeaderNames.ALLOW, "GET");
            send(ctx, r, false);
        } else if (!new QueryStringDecoder(req.uri()).path().equals("/metrics")) {
            send(ctx, response(HttpResponseStatus.NOT_FOUND, "only /metrics is served here\n", "text/plain; charset=utf-8"),
                    HttpUtil.isKeepAlive(req));
        } else {
            scrape(ctx, HttpUtil.isKeepAlive(req));
        }
    }

    private void scrape(ChannelHandlerContext ctx, boolean keepAlive) {
        CompletableFuture<StatusReport> report;
        try {
            report = source.get();
        } catch (RuntimeException e) {
            report = CompletableFuture.failedFuture(e);
        }
        boolean[] done = {false};
        // The report completes on the mesh thread; render and write back on this loop, never waiting.
        var late = ctx.executor().schedule(() -> {
            if (done[0]) return;
            done[0] = true;
            send(ctx, response(HttpResponseStatus.SERVICE_UNAVAILABLE, "the agent did not build its status within "
                    + limits.report().toSeconds() + " s\n", "text/plain; charset=utf-8"), keepAlive);
        }, limits.report().toMillis(), TimeUnit.MILLISECONDS);
        report.whenComplete((r, e) -> ctx.executor().execute(() -> {
            if (done[0]) return;
            done[0] = true;
            late.cancel(false);
            if (r != null) {
                send(ctx, response(HttpResponseStatus.OK, MetricsServer.render(r), PROMETHEUS), keepAlive);
            } else {
                Throwable why = e instanceof CompletionException && e.getCause() != null ? e.getCause() : e;
                send(ctx, response(HttpResponseStatus.SERVICE_UNAVAILABLE, "status unavailable: " + why + "\n",
                        "text/plain; charset=utf-8"), keepAlive);
            }
        }));
    }

    private static FullHttpResponse response(HttpResponseStatus status, String body, String type) {
        FullHttpResponse r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status,
                Unpooled.wrappedBuffer(body.getBytes(StandardCharsets.UTF_8)));
        r.headers().set(HttpHeaderNames.CONTENT_TYPE, type);
        r.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, r.content().readableBytes());
        return r;
    }

    private void send(ChannelHandlerContext ctx, FullHttpResponse r, boolean keepAlive) {
        if (!ctx.channel().isActive()) {
            r.release();
            return;
        }
        if (!keepAlive) {
            closing = true;
            r.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
            ctx.writeAndFlush(r).addListener(f -> linger(ctx));
            return;
        }
        ctx.writeAndFlush(r);
        next(ctx); // the deadline for the next request runs from here, even if the client does not read
    }

    /**
     * After an error the rest of the request is unread. Closing now would reset the connection and
     * could discard the answer; send FIN instead, discard what still comes, and close at the deadline.
     */
    private void linger(ChannelHandlerContext ctx) {
        if (ctx.channel() instanceof DuplexChannel d && ctx.channel().isActive()) {
            d.shutdownOutput();
            arm(ctx, Math.min(limits.request().toMillis(), 2000));
        } else {
            ctx.close();
        }
    }

    private void error(ChannelHandlerContext ctx, HttpResponseStatus status, String why) {
        waiting.clear();
        send(ctx, response(status, why + "\n", "text/plain; charset=utf-8"), false);
    }

    private void arm(ChannelHandlerContext ctx, long millis) {
        if (deadline != null) deadline.cancel(false);
        deadline = ctx.executor().schedule((Runnable) ctx::close, millis, TimeUnit.MILLISECONDS);
    }
}
