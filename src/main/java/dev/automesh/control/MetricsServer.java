package dev.automesh.control;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpServerCodec;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;

/**
 * Optional Prometheus text endpoint (GET /metrics) on a configured local address: Netty's HTTP codec,
 * non-blocking on the {@link ControlLoop}, with a deadline per request and a bounded number of
 * connections, so a slow client costs one slot and never the thread.
 */
public final class MetricsServer implements AutoCloseable {
    static final int MAX_CONNECTIONS = 16;

    /** Deadlines and bounds of one server; tests shorten or lengthen them. */
    record Limits(Duration request, Duration report, int maxConnections, int maxLine, int maxHeaders) {
        static final Limits DEFAULT = new Limits(Duration.ofSeconds(5), Duration.ofSeconds(5), MAX_CONNECTIONS, 4096, 8192);
    }

    private final Channel server;
    private final ConnectionSlots<Channel> slots;
    private final ControlLoop ownLoop;

    private MetricsServer(Channel server, ConnectionSlots<Channel> slots, ControlLoop ownLoop) {
        this.server = server;
        this.slots = slots;
        this.ownLoop = ownLoop;
    }

    /** Serves on a loop of its own, closed with the server. */
    public static MetricsServer start(InetSocketAddress address, Supplier<CompletableFuture<StatusReport>> source)
            throws IOException {
        return start(null, address, source, Limits.DEFAULT);
    }

    /** Serves on {@code loop}, which the caller owns and may share with a {@link ControlServer}. */
    public static MetricsServer start(ControlLoop loop, InetSocketAddress address,
            Supplier<CompletableFuture<StatusReport>> source) throws IOException {
        return start(loop, address, source, Limits.DEFAULT);
    }

