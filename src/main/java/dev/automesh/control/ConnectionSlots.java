package dev.automesh.control;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A bounded number of connections per server. When all slots are taken, the connection that has been
 * idle (waiting for a request) the longest is dropped for the newcomer, so clients that connect and
 * say nothing cannot lock out one that asks. Confined to the server's single event loop.
 */
@ChannelHandler.Sharable
final class ConnectionSlots extends ChannelInboundHandlerAdapter {
    private final int max;
    /** Open connections, value true while idle; iteration order is "idle since", oldest first. */
    private final Map<Channel, Boolean> open = new LinkedHashMap<>();

    ConnectionSlots(int max) {
        if (max < 1) throw new IllegalArgumentException("max connections must be at least 1, got " + max);
        this.max = max;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        Channel ch = ctx.channel();
        if (open.size() >= max) {
            Channel oldest = oldestIdle();
            if (oldest == null) {
                // Every slot serves a request; each ends within its deadline. Refuse the newcomer.
                ch.close();
                return;
            }
            open.remove(oldest);
            oldest.close();
        }
        open.put(ch, Boolean.TRUE);
        ctx.fireChannelActive();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        open.remove(ctx.channel());
        ctx.fireChannelInactive();
    }

    /** The connection's request is complete: it is being answered, not idle. */
    void busy(Channel ch) {
        open.replace(ch, Boolean.FALSE);
    }

    /** The connection waits for its next request (HTTP keep-alive), idle from now. */
    void idle(Channel ch) {
        if (open.remove(ch) != null) open.put(ch, Boolean.TRUE);
    }

    private Channel oldestIdle() {
        for (Map.Entry<Channel, Boolean> e : open.entrySet()) {
            if (e.getValue()) return e.getKey();
        }
        return null;
    }
}
