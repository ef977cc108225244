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
        return host.indexOf(':') >= 0 ? "[" + host + "]:" + port : host + ":" + port;
    }
}
