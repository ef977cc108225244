package dev.automesh.config;

import java.util.Objects;

/**
 * An endpoint as written in the config: a host (IP literal or DNS name) and a port. DNS names are kept
 * as written and resolved at use time, never at load time, so a config loads without a network.
 */
public record HostPort(String host, int port) {
    public HostPort {
        Objects.requireNonNull(host, "host");
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("port " + port + " out of range 1-65535");
        }
    }

    @Override
    public String toString() {
        return format(host, port);
    }

    /** host:port, or [v6]:port: how automesh writes every endpoint (config, logs, status). */
    public static String format(String host, int port) {
        return host.indexOf(':') >= 0 ? "[" + host + "]:" + port : host + ":" + port;
    }

    /** A socket address the same way, by its IP (never the resolver's "name/" prefix). */
    public static String format(java.net.InetSocketAddress a) {
        return format(a.getAddress() != null ? a.getAddress().getHostAddress() : a.getHostString(), a.getPort());
    }
}
