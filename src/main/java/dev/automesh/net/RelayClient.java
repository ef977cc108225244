package dev.automesh.net;

import dev.automesh.wire.RelayFrame;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.socket.DatagramPacket;
import io.netty.channel.socket.nio.NioDatagramChannel;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The end role: our WireGuard reaches a relayed peer at a loopback address we serve. Per session, a
 * UDP socket on 127.0.0.1 (ephemeral port) is that peer's WireGuard endpoint; what our WireGuard sends
 * there is framed and sent to the relay, and what the relay sends for the session is sent from that
 * socket to our WireGuard's listen port, so WireGuard sees the peer at the loopback address and needs
 * nothing special (kernel or userspace). Used on the relay's event loop only.
 */
public final class RelayClient {
    /** A reading of one relayed peer, for status and metrics. */
    public record Session(long id, InetSocketAddress relay, InetSocketAddress wireGuardEndpoint, long framesOut,
                          long bytesOut, long framesIn, long bytesIn) {}

    private static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();

    private final class Entry {
        final long id;
        final InetSocketAddress relayAt;
        final NioDatagramChannel loopback;
        final InetSocketAddress endpoint;
        long framesOut, bytesOut, framesIn, bytesIn;
        boolean dirty, muted;

        Entry(long id, InetSocketAddress relayAt) {
            this.id = id;
            this.relayAt = relayAt;
            this.loopback = RelayUdp.bind(relay.eventLoop(), new InetSocketAddress(LOOPBACK, 0), new FromWireGuard(this),
                    "relayed peer's loopback endpoint");
            this.endpoint = (InetSocketAddress) loopback.localAddress();
        }
    }

    private final Relay relay;
    private final RelayCounters counters;
    private final Map<Long, Entry> sessions = new HashMap<>();
    private final List<Entry> dirty = new ArrayList<>();
    private final byte[] header = new byte[RelayFrame.HEADER];
    private int wireGuardPort;

    RelayClient(Relay relay, RelayCounters counters) {
        this.relay = relay;
        this.counters = counters;
    }

    /** Our WireGuard's listen port: where datagrams from relayed peers are delivered, and the only source accepted. */
    public void setWireGuardPort(int port) {
        relay.requireLoop();
        if (port < 1 || port > 65535) throw new IllegalArgumentException("WireGuard listen port " + port);
        wireGuardPort = port;
    }

    /**
     * Starts carrying the session {@code id} through the relay socket {@code relayAt} (the relay's mesh
     * address and relay port) and returns the loopback endpoint to give the peer in WireGuard. The same
     * session again returns the same endpoint.
     *
     * @throws IllegalArgumentException if this node relays a session of that id itself (ids must not clash)
     * @throws IllegalStateException if the loopback socket cannot be bound
     */
    public InetSocketAddress open(long id, InetSocketAddress relayAt) {
        relay.requireLoop();
        Objects.requireNonNull(relayAt, "relayAt");
        Entry e = sessions.get(id);
        if (e != null && e.relayAt.equals(relayAt)) return e.endpoint;
        if (relay.server().has(id)) throw new IllegalArgumentException("session id clashes with one this node relays");
        if (e != null) close(id);
        e = new Entry(id, relayAt);
        sessions.put(id, e);
        return e.endpoint;
    }

    /** Stops carrying a session and closes its loopback socket; whether it was open. */
    public boolean close(long id) {
        relay.requireLoop();
        Entry e = sessions.remove(id);
        if (e == null) return false;
        e.loopback.close();
        return true;
    }

    /** While muted, what the relay sends for the session is dropped, not handed to WireGuard (see Action.RelayMute). */
    public void mute(long id, boolean muted) {
        relay.requireLoop();
        Entry e = sessions.get(id);
        if (e != null) e.muted = muted;
    }

    public List<Session> sessions() {
        relay.requireLoop();
        List<Session> out = new ArrayList<>(sessions.size());
        for (Entry e : sessions.values()) {
            out.add(new Session(e.id, e.relayAt, e.endpoint, e.framesOut, e.bytesOut, e.framesIn, e.bytesIn));
        }
        return out;
    }

    boolean hasSession(long id) {
        return sessions.containsKey(id);
    }

    /** A frame from a relay for one of our sessions: handed to our WireGuard (true), or not ours (false). */
    boolean deliver(long id, InetSocketAddress from, ByteBuf frame) {
        Entry e = sessions.get(id);
        if (e == null) return false;
        if (!from.equals(e.relayAt)) {
            counters.droppedWrongSource.incrementAndGet();
            return true;
        }
        if (e.muted) {
            counters.droppedWhileProbing.incrementAndGet();
            return true;
        }
        if (wireGuardPort == 0 || !e.loopback.isWritable()) {
            counters.droppedBackpressure.incrementAndGet();
            return true;
        }
        int n = frame.readableBytes() - RelayFrame.HEADER;
        ByteBuf payload = frame.retainedSlice(frame.readerIndex() + RelayFrame.HEADER, n);
        e.loopback.write(new DatagramPacket(payload, new InetSocketAddress(LOOPBACK, wireGuardPort)))
                .addListener(f -> {
                    if (!f.isSuccess()) counters.sendErrors.incrementAndGet();
                });
        if (!e.dirty) {
            e.dirty = true;
            dirty.add(e);
        }
        e.framesIn++;
        e.bytesIn += n;
        counters.framesFromRelay.incrementAndGet();
        counters.bytesFromRelay.addAndGet(n);
        return true;
    }

    void flushDirty() {
        for (Entry e : dirty) {
            e.dirty = false;
            e.loopback.flush();
        }
        dirty.clear();
    }

    void closeAll() {
        for (Entry e : sessions.values()) e.loopback.close();
        sessions.clear();
        dirty.clear();
    }

    /** Datagrams our WireGuard sends to a relayed peer's loopback endpoint. */
    private final class FromWireGuard extends SimpleChannelInboundHandler<DatagramPacket> {
        private final Entry e;

        FromWireGuard(Entry e) {
            this.e = e;
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, DatagramPacket packet) {
            InetSocketAddress from = packet.sender();
            if (wireGuardPort == 0 || from.getPort() != wireGuardPort || !from.getAddress().isLoopbackAddress()) {
                counters.droppedNotFromWireGuard.incrementAndGet();
                return;
            }
            ByteBuf in = packet.content();
            int n = in.readableBytes();
            ByteBuf out = ctx.alloc().directBuffer(RelayFrame.HEADER + n);
            RelayFrame.header(header, 0, e.id);
            out.writeBytes(header).writeBytes(in, in.readerIndex(), n);
            if (relay.sendFromRelaySocket(out, e.relayAt)) {
                e.framesOut++;
                e.bytesOut += n;
                counters.framesToRelay.incrementAndGet();
                counters.bytesToRelay.addAndGet(n);
            }
        }

        @Override
        public void channelReadComplete(ChannelHandlerContext ctx) {
            relay.flushRelaySocket();
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            counters.sendErrors.incrementAndGet();
        }
    }
}
