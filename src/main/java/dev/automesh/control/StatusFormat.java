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
                .field("state", r.state())
                .fieldOrNull("waiting_reason", r.waiting().map(StatusReport.Waiting::reason));
        // Unknown until the interface is first read: null rather than a key or port that is not ours.
        if (r.deviceKnown()) j.field("public_key", r.publicKey()).field("listen_port", r.listenPort());
        else j.fieldOrNull("public_key", Optional.empty()).fieldOrNull("listen_port", Optional.empty());
        j.field("gossip_port", r.gossipPort())
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
                .field("ignored_foreign_broadcasts", c.ignoredForeignBroadcasts());
        c.hostile().forEach(j::field);
        j.end();
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
                    .fieldOrNull("relayed_via", p.relayedVia())
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
        j.endArray();
        relayJson(j, r.relay());
        j.end();
        return j + "\n";
    }

    private static void relayJson(Json j, StatusReport.Relay relay) {
        j.key("relay").begin().field("state", relay.state());
        j.key("relaying_for").beginArray();
        for (StatusReport.Served s : relay.serving()) {
            j.begin().field("a", s.a()).field("b", s.b()).field("bytes_a_to_b", s.bytesAtoB())
                    .field("bytes_b_to_a", s.bytesBtoA()).field("frames", s.frames())
                    .field("idle_seconds", s.idleSeconds()).end();
        }
        j.endArray();
        StatusReport.Desk d = relay.desk();
        j.key("requests").begin().field("served", d.served()).field("refused", d.refused())
                .field("rate_limited", d.rateLimited()).end();
        j.key("punch_notices").begin().field("passed", d.noticesPassed()).field("dropped", d.noticesDropped()).end();
        if (relay.counters().isPresent()) {
            StatusReport.RelayCounters c = relay.counters().get();
            j.key("counters").begin()
                    .field("frames_forwarded", c.framesForwarded())
                    .field("bytes_forwarded", c.bytesForwarded())
                    .field("sessions_opened", c.sessionsOpened())
                    .field("sessions_expired", c.sessionsExpired())
                    .field("bytes_to_relay", c.bytesToRelay())
                    .field("bytes_from_relay", c.bytesFromRelay())
                    .field("send_errors", c.sendErrors());
            j.key("dropped").begin();
            c.dropped().forEach(j::field);
            j.end().end();
        } else {
            j.key("counters");
            j.value((String) null);
        }
        j.end();
    }

    public static String text(StatusReport r) {
        StringBuilder sb = new StringBuilder();
        long up = r.peers().stream().filter(StatusReport.Peer::connected).count();
        r.waiting().ifPresent(w -> sb.append(String.format(w.gone()
                ? "waiting for %s to come back: %s (the mesh state is kept; no tunnel works meanwhile)%n"
                : "waiting for %s: %s%n", r.interfaceName(), w.reason())));
        if (r.deviceKnown()) {
            sb.append(String.format("interface %s (%s), public key %s, listen port %d, gossip port %d%n", r.interfaceName(),
                    r.backend(), r.publicKey(), r.listenPort(), r.gossipPort()));
        } else {
            sb.append(String.format("interface %s, backend %s: public key and listen port unknown until it appears, gossip port %d%n",
                    r.interfaceName(), r.backend(), r.gossipPort()));
        }
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
        if (!c.hostile().isEmpty()) {
            StringBuilder h = new StringBuilder("gossip guards:");
            c.hostile().forEach((k, v) -> h.append(' ').append(k.replace('_', ' ')).append(' ').append(v).append(','));
            sb.append(h, 0, h.length() - 1).append('\n');
        }
        relayText(sb, r.relay());
        if (!r.deviceKnown()) {
            sb.append("peers: none connected until the interface appears\n");
            return sb.toString();
        }
        sb.append(String.format("peers: %d of %d connected%n%n", up, r.peers().size()));
        sb.append(String.format("%-12s %-15s %-17s %-28s %-24s %-10s %s%n", "PEER", "ADDRESS", "STATE", "ENDPOINT", "FROM",
                "HANDSHAKE", "RX/TX"));
        for (StatusReport.Peer p : r.peers()) {
            sb.append(String.format("%-12s %-15s %-17s %-28s %-24s %-10s %s/%s%n", p.name(), p.address(), p.state(),
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

    private static void relayText(StringBuilder sb, StatusReport.Relay relay) {
        sb.append("relay: ").append(relay.state());
        relay.counters().ifPresent(c -> {
            sb.append(String.format("; forwarded %d frames, %s", c.framesForwarded(), bytes(c.bytesForwarded())));
            long dropped = c.dropped().values().stream().mapToLong(Long::longValue).sum();
            if (dropped > 0) {
                StringBuilder d = new StringBuilder();
                c.dropped().forEach((k, v) -> {
                    if (v > 0) d.append(d.length() == 0 ? "" : ", ").append(v).append(' ').append(k.replace('_', ' '));
                });
                sb.append("; dropped ").append(d);
            }
        });
        StatusReport.Desk d = relay.desk();
        if (d.served() + d.refused() + d.rateLimited() > 0) {
            sb.append(String.format("; relay requests %d served, %d refused, %d over the rate", d.served(), d.refused(), d.rateLimited()));
        }
        if (d.noticesPassed() + d.noticesDropped() > 0) {
            sb.append(String.format("; punch notices %d passed on, %d dropped", d.noticesPassed(), d.noticesDropped()));
        }
        sb.append('\n');
        for (StatusReport.Served s : relay.serving()) {
            sb.append(String.format("    relaying for %s <-> %s: %s / %s, %d frames, last frame %d s ago%n", s.a(), s.b(),
                    bytes(s.bytesAtoB()), bytes(s.bytesBtoA()), s.frames(), s.idleSeconds()));
        }
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
