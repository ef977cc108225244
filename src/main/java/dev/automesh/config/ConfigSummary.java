package dev.automesh.config;

import dev.automesh.crypto.GossipSecret;
import dev.automesh.wg.Backend;
import java.util.List;

/** The one-screen summary printed by `automesh check config.toml`. */
public final class ConfigSummary {
    private ConfigSummary() {}

    /** Peers listed before "... and N more": keeps the whole summary within 24 lines. */
    static final int MAX_PEER_ROWS = 10;

    public static String render(Config c) {
        StringBuilder sb = new StringBuilder();
        sb.append(c.source()).append(": OK, ").append(c.peers().size())
                .append(c.peers().size() == 1 ? " peer" : " peers").append('\n');
        row(sb, "interface", c.interfaceName() + " (backend " + c.wireguardBackend().name().toLowerCase()
                + (c.wireguardBackend() == Backend.KERNEL ? ""
                : ", UAPI socket " + c.uapiSocket().map(Object::toString)
                        .orElse("/var/run/wireguard/" + c.interfaceName() + ".sock")) + ")");
        row(sb, "gossip", "UDP port " + c.gossipPort() + (c.ipv6() ? " on [::]" : " on 0.0.0.0") + ", " + secret(c));
        row(sb, "lan discovery", c.lanDiscovery()
                ? "on (UDP broadcast to port " + c.gossipPort() + " on every IPv4 LAN interface)" : "off");
        row(sb, "upnp forward", c.upnpForwardExternalPort()
                .map(p -> "external UDP port " + p + " -> WireGuard listen port").orElse("off"));
        row(sb, "persist file", c.persistFile().map(Object::toString).orElse("none (known endpoints are not saved)"));
        row(sb, "control socket", c.controlSocket().toString());
        row(sb, "metrics", c.metricsAddress().map(a -> hostPort(a.getAddress().getHostAddress(), a.getPort()))
                .orElse("off"));
        row(sb, "poll interval", c.wgPollMillis() + " ms");
        row(sb, "relay", (c.relay() ? "on: may relay for other peers, " + c.relayRateLimitMbit() + " Mbit/s per pair"
                : "not for others (relay = false)") + "; UDP port " + c.relayPort() + " on this node's mesh address");
        if (!c.peers().isEmpty()) {
            sb.append(String.format("  %-16s %-10s %-24s %s%n", "PEER", "KEY", "ADDRESS", "ENDPOINT"));
            int shown = Math.min(c.peers().size(), MAX_PEER_ROWS);
            for (int i = 0; i < shown; i++) {
                PeerConfig p = c.peers().get(i);
                sb.append(String.format("  %-16s %-10s %-24s %s%n", clip(p.name().orElse("-"), 16),
                        p.pubkey().shortName() + "..", p.address().getHostAddress(),
                        p.endpoint().map(HostPort::toString).orElse("- (learned by gossip)")));
            }
            if (c.peers().size() > shown) {
                sb.append("  ... and ").append(c.peers().size() - shown).append(" more\n");
            }
        }
        for (String w : warnings(c)) sb.append("warning: ").append(w).append('\n');
        return sb.toString();
    }

    /** Legal but probably unintended settings; they do not fail `check`. */
    public static List<String> warnings(Config c) {
        return c.warnings();
    }

    private static String secret(Config c) {
        GossipSecret s = c.gossipSecret();
        if (s.isEmpty()) return "no secret";
        int bytes = s.utf8Length();
        // The newline note matters: `echo` vs `printf %s` changes the key, and the peers then cannot talk.
        return "secret set (" + bytes + (bytes == 1 ? " byte" : " bytes")
                + (s.endsWithNewline() ? ", ends with a newline, which is part of it" : "") + ")";
    }

    private static void row(StringBuilder sb, String label, String value) {
        sb.append(String.format("  %-15s %s%n", label, value));
    }

    private static String hostPort(String host, int port) {
        return HostPort.format(host, port);
    }

    private static String clip(String s, int n) {
        return s.length() <= n ? s : s.substring(0, n - 2) + "..";
    }
}
