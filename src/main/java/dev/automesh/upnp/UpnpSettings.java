package dev.automesh.upnp;

import java.time.Duration;
import java.util.Objects;

/**
 * What the UPnP forwarder asks the router for, and its timing. {@link #defaults} gives wgautomesh's
 * values (300 s lease renewed every 60 s); tests shorten them.
 *
 * @param externalPort      UDP port to open on the router's WAN address (upnp_forward_external_port)
 * @param listenPort        our WireGuard listen port, the mapping's internal port
 * @param ipv6              also open an IPv6 pinhole (WANIPv6FirewallControl) when the router offers it
 * @param lease             lease asked for each mapping; renewed well before it runs out
 * @param renewEvery        period between renewals while mapped
 * @param discoveryTimeout  how long to wait for SSDP replies (routers delay replies up to MX seconds)
 * @param retryMin          first retry delay after a failure; doubles up to {@code retryMax}
 * @param retryMax          longest retry delay
 * @param httpTimeout       connect/read timeout of each SOAP call
 */
public record UpnpSettings(int externalPort, int listenPort, boolean ipv6, Duration lease, Duration renewEvery,
        Duration discoveryTimeout, Duration retryMin, Duration retryMax, Duration httpTimeout) {

    public UpnpSettings {
        checkPort("external port", externalPort);
        checkPort("listen port", listenPort);
        Objects.requireNonNull(lease, "lease");
        Objects.requireNonNull(renewEvery, "renewEvery");
        Objects.requireNonNull(discoveryTimeout, "discoveryTimeout");
        Objects.requireNonNull(retryMin, "retryMin");
        Objects.requireNonNull(retryMax, "retryMax");
        Objects.requireNonNull(httpTimeout, "httpTimeout");
        if (lease.toSeconds() < 1) throw new IllegalArgumentException("UPnP lease must be at least 1 s, got " + lease);
        if (renewEvery.isZero() || renewEvery.isNegative() || renewEvery.compareTo(lease) >= 0) {
            throw new IllegalArgumentException("UPnP renew period " + renewEvery + " must be positive and shorter than the lease " + lease);
        }
        if (retryMin.isZero() || retryMin.isNegative() || retryMax.compareTo(retryMin) < 0) {
            throw new IllegalArgumentException("UPnP retry delays must satisfy 0 < min <= max, got " + retryMin + ", " + retryMax);
        }
        if (discoveryTimeout.toMillis() < 100 || httpTimeout.toMillis() < 100) {
            throw new IllegalArgumentException("UPnP timeouts must be at least 100 ms");
        }
    }

    private static void checkPort(String what, int port) {
        if (port < 1 || port > 65535) throw new IllegalArgumentException("UPnP " + what + " must be 1..65535, got " + port);
    }

    /** wgautomesh's timing: lease 300 s, renewed every 60 s; retries from 5 s up to 5 min. */
    public static UpnpSettings defaults(int externalPort, int listenPort, boolean ipv6) {
        return new UpnpSettings(externalPort, listenPort, ipv6, Duration.ofSeconds(300), Duration.ofSeconds(60),
                Duration.ofMillis(2500), Duration.ofSeconds(5), Duration.ofMinutes(5), Duration.ofSeconds(5));
    }

    public UpnpSettings withTiming(Duration lease, Duration renewEvery, Duration discoveryTimeout, Duration retryMin, Duration retryMax) {
        return new UpnpSettings(externalPort, listenPort, ipv6, lease, renewEvery, discoveryTimeout, retryMin, retryMax, httpTimeout);
    }
}
