package dev.automesh.control;

import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.nio.NioEventLoop;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.util.concurrent.TimeUnit;

/**
 * The one I/O thread that serves the control socket and /metrics. Everything it does is non-blocking,
 * so a slow or silent client only costs a slot, never the thread.
 */
public final class ControlLoop implements AutoCloseable {
    /**
     * Heap buffers, unpooled: a few hundred bytes per request do not earn a pooled arena, and a second
     * pooled thread would claim its own direct chunk (MiBs) under the agent's small heap.
     */
    static final ByteBufAllocator ALLOCATOR = new UnpooledByteBufAllocator(false);

    private final EventLoopGroup group = new NioEventLoopGroup(1, new DefaultThreadFactory("automesh-control", true));

    /** The single loop: connection bookkeeping is confined to it. */
    NioEventLoop loop() {
        return (NioEventLoop) group.next();
    }

    @Override
    public void close() {
        // Uninterruptible, and the interrupt flag is kept if one arrives while we wait.
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(3, TimeUnit.SECONDS);
    }
}
