package dev.automesh.daemon;

import dev.automesh.config.HostPort;
import dev.automesh.mesh.Action.Notice;
import dev.automesh.mesh.MeshStatus.State;
import java.util.Locale;
import java.util.Optional;

/**
 * Words the mesh's notices as the INFO lines users and tests read, e.g.
 * "b connected directly at 198.51.100.2:51820, learned from pub 0.3 s after it was announced".
 * docs/status.md lists them; end-to-end tests grep the log for them.
 */
final class NoticeLines {
    private NoticeLines() {}

    static String line(Notice n) {
        if (n instanceof Notice.Connected c) return connected(c);
        if (n instanceof Notice.Lost l) return lost(l);
        if (n instanceof Notice.NoCandidates x) {
            return x.peer() + " has no endpoint to try: none in the config, none gossiped or broadcast yet";
        }
        if (n instanceof Notice.MovedToLan m) return m.peer() + " moved to its LAN endpoint " + HostPort.format(m.endpoint());
        if (n instanceof Notice.Relayed r) {
            String tried = r.triedCandidates() > 0 ? r.triedCandidates() + " candidate endpoints tried" : "";
            if (r.theirTryMillis().isPresent()) {
                tried += (tried.isEmpty() ? "" : "; ") + r.peer() + " tried us for "
                        + String.format(java.util.Locale.ROOT, "%.1f", r.theirTryMillis().getAsLong() / 1000.0) + " s";
            }
            return r.peer() + " relayed via " + r.via() + ": no direct handshake in " + r.noDirectSeconds() + " s"
                    + (tried.isEmpty() ? "" : " (" + tried + ")");
        }
        if (n instanceof Notice.DirectAgain d) {
            return d.peer() + " direct again at " + HostPort.format(d.endpoint()) + ", no longer relayed via " + d.via();
        }
        if (n instanceof Notice.RelayLost l) return relayLost(l);
        if (n instanceof Notice.RelayDeclined d) {
            return d.via() + (d.refused() ? " refused to relay " + d.peer() : " did not answer the request to relay " + d.peer())
                    + "; " + next(d.next());
        }
        throw new IllegalArgumentException("unknown notice " + n.getClass().getSimpleName());
    }

    private static String connected(Notice.Connected c) {
        StringBuilder sb = new StringBuilder(c.peer()).append(" connected ")
                .append(c.to() == State.LAN ? "on the LAN" : "directly").append(" at ")
                .append(c.endpoint().map(HostPort::format).orElse("?"));
        c.source().ifPresent(s -> sb.append(", ").append(s.describe()));
        c.announcedAgoMillis().ifPresent(ms -> sb.append(seconds(ms)).append(" s after it was announced"));
        c.triedAgoMillis().ifPresent(ms -> sb.append(",").append(seconds(ms)).append(" s after we tried it"));
        return sb.toString();
    }

    private static String lost(Notice.Lost l) {
        return l.peer() + " " + reason(l.reason()) + "; probing " + l.candidates() + " candidate endpoints";
    }

    /** Why a path was judged dead, in words (also for status). */
    static String reason(Notice.Lost.Reason r) {
        if (r instanceof Notice.Lost.Silent s) {
            return "went silent: nothing received for " + s.quietSeconds() + " s";
        } else if (r instanceof Notice.Lost.Unanswered u) {
            return "went silent: " + u.doubt().describe() + ", and nothing answered our Ping in " + u.pingedSeconds()
                    + " s (nothing received for " + u.quietSeconds() + " s)";
        } else if (r instanceof Notice.Lost.Expired e) {
            return "disconnected: last handshake " + e.handshakeAgeSeconds() + " s ago";
        }
        return "disconnected: WireGuard has no session with it (interface recreated?)";
    }

    private static String relayLost(Notice.RelayLost l) {
        String why = switch (l.why()) {
            case RELAY_UNREACHABLE -> "our tunnel to it is down";
            case CLOSED -> "the session was closed";
            case STALLED -> "nothing came back through it";
            case SETUP_FAILED -> "the setup did not complete";
        };
        return l.peer() + " lost its relay " + l.via() + " (" + why + "); " + next(l.next());
    }

    private static String next(Optional<String> relay) {
        return relay.map(n -> "asking " + n + " to relay").orElse("no relay available, probing directly");
    }

    /** " 1.4": one decimal, always a dot (log lines do not follow the locale). */
    private static String seconds(long millis) {
        return String.format(Locale.ROOT, " %.1f", millis / 1000.0);
    }
}
