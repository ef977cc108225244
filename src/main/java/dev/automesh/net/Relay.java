package dev.automesh.net;

import dev.automesh.wire.RelayFrame;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.EventLoop;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.socket.DatagramPacket;
import io.netty.channel.socket.nio.NioDatagramChannel;
import io.netty.util.concurrent.ScheduledFuture;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.LongSupplier;

/**
 * The relay data plane of one node: one UDP socket on the node's mesh address at the relay port, so it
 * is reached only through the WireGuard tunnels, serving both roles. As a relay ({@link #server()}) it
 * forwards frames between the two peers of a session; as an end ({@link #client()}) it carries its own
 * WireGuard's datagrams to a peer through a relay via a loopback socket per relayed peer.
 *
 * <p>Everything runs on the event loop handed in; the control methods of {@link #server()} and
 * {@link #client()} must be called on it. {@link #counters()} may be read from any thread.
 */
public final class Relay implements AutoCloseable {
    private final EventLoop loop;
    private final RelaySettings settings;
    private final RelayCounters counters = new RelayCounters();
    private final NioDatagramChannel socket;
    private final RelayServer server;
    private final RelayClient client;
    private final ScheduledFuture<?> sweeper;
    private final byte[] header = new byte[RelayFrame.HEADER];

    private Relay(EventLoop loop, InetAddress meshAddress, RelaySettings settings, Set<InetAddress> peers,
                  LongSupplier nanoClock, Consumer<RelayServer.Session> onExpired) {
        this.loop = loop;
        this.settings = settings;
        this.socket = RelayUdp.bind(loop, new InetSocketAddress(meshAddress, settings.port()), new Inbound(), "relay socket");
        this.client = new RelayClient(this, counters);
        this.server = new RelayServer(this, settings, counters, peers, nanoClock, onExpired, client::hasSession);
        long period = Math.max(1000, settings.idleTimeout().toMillis() / 4);
        this.sweeper = loop.scheduleAtFixedRate(server::sweep, period, period, TimeUnit.MILLISECONDS);
    }

    /**
     * Binds {@code meshAddress:settings.port()} (port 0: any, for tests) in the caller's network
     * namespace and serves it on {@code loop}.
     *
     * @param peers the configured peers' mesh addresses: the only addresses a session may join
     * @param nanoClock time for rate limits and idle expiry ({@code System::nanoTime})
     * @param onExpired told, on the loop, of each session the relay ended for idleness
     * @throws IllegalStateException naming the address when it cannot bind
     */
    public static Relay bind(EventLoop loop, InetAddress meshAddress, RelaySettings settings, Set<InetAddress> peers,
                             LongSupplier nanoClock, Consumer<RelayServer.Session> onExpired) {
        return new Relay(Objects.requireNonNull(loop), Objects.requireNonNull(meshAddress), settings, peers,
                nanoClock, onExpired);
    }

    public RelayServer server() {
        return server;
    }

    public RelayClient client() {
        return client;
    }

    public RelayCounters.Snapshot counters() {
        return counters.snapshot();
    }

    public RelaySettings settings() {
        return settings;
    }

    /** The relay socket's address (mesh address, relay port). */
    public InetSocketAddress localAddress() {
        return (InetSocketAddress) socket.localAddress();
    }

    public EventLoop eventLoop() {
        return loop;
    }

    void requireLoop() {
        if (!loop.inEventLoop()) throw new IllegalStateException("relay control methods run on the relay's event loop");
    }

    /** Queues one datagram on the relay socket (flushed when the current read burst ends); false if dropped. */
    boolean sendFromRelaySocket(ByteBuf content, InetSocketAddress to) {
        if (!socket.isWritable()) {
            content.release();
            counters.droppedBackpressure.incrementAndGet();
            return false;
        }
        socket.write(new DatagramPacket(content, to)).addListener(f -> {
            if (!f.isSuccess()) counters.sendErrors.incrementAndGet();
        });
        return true;
    }

    void flushRelaySocket() {
        socket.flush();
    }

    private void received(InetSocketAddress from, ByteBuf content) {
        int len = content.readableBytes();
        if (len < RelayFrame.HEADER) {
            counters.droppedMalformed.incrementAndGet();
            return;
        }
        content.getBytes(content.readerIndex(), header);
        if (!RelayFrame.valid(header, 0, len)) {
            counters.droppedMalformed.incrementAndGet();
            return;
        }
        long id = RelayFrame.session(header, 0);
        if (server.forward(id, from, content)) return;
        if (client.deliver(id, from, content)) return;
        counters.droppedUnknownSession.incrementAndGet();
    }

    private final class Inbound extends SimpleChannelInboundHandler<DatagramPacket> {
        @Override
        protected void channelRead0(ChannelHandlerContext ctx, DatagramPacket packet) {
            received(packet.sender(), packet.content());
        }

        @Override
        public void channelReadComplete(ChannelHandlerContext ctx) {
            socket.flush();
            client.flushDirty();
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            // e.g. ICMP unreachable for one earlier datagram: that datagram only, the socket stays.
            counters.sendErrors.incrementAndGet();
        }
    }

    /** Ends every session and closes every socket; off the loop, waits briefly for that to happen. */
    @Override
    public void close() {
        sweeper.cancel(false);
        Runnable closeAll = () -> {
            client.closeAll();
            server.closeAll();
            socket.close();
        };
        if (loop.inEventLoop()) {
            closeAll.run();
        } else {
            loop.submit(closeAll).awaitUninterruptibly(1000);
            socket.closeFuture().awaitUninterruptibly(1000);
        }
    }
}
