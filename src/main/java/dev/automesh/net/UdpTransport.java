package dev.automesh.net;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.FixedRecvByteBufAllocator;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.channel.socket.DatagramPacket;
import io.netty.channel.socket.InternetProtocolFamily;
import io.netty.channel.socket.nio.NioDatagramChannel;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * The gossip UDP socket: bound to the wildcard address on the gossip port, SO_BROADCAST on, reading at
 * most {@link #MAX_DATAGRAM} bytes per datagram (longer ones arrive truncated and fail authentication).
 * Received datagrams are delivered on the event loop it is given (the agent's mesh thread, which the
 * agent owns), or on a one-thread loop of its own when it is given none (tests, probes).
 * {@link #send} and {@link #broadcast} may be called from any thread.
 */
public final class UdpTransport implements AutoCloseable {
    /** Largest datagram read: gossip messages are far smaller; an Ethernet MTU is plenty. */
    public static final int MAX_DATAGRAM = dev.automesh.wire.WireCodec.MAX_DATAGRAM;

    /** Receives one datagram on the event loop; {@code bytes} belongs to the handler. */
    @FunctionalInterface
    public interface Handler {
        void onDatagram(InetSocketAddress from, byte[] bytes);
    }

    private static final InetAddress LIMITED_BROADCAST = ipv4(255, 255, 255, 255);
    /** wgautomesh's IPv6 LAN "broadcast": all nodes, site-local scope. */
    static final InetAddress SITE_ALL_NODES = ipv6(0xff, 0x05, 1);

    /** Shut down at close when the transport created it; empty when the caller owns the loop. */
    private final Optional<EventLoopGroup> ownGroup;
    private final Channel channel;
    private final int port;
    private final Counters counters;
    // Written by broadcast() (any thread), read on the event loop: a volatile reference to an immutable set.
    private volatile LanInterfaces lan;
    private final Ipv6Lan ipv6Lan;

    private UdpTransport(Optional<EventLoopGroup> ownGroup, Channel channel, Counters counters, boolean ipv6) {
        this.ownGroup = ownGroup;
        this.channel = channel;
        this.port = ((InetSocketAddress) channel.localAddress()).getPort();
        this.counters = counters;
        this.lan = LanInterfaces.enumerate();
        this.ipv6Lan = ipv6 ? new Ipv6Lan((NioDatagramChannel) channel, SITE_ALL_NODES) : null;
        if (ipv6Lan != null) ipv6Lan.joinNewInterfaces();
    }

    /**
     * Binds {@code 0.0.0.0:port} ({@code [::]:port}, dual-stack, when {@code ipv6}); port 0 picks a free
     * one (tests). The handler is called on the transport's event loop.
     *
     * @throws IllegalStateException naming the port when it cannot bind
     */
    public static UdpTransport bind(int port, boolean ipv6, Counters counters, Handler handler) {
        return bind(Optional.empty(), port, ipv6, counters, handler);
    }

    /** As {@link #bind(int, boolean, Counters, Handler)}, on a given local address when present (tests). */
    public static UdpTransport bind(Optional<InetAddress> address, int port, boolean ipv6, Counters counters, Handler handler) {
        EventLoopGroup own = new NioEventLoopGroup(1, new DefaultThreadFactory("automesh-mesh", true));
        try {
            return bind(own, Optional.of(own), address, port, ipv6, counters, handler);
        } catch (RuntimeException e) {
            own.shutdownGracefully(0, 100, TimeUnit.MILLISECONDS);
            throw e;
        }
    }

    /**
     * As {@link #bind(Optional, int, boolean, Counters, Handler)}, delivering on {@code loop}, which the
     * caller owns and shuts down after closing the transport.
     */
    public static UdpTransport bind(EventLoopGroup loop, Optional<InetAddress> address, int port, boolean ipv6,
                                    Counters counters, Handler handler) {
        return bind(loop, Optional.empty(), address, port, ipv6, counters, handler);
    }

    private static UdpTransport bind(EventLoopGroup group, Optional<EventLoopGroup> own, Optional<InetAddress> address,
                                     int port, boolean ipv6, Counters counters, Handler handler) {
        Objects.requireNonNull(handler);
        UdpTransport[] self = new UdpTransport[1];
        Bootstrap b = new Bootstrap()
                .group(group)
                .channelFactory(() -> new NioDatagramChannel(ipv6 ? InternetProtocolFamily.IPv6 : InternetProtocolFamily.IPv4))
                .option(ChannelOption.SO_BROADCAST, true)
                .option(ChannelOption.RCVBUF_ALLOCATOR, new FixedRecvByteBufAllocator(MAX_DATAGRAM))
                .handler(new SimpleChannelInboundHandler<DatagramPacket>() {
                    @Override
                    protected void channelRead0(ChannelHandlerContext ctx, DatagramPacket packet) {
                        self[0].received(packet, handler);
                    }

                    @Override
                    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
                        // A receive error (e.g. ICMP port unreachable surfaced as an exception) affects one
                        // datagram only; keep the socket open.
                        counters.receiveErrors.incrementAndGet();
                    }
                });
        InetAddress local = address.orElseGet(() -> ipv6 ? ipv6Any() : ipv4(0, 0, 0, 0));
        ChannelFuture f = b.bind(new InetSocketAddress(local, port)).awaitUninterruptibly();
        if (!f.isSuccess()) {
            Throwable c = f.cause();
            String hint = c instanceof java.net.BindException
                    ? " (is another automesh or wgautomesh running, or gossip_port in use?)"
                    : ipv6 && c instanceof UnsupportedOperationException
                    ? " (IPv6 is disabled on this host: set ipv6 = false, or enable IPv6)" : "";
            throw new IllegalStateException("cannot bind UDP " + new InetSocketAddress(local, port).toString().replaceFirst("^/", "")
                    + " for gossip: " + (c == null ? "unknown error" : c.getMessage()) + hint, c);
        }
        UdpTransport t = new UdpTransport(own, f.channel(), counters, ipv6 && address.isEmpty());
        self[0] = t;
        return t;
    }

    private void received(DatagramPacket packet, Handler handler) {
        InetSocketAddress from = packet.sender();
        // Our own LAN broadcasts loop back to us: the source is one of our addresses and our port. Nothing
        // else can have that source, since this socket alone holds the port.
        if (isOwn(from)) {
            counters.ownBroadcastsIgnored.incrementAndGet();
            return;
        }
        counters.datagramsIn.incrementAndGet();
        ByteBuf content = packet.content();
        byte[] bytes = new byte[content.readableBytes()];
        content.getBytes(content.readerIndex(), bytes);
        handler.onDatagram(from, bytes);
    }

    /** The event loop that receives datagrams: the agent's mesh thread. */
    public EventLoop eventLoop() {
        return channel.eventLoop();
    }

    public InetSocketAddress localAddress() {
        return (InetSocketAddress) channel.localAddress();
    }

    public Counters counters() {
        return counters;
    }

    /** Sends one datagram; failures are counted (never thrown: the mesh retries on its own schedule). */
    public void send(InetSocketAddress to, byte[] bytes) {
        if (to.isUnresolved()) {
            counters.sendErrors.incrementAndGet();
            return;
        }
        channel.writeAndFlush(new DatagramPacket(Unpooled.wrappedBuffer(bytes), to))
                .addListener((ChannelFutureListener) f -> {
                    if (f.isSuccess()) counters.datagramsOut.incrementAndGet();
                    else counters.sendErrors.incrementAndGet();
                });
    }

    /**
     * Broadcasts on the LAN, outside the tunnel: to the directed broadcast address of every up,
     * broadcast-capable, non-loopback IPv4 interface, enumerated afresh. wgautomesh sends to
     * 255.255.255.255 only; its nodes listen on the wildcard address, so they receive directed
     * broadcasts just the same. We do not add 255.255.255.255 next to them: Linux routes it out of one
     * interface only (the default route's), where it would duplicate that interface's directed
     * broadcast, and it fails without a default route. It is used only when no interface has a
     * broadcast address (e.g. all /32), so discovery still does what wgautomesh does there.
     *
     * @return the addresses sent to
     */
    public List<InetAddress> broadcast(byte[] bytes) {
        LanInterfaces now = LanInterfaces.enumerate();
        lan = now;
        List<InetAddress> targets = new ArrayList<>(now.broadcastTargets());
        if (targets.isEmpty()) targets.add(LIMITED_BROADCAST);
        if (ipv6Lan != null) {
            // As wgautomesh does with ipv6 = true; interfaces that came up since are joined first.
            ipv6Lan.joinNewInterfaces();
        }
        for (InetAddress a : targets) send(new InetSocketAddress(a, port), bytes);
        if (ipv6Lan != null) {
            ipv6Lan.send(bytes, port, counters);
            targets.add(SITE_ALL_NODES);
        }
        return targets;
    }

    /** Whether {@code from} is this socket's own address (its own broadcast looped back). */
    public boolean isOwn(InetSocketAddress from) {
        return from.getPort() == port && lan.ownAddresses().contains(from.getAddress());
    }

    @Override
    public void close() {
        channel.close().awaitUninterruptibly(500);
        ownGroup.ifPresent(g -> g.shutdownGracefully(0, 200, TimeUnit.MILLISECONDS).awaitUninterruptibly(500));
    }

    private static InetAddress ipv4(int a, int b, int c, int d) {
        try {
            return InetAddress.getByAddress(new byte[] {(byte) a, (byte) b, (byte) c, (byte) d});
        } catch (UnknownHostException e) {
            throw new AssertionError(e);
        }
    }

    private static InetAddress ipv6(int b0, int b1, int last) {
        byte[] a = new byte[16];
        a[0] = (byte) b0;
        a[1] = (byte) b1;
        a[15] = (byte) last;
        try {
            return InetAddress.getByAddress(a);
        } catch (UnknownHostException e) {
            throw new AssertionError(e);
        }
    }

    private static InetAddress ipv6Any() {
        try {
            return InetAddress.getByAddress(new byte[16]);
        } catch (UnknownHostException e) {
            throw new AssertionError(e);
        }
    }
}
