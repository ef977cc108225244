package dev.automesh.control;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * Optional Prometheus text endpoint (GET /metrics) on a configured local address, using the JDK's
 * built-in HTTP server on its own thread.
 */
public final class MetricsServer implements AutoCloseable {
    private final HttpServer http;

    private MetricsServer(HttpServer http) {
        this.http = http;
    }

    public static MetricsServer start(InetSocketAddress address, Supplier<CompletableFuture<StatusReport>> source)
            throws IOException {
        HttpServer http;
        try {
            http = HttpServer.create(address, 8);
        } catch (IOException e) {
            throw new IOException("cannot listen for metrics on " + address + ": " + e.getMessage()
                    + " (change metrics_address)", e);
        }
        http.setExecutor(Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "automesh-metrics");
            t.setDaemon(true);
            return t;
        }));
        http.createContext("/metrics", ex -> {
            byte[] body;
            int code;
            try {
                if (!ex.getRequestMethod().equals("GET")) {
                    code = 405;
                    body = "GET only\n".getBytes(StandardCharsets.UTF_8);
                } else {
                    body = render(source.get().get(5, TimeUnit.SECONDS)).getBytes(StandardCharsets.UTF_8);
                    code = 200;
                }
            } catch (Exception e) {
                code = 503;
                body = ("status unavailable: " + e + "\n").getBytes(StandardCharsets.UTF_8);
            }
            ex.getResponseHeaders().set("Content-Type", "text/plain; version=0.0.4; charset=utf-8");
            ex.sendResponseHeaders(code, body.length);
            try (OutputStream os = ex.getResponseBody()) {
                os.write(body);
            }
        });
        http.start();
        return new MetricsServer(http);
    }

    public InetSocketAddress address() {
        return http.getAddress();
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
        return sb.toString();
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
        http.stop(0);
        ((java.util.concurrent.ExecutorService) http.getExecutor()).shutdownNow();
    }
}