    static MetricsServer start(ControlLoop shared, InetSocketAddress address,
            Supplier<CompletableFuture<StatusReport>> source, Limits limits) throws IOException {
        ControlLoop loop = shared != null ? shared : new ControlLoop();
        ConnectionSlots<Channel> slots = new ConnectionSlots<>(limits.maxConnections(), Channel::close);
        Slots admission = new Slots(slots);
        HttpDecoderConfig http = new HttpDecoderConfig()
                .setMaxInitialLineLength(limits.maxLine())
                .setMaxHeaderSize(limits.maxHeaders())
                .setMaxChunkSize(8192);
        ChannelFuture bound = new ServerBootstrap()
                .group(loop.loop())
                .channel(NioServerSocketChannel.class)
                .option(ChannelOption.ALLOCATOR, ControlLoop.ALLOCATOR)
                .childOption(ChannelOption.ALLOCATOR, ControlLoop.ALLOCATOR)
                .childHandler(new ChannelInitializer<>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        ch.pipeline().addLast(admission, new HttpServerCodec(http), new MetricsConnection(slots, source, limits));
                    }
                })
                .bind(address)
                .awaitUninterruptibly();
        if (!bound.isSuccess()) {
            if (shared == null) loop.close();
            throw new IOException("cannot listen for metrics on " + address + ": " + bound.cause().getMessage()
                    + " (change metrics_address)", bound.cause());
        }
        return new MetricsServer(bound.channel(), slots, shared == null ? loop : null);
    }

    /** Admits each connection to a slot, or drops it (or the oldest idle one) when none is free. */
    @ChannelHandler.Sharable
    private static final class Slots extends ChannelInboundHandlerAdapter {
        private final ConnectionSlots<Channel> slots;

        Slots(ConnectionSlots<Channel> slots) {
            this.slots = slots;
        }

        @Override
        public void channelActive(ChannelHandlerContext ctx) {
            if (slots.admit(ctx.channel())) ctx.fireChannelActive();
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            slots.remove(ctx.channel());
            ctx.fireChannelInactive();
        }
    }

    public InetSocketAddress address() {
        return (InetSocketAddress) server.localAddress();
    }

    /** Prometheus text exposition format 0.0.4. */
    public static String render(StatusReport r) {
        StringBuilder sb = new StringBuilder();
        portMapping(sb, r.upnp());
        gauge(sb, "automesh_peer_connected", "1 if the peer had a recent handshake, else 0");
        for (StatusReport.Peer p : r.peers()) {
            sb.append("automesh_peer_connected").append(labels(p)).append(' ').append(p.connected() ? 1 : 0).append('\n');
        }
        gauge(sb, "automesh_peer_handshake_age_seconds", "seconds since the latest WireGuard handshake (absent if never)");
        for (StatusReport.Peer p : r.peers()) {
            p.handshakeSecondsAgo().ifPresent(s ->
                    sb.append("automesh_peer_handshake_age_seconds").append(labels(p)).append(' ').append(s).append('\n'));
        }
        counter(sb, "automesh_peer_rx_bytes_total", "bytes received from the peer through WireGuard");
        for (StatusReport.Peer p : r.peers()) {
            sb.append("automesh_peer_rx_bytes_total").append(labels(p)).append(' ').append(p.rxBytes()).append('\n');
        }
        counter(sb, "automesh_peer_tx_bytes_total", "bytes sent to the peer through WireGuard");
        for (StatusReport.Peer p : r.peers()) {
            sb.append("automesh_peer_tx_bytes_total").append(labels(p)).append(' ').append(p.txBytes()).append('\n');
        }
        StatusReport.Counters c = r.counters();
        single(sb, "automesh_gossip_datagrams_in_total", "gossip datagrams received", c.datagramsIn());
        single(sb, "automesh_gossip_datagrams_out_total", "gossip datagrams sent", c.datagramsOut());
        single(sb, "automesh_gossip_dropped_undecryptable_total", "datagrams dropped: did not decrypt", c.droppedUndecryptable());
        single(sb, "automesh_gossip_dropped_undecodable_total", "datagrams dropped: decrypted but not a message", c.droppedUndecodable());
        single(sb, "automesh_gossip_send_errors_total", "datagrams that could not be sent", c.sendErrors());
        counter(sb, "automesh_gossip_ignored_total", "gossip entries the mesh ignored, by reason");
        ignored(sb, "bad_pubkey", c.ignoredBadPubkeys());
        ignored(sb, "bad_endpoint", c.ignoredBadEndpoints());
        ignored(sb, "future_timestamp", c.ignoredFutureTimestamps());
        ignored(sb, "unknown_peer_over_limit", c.ignoredUnknownPeers());
        ignored(sb, "foreign_lan_broadcast", c.ignoredForeignBroadcasts());
        c.hostile().forEach((k, v) -> single(sb, "automesh_gossip_" + k + "_total", "hostile-input counter: " + k.replace('_', ' '), v));
        relay(sb, r);
        return sb.toString();
    }

    /** Relayed peers, the pairs this node relays for, and the relay socket's counters (when it has one). */
    private static void relay(StringBuilder sb, StatusReport r) {
        gauge(sb, "automesh_peer_relayed", "1 while the peer is reached through a relay, else 0");
        for (StatusReport.Peer p : r.peers()) {
            sb.append("automesh_peer_relayed").append(labels(p)).append(' ').append(p.relayedVia().isPresent() ? 1 : 0)
                    .append('\n');
        }
        StatusReport.Relay relay = r.relay();
        gauge(sb, "automesh_relay_sessions", "pairs this node relays for now");
        sb.append("automesh_relay_sessions ").append(relay.serving().size()).append('\n');
        counter(sb, "automesh_relay_pair_bytes_total", "bytes this node relayed for the pair, from a to b");
        for (StatusReport.Served s : relay.serving()) {
            sb.append("automesh_relay_pair_bytes_total{a=\"").append(esc(s.a())).append("\",b=\"").append(esc(s.b()))
                    .append("\"} ").append(s.bytesAtoB()).append('\n');
            sb.append("automesh_relay_pair_bytes_total{a=\"").append(esc(s.b())).append("\",b=\"").append(esc(s.a()))
                    .append("\"} ").append(s.bytesBtoA()).append('\n');
        }
        StatusReport.Desk d = relay.desk();
        counter(sb, "automesh_relay_requests_total", "relay requests from peers, by outcome");
        sb.append("automesh_relay_requests_total{outcome=\"served\"} ").append(d.served()).append('\n');
        sb.append("automesh_relay_requests_total{outcome=\"refused\"} ").append(d.refused()).append('\n');
        sb.append("automesh_relay_requests_total{outcome=\"rate_limited\"} ").append(d.rateLimited()).append('\n');
        counter(sb, "automesh_relay_punch_notices_total", "peers' reports of a failed punch, passed on or dropped");
        sb.append("automesh_relay_punch_notices_total{outcome=\"passed\"} ").append(d.noticesPassed()).append('\n');
        sb.append("automesh_relay_punch_notices_total{outcome=\"dropped\"} ").append(d.noticesDropped()).append('\n');
        if (relay.counters().isEmpty()) return;
        StatusReport.RelayCounters c = relay.counters().get();
        single(sb, "automesh_relay_forwarded_bytes_total", "bytes forwarded between two peers as their relay", c.bytesForwarded());
        single(sb, "automesh_relay_forwarded_frames_total", "frames forwarded between two peers as their relay", c.framesForwarded());
        single(sb, "automesh_relay_sessions_opened_total", "relay sessions opened for pairs of peers", c.sessionsOpened());
        single(sb, "automesh_relay_sessions_expired_total", "relay sessions ended for idleness", c.sessionsExpired());
        single(sb, "automesh_relay_to_relay_bytes_total", "bytes of our WireGuard sent through relays", c.bytesToRelay());
        single(sb, "automesh_relay_from_relay_bytes_total", "bytes for our WireGuard received through relays", c.bytesFromRelay());
        single(sb, "automesh_relay_send_errors_total", "relay frames that could not be sent", c.sendErrors());
        counter(sb, "automesh_relay_dropped_total", "relay frames dropped, by reason");
        c.dropped().forEach((reason, v) ->
                sb.append("automesh_relay_dropped_total{reason=\"").append(reason).append("\"} ").append(v).append('\n'));
    }

    /** From the port-mapping line ("natpmp mapped gateway=..."): which protocol, and whether it holds a mapping. */
    private static void portMapping(StringBuilder sb, String line) {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("^(pcp|natpmp|upnp) ([a-z_]+)").matcher(line);
        if (!m.find()) return;
        gauge(sb, "automesh_port_mapping_mapped", "1 while the router holds our port mapping, by the protocol in use");
        sb.append("automesh_port_mapping_mapped{protocol=\"").append(m.group(1)).append("\"} ").append(m.group(2).equals("mapped") ? 1 : 0)
                .append('\n');
    }

    private static void gauge(StringBuilder sb, String name, String help) {
        sb.append("# HELP ").append(name).append(' ').append(help).append("\n# TYPE ").append(name).append(" gauge\n");
    }

    private static void counter(StringBuilder sb, String name, String help) {
        sb.append("# HELP ").append(name).append(' ').append(help).append("\n# TYPE ").append(name).append(" counter\n");
    }

    private static void ignored(StringBuilder sb, String reason, long v) {
        sb.append("automesh_gossip_ignored_total{reason=\"").append(reason).append("\"} ").append(v).append('\n');
    }

    private static void single(StringBuilder sb, String name, String help, long v) {
        counter(sb, name, help);
        sb.append(name).append(' ').append(v).append('\n');
    }

    private static String labels(StatusReport.Peer p) {
        return "{peer=\"" + esc(p.name()) + "\",public_key=\"" + esc(p.publicKey()) + "\",address=\"" + esc(p.address()) + "\"}";
    }

    private static String esc(String s) {
        return s.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n");
    }

    @Override
    public void close() {
        server.close().awaitUninterruptibly();
        server.eventLoop().submit(slots::dropAll).awaitUninterruptibly();
        if (ownLoop != null) ownLoop.close();
    }
}
