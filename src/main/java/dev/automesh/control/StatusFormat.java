package dev.automesh.control;

import java.util.Optional;

/** Renders a {@link StatusReport} for people (a table) and for programs (JSON, schema "automesh-status/1"). */
public final class StatusFormat {
    public static final String SCHEMA = "automesh-status/1";

    private StatusFormat() {}

    public static String json(StatusReport r) {
        Json j = new Json().begin()
                .field("schema", SCHEMA)
                .field("interface", r.interfaceName())
                .field("backend", r.backend())
                .field("public_key", r.publicKey())
                .field("listen_port", r.listenPort())
                .field("gossip_port", r.gossipPort())
                .field("upnp", r.upnp()) // the port-mapping line; key kept for schema 1
                .field("all_connected", r.exitStatus() == 0)
                .fieldOrNull("wireguard_read_seconds", r.wireguardReadSeconds());
        StatusReport.Counters c = r.counters();
        j.key("counters").begin()
                .field("datagrams_in", c.datagramsIn())
                .field("datagrams_out", c.datagramsOut())
                .field("dropped_undecryptable", c.droppedUndecryptable())
                .field("dropped_undecodable", c.droppedUndecodable())
                .field("send_errors", c.sendErrors())
                .field("receive_errors", c.receiveErrors())
                .field("ignored_bad_pubkeys", c.ignoredBadPubkeys())
                .field("ignored_bad_endpoints", c.ignoredBadEndpoints())
                .field("ignored_future_timestamps", c.ignoredFutureTimestamps())
                .field("ignored_unknown_peers", c.ignoredUnknownPeers())
                .field("ignored_foreign_broadcasts", c.ignoredForeignBroadcasts())
                .end();
        j.key("peers").beginArray();
        for (StatusReport.Peer p : r.peers()) {
            j.begin()
                    .field("name", p.name())
                    .field("public_key", p.publicKey())
                    .field("address", p.address())
                    .field("state", p.state())
                    .field("connected", p.connected())
                    .fieldOrNull("endpoint", p.endpoint())
                    .fieldOrNull("endpoint_source", p.source())
                    .fieldOrNull("handshake_seconds_ago", p.handshakeSecondsAgo())
                    .field("rx_bytes", p.rxBytes())
                    .field("tx_bytes", p.txBytes())
                    .fieldOrNull("last_loss", p.lastLoss())
                    .fieldOrNull("last_loss_seconds_ago", p.lastLossSecondsAgo());
            j.key("candidates").beginArray();
            for (StatusReport.Candidate cand : p.candidates()) {
                j.begin().field("endpoint", cand.endpoint()).field("source", cand.source())
                        .fieldOrNull("tried_seconds_ago", cand.triedSecondsAgo()).end();
            }
            j.endArray().end();
        }
        j.endArray().end();
        return j + "\n";
    }

    public static String text(StatusReport r) {
        StringBuilder sb = new StringBuilder();
        long up = r.peers().stream().filter(StatusReport.Peer::connected).count();
        sb.append(String.format("interface %s (%s), public key %s, listen port %d, gossip port %d%n", r.interfaceName(),
                r.backend(), r.publicKey(), r.listenPort(), r.gossipPort()));
        r.wireguardReadSeconds().ifPresent(s -> sb.append(String.format(
                "wireguard: read in progress for %d s (the device does not answer; gossip goes on)%n", s)));
        sb.append("port mapping: ").append(r.upnp()).append('\n');
        StatusReport.Counters c = r.counters();
        sb.append(String.format("gossip: %d in, %d out, dropped %d undecryptable, %d undecodable, %d send errors, %d receive errors%n",
                c.datagramsIn(), c.datagramsOut(), c.droppedUndecryptable(), c.droppedUndecodable(), c.sendErrors(),
                c.receiveErrors()));
        sb.append(String.format("gossip ignored: %d bad keys, %d bad endpoints, %d future timestamps, %d unknown peers over the limit, %d foreign LAN broadcasts%n",
                c.ignoredBadPubkeys(), c.ignoredBadEndpoints(), c.ignoredFutureTimestamps(), c.ignoredUnknownPeers(),
                c.ignoredForeignBroadcasts()));
        sb.append(String.format("peers: %d of %d connected%n%n", up, r.peers().size()));
        sb.append(String.format("%-12s %-15s %-13s %-28s %-24s %-10s %s%n", "PEER", "ADDRESS", "STATE", "ENDPOINT", "FROM",
                "HANDSHAKE", "RX/TX"));
        for (StatusReport.Peer p : r.peers()) {
            sb.append(String.format("%-12s %-15s %-13s %-28s %-24s %-10s %s/%s%n", p.name(), p.address(), p.state(),
                    p.endpoint().orElse("-"), p.source().orElse("-"), age(p.handshakeSecondsAgo()), bytes(p.rxBytes()),
                    bytes(p.txBytes())));
            if (p.lastLoss().isPresent()) {
                sb.append("    last judged dead ").append(age(p.lastLossSecondsAgo())).append(": ").append(p.lastLoss().get()).append('\n');
            }
            if (!p.connected()) {
                for (StatusReport.Candidate cand : p.candidates()) {
                    sb.append(String.format("    candidate %-28s from %-24s tried %s%n", cand.endpoint(), cand.source(),
                            cand.triedSecondsAgo().map(s -> s + " s ago").orElse("never")));
                }
                if (p.candidates().isEmpty()) sb.append("    no candidate endpoint known: configure an endpoint for it, or for a peer that can reach it\n");
            }
        }
        return sb.toString();
    }

    private static String age(Optional<Long> s) {
        return s.map(v -> v + " s ago").orElse("never");
    }

    static String bytes(long b) {
        if (b < 1024) return b + " B";
        if (b < 1024 * 1024) return String.format("%.1f KiB", b / 1024.0);
        if (b < 1024L * 1024 * 1024) return String.format("%.1f MiB", b / 1048576.0);
        return String.format("%.1f GiB", b / 1073741824.0);
    }
}
